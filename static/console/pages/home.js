// The overview: who is signed in, their account and plan, and a link to every page their role can open, with what
// it is for. Drawn from `GET /api/v1/me` alone.

import { el, facts, replace } from '../dom.js';
import { article, roleName } from '../format.js';
import { SECTIONS } from '../pages.js';

function whatYouSee(me) {
  const calls = me.sees_all_calls
    ? 'You see every call and text of the account.'
    : 'You see the calls and texts assigned to you.';
  let salesforce;
  if (!me.salesforce_included) {
    salesforce = `The ${me.plan_name} plan does not include Salesforce; the call log and the text log work as usual.`;
  } else if (me.sees_salesforce_panel) {
    salesforce = 'Each call and text shows its Salesforce panel: what was sent to Salesforce, and how it went.';
  } else {
    salesforce = 'Limit Data Access is on, so the Salesforce panel of calls and texts is kept to report managers '
      + 'and administrators.';
  }
  return [calls, salesforce];
}

export async function render(main, { me }) {
  const links = [];
  for (const section of SECTIONS) {
    for (const page of section.pages) {
      if (!page.slug || !page.shows(me)) continue;
      links.push(el('li', { className: 'card link-card', 'data-link': page.slug },
        el('h3', null, el('a', { href: `/console/${page.slug}` }, page.title)),
        el('p', null, page.describe(me))));
    }
  }
  replace(main,
    el('h1', null, `Welcome, ${me.display_name}`),
    el('p', { className: 'lead' }, `You are signed in to ${me.account_name} as ${article(roleName(me.role))} `
      + `${roleName(me.role).toLowerCase()}.`),
    el('div', { className: 'overview' },
      el('section', { className: 'card', 'aria-labelledby': 'you-heading' },
        el('h2', { id: 'you-heading' }, 'You and your account'),
        facts([
          ['Name', me.display_name],
          ['Email', me.email],
          ['Role', roleName(me.role)],
          ['Account', me.account_name],
          ['Plan', me.salesforce_included ? `${me.plan_name} (includes Salesforce)` : `${me.plan_name} (no Salesforce)`],
        ]),
        whatYouSee(me).map((line) => el('p', { className: 'muted' }, line))),
      el('section', { 'aria-labelledby': 'pages-heading', className: 'overview-links' },
        el('h2', { id: 'pages-heading' }, 'What you can do here'),
        el('ul', { className: 'link-cards' }, links))));
}
