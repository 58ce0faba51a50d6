// The console's pages: the one list the navigation, the overview's links and the page loader read.
//
// Adding a page: write `pages/<slug>.js` exporting `render(main, context)` (the server serves `/console/<slug>` as
// soon as that file exists) and add one entry below, in the section where it belongs. `shows(me)` decides only
// whether the navigation and the overview list the page for the signed-in user (`GET /api/v1/me`); the page itself
// asks the API for its data, and the server answers 403 to a role or plan that may not see it.

const may = (task) => (me) => me.may.includes(task);

export const SECTIONS = [
  {
    heading: null,
    pages: [
      { slug: '', title: 'Overview', shows: () => true, describe: () => 'Who you are, your account and plan.' },
    ],
  },
  {
    heading: 'Activity',
    pages: [
      {
        slug: 'calls',
        title: 'Call log',
        shows: () => true,
        describe: (me) => (me.sees_all_calls
          ? 'Every call of the account: filter by agent, source and date, and open a call to see what was sent to Salesforce.'
          : 'The calls assigned to you, newest first.'),
      },
      {
        slug: 'texts',
        title: 'Text log',
        shows: () => true,
        describe: (me) => (me.sees_all_calls
          ? 'Every text message of the account, with the same filters.'
          : 'The text messages assigned to you.'),
      },
    ],
  },
  {
    heading: 'Salesforce',
    pages: [
      {
        slug: 'options',
        title: 'Integration options',
        shows: may('read_integration_options'),
        describe: () => 'The seven options that decide how calls reach Salesforce and how the softphone pops records.',
      },
      {
        slug: 'wrap-up',
        title: 'Wrap-up',
        shows: may('change_integration_options'),
        describe: () => 'The dispositions agents pick after a call, and how long after-call work lasts.',
      },
      {
        slug: 'history',
        title: 'Settings history',
        shows: may('read_settings_history'),
        describe: () => 'Who changed which integration option, when, from what to what.',
      },
      {
        slug: 'logging',
        title: 'Call logging',
        shows: may('read_integration_options'),
        describe: () => 'Which calls get a Task in Salesforce (answered, missed, voicemail, abandoned, outbound not answered) and what the Task is related to.',
      },
      {
        slug: 'agents',
        title: 'Agents',
        shows: may('read_integration_options'),
        describe: () => 'Each agent\'s Salesforce user, the owner of the Tasks of the calls they answer.',
      },
      {
        slug: 'call-center',
        title: 'Call center',
        shows: may('download_call_center_definition'),
        describe: () => 'Download the call center definition and follow the Setup steps to put the softphone in Salesforce.',
      },
      {
        slug: 'voice',
        title: 'Salesforce Voice',
        shows: may('manage_salesforce_voice'),
        describe: () => 'Open CTI or Salesforce Voice (or both while you move): the contact center, the key pair, the certificate and the contact-center file.',
      },
      {
        slug: 'salesforce',
        title: 'Salesforce connection',
        shows: may('manage_salesforce_link'),
        describe: () => 'Link, relink or unlink your org; the integration user, API usage and requests per logged call.',
      },
      {
        slug: 'preflight',
        title: 'Preflight check',
        shows: may('manage_salesforce_link'),
        describe: () => 'Before going live: what in the org (rules, required fields, picklists) would block callpop\'s writes, and the fix.',
      },
      {
        slug: 'triggers',
        title: 'Triggers',
        shows: may('manage_triggers'),
        describe: () => 'What callpop writes into Salesforce for each call and text: events, conditions and actions, in order.',
      },
      {
        slug: 'sync-log',
        title: 'Sync log',
        shows: may('manage_sync_log'),
        describe: () => 'Calls and texts Salesforce refused, with its own error; retry one, or all with the same error.',
      },
    ],
  },
  {
    heading: 'Account',
    pages: [
      {
        slug: 'api-keys',
        title: 'API keys',
        shows: may('manage_api_keys'),
        describe: () => 'The keys your telephony platform sends call and text events with: create, copy once, revoke.',
      },
    ],
  },
];

// The page for a URL path's slug ('' is the overview), or undefined.
export function findPage(slug) {
  for (const section of SECTIONS) {
    const page = section.pages.find((candidate) => candidate.slug === slug);
    if (page) return page;
  }
  return undefined;
}

// The module that draws a page: `pages/home.js` for the overview.
export function moduleFor(page) {
  return `./pages/${page.slug || 'home'}.js`;
}
