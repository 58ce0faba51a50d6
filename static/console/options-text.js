// The seven integration options as admins read them: each option's title and its ON and OFF explanations, in the
// words of the integration options text callpop implements (CallTrackingMetrics' "Salesforce Integration Options",
// with "CTM" read as callpop), plus where an option applies. The options page and the settings history both use it.
// `key` is the option's name in `GET/PUT /api/v1/settings/salesforce`.

export const OPTIONS = [
  {
    key: 'legacy_mode',
    title: 'Enable Legacy Salesforce Integration',
    legacy: true,
    on: 'Legacy "mode"',
    off: 'Use Triggers to customize logic between callpop and Salesforce for record updates and creation',
    notes: [
      'Legacy "mode" in a nutshell – callpop will first check to see if there is an existing Lead or Contact record, '
        + 'if there isn\'t then we will create a new Lead. In either case, we will append the call data as an '
        + 'Activity (Task) and Campaign to the Lead or Contact record.',
      'The legacy integration has a number of implicit actions (record updates) that occur throughout the life of '
        + 'a call. This can be beneficial for some customers and problematic for others.',
    ],
  },
  {
    key: 'local_number_format',
    title: 'Use local number formats instead of E.164',
    on: 'Phone number format will be (XXX) XXX-XXXX',
    off: 'Phone number format will be +XXXXXXXXXXX',
    notes: [
      'If your company deals internationally then it would be best to leave this option OFF and callpop will send '
        + 'the international numbering plan.',
    ],
  },
  {
    key: 'full_region_names',
    title: "Use full region names (e.g. 'United States' instead of 'US'…)",
    on: 'callpop will spell out the region name instead of using abbreviations',
    off: 'callpop will use abbreviations',
    notes: [
      'It is important to check if you have any validation rules in Salesforce. This could possibly prevent us from '
        + 'creating records or saving any record updates.',
    ],
  },
  {
    key: 'edit_mode',
    title: 'Open Salesforce records in edit mode',
    applies: 'Classic; in Lightning, the page then its Edit form',
    on: 'When answering using the OpenCTI adapter we will open records in edit mode (not pop the newly created and '
      + 'stored record), your agent must click \'Save\' to create the record',
    off: 'Salesforce will pop the newly created (and stored) record',
    notes: [
      'Lightning has no edit-mode pop of its own: with this option on, a record opens on its page and then its '
        + 'Edit form. A new caller\'s Lead always opens in edit mode in Lightning, whatever this option says: '
        + 'Lightning\'s pre-filled new-record form, or, in legacy mode, the Edit form of the Lead callpop created.',
    ],
  },
  {
    key: 'auto_create_classic',
    title: 'Auto Create new Records when using OpenCTI in Classic Salesforce',
    applies: 'Classic only, legacy mode off',
    on: 'New records will be created automatically',
    off: 'callpop will open a new form and attempt to pre-fill it with unsaved values',
    notes: [
      'This is on by default because it is the most seamless way to obtain information from the Salesforce CTI '
        + 'softphone. This increases accuracy. It applies to Salesforce Classic only: in Lightning, a new caller '
        + 'always gets the new-Lead form.',
      'In legacy mode callpop creates the new caller\'s Lead itself, whatever this option says; Classic then pops '
        + 'that Lead, on its page, or in its Edit form when edit mode is on.',
    ],
  },
  {
    key: 'multi_match_dialog',
    title: 'Present a search dialog with Softphone when multiple records are matched',
    on: 'callpop will automatically append activities from the softphone to agent selected record',
    off: 'Disabling this means callpop will instead use a trigger to append activity data',
    notes: ['This is on by default because it increases the speed in which activity data is updated.'],
  },
  {
    key: 'limit_data_access',
    title: 'Limit Data Access',
    on: 'Prevent Call Managers and Call Agents from accessing data in the Salesforce Panel',
    off: 'Anyone with access to the Call Log/Text Log will be able to see the data sent to Salesforce',
    notes: [],
  },
];

export function optionTitle(key) {
  const option = OPTIONS.find((candidate) => candidate.key === key);
  return option ? option.title : key;
}

export function onOff(value) {
  return value ? 'ON' : 'OFF';
}
