// The text log (`GET /api/v1/texts`) and one text (`?text=<id>`: `GET /api/v1/texts/{id}`) with, for those who
// may see it, its Salesforce panel.

import { api } from '../api.js';
import { el, facts, replace } from '../dom.js';
import { dateTime, directionName } from '../format.js';
import { agentName, renderLog } from '../logs.js';
import { panelWithheld, salesforcePanel } from '../salesforce-panel.js';

async function renderText(main, { me }, messageId, backHref) {
  const text = await api(`/api/v1/texts/${encodeURIComponent(messageId)}`);
  const other = text.direction === 'outbound' ? text.to_number : text.from_number;
  replace(main,
    el('p', { className: 'back' }, el('a', { href: backHref }, '← Back to the text log')),
    el('div', { className: 'page-head' },
      el('h1', null, `${directionName(text.direction)} text `, text.direction === 'outbound' ? 'to ' : 'from ', other)),
    el('div', { className: 'detail' },
      el('section', { className: 'card', 'aria-labelledby': 'text-heading', id: 'text-facts' },
        el('h2', { id: 'text-heading' }, 'The message'),
        el('blockquote', { className: 'message-body', id: 'text-body' }, text.body),
        facts([
          ['Message id', text.message_id],
          ['From', text.from_number],
          ['To', text.to_number],
          ['Sent or received', dateTime(text.occurred_at, true)],
          ['Agent', agentName(text)],
          ['Tracking source', text.tracking_source],
          ['Campaign', text.campaign],
        ])),
      text.salesforce ? salesforcePanel(text.salesforce, text.org_url) : panelWithheld(me)));
}

const TEXTS = {
  slug: 'texts',
  title: 'Text log',
  noun: 'text',
  plural: 'texts',
  apiPath: '/api/v1/texts',
  listKey: 'texts',
  idKey: 'message_id',
  detailParam: 'text',
  renderDetail: renderText,
  columns: [
    { heading: 'From', cell: (text, href) => [el('a', { href }, text.from_number),
      el('span', { className: 'sub' }, `to ${text.to_number}`)] },
    { heading: 'Time', cell: (text) => dateTime(text.occurred_at) },
    { heading: 'Message', cell: (text) => el('span', { className: 'excerpt' }, text.body) },
    { heading: 'Source', cell: (text) => [text.tracking_source || '—',
      text.campaign && el('span', { className: 'sub' }, text.campaign)] },
    { heading: 'Agent', cell: (text) => agentName(text) },
  ],
};

export async function render(main, context) {
  await renderLog(main, context, TEXTS);
}
