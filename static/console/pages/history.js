// The settings history: every change to the integration options (`GET /api/v1/settings/salesforce/changes`),
// newest first: when, who, which option, from what to what.

import { api } from '../api.js';
import { el, pageHead, replace } from '../dom.js';
import { dateTime } from '../format.js';
import { onOff, optionTitle } from '../options-text.js';

function shown(value) {
  return typeof value === 'boolean' ? onOff(value) : JSON.stringify(value);
}

export async function render(main) {
  const { changes } = await api('/api/v1/settings/salesforce/changes');
  const body = changes.length === 0
    ? el('p', { className: 'empty', id: 'history-empty' }, 'No integration option has been changed yet.')
    : el('div', { className: 'table-wrap' }, el('table', { className: 'log', id: 'history' },
      el('caption', { className: 'visually-hidden' }, 'Changes to the integration options, newest first'),
      el('thead', null, el('tr', null, ['When', 'Option', 'Change', 'Changed by'].map((heading) =>
        el('th', { scope: 'col' }, heading)))),
      el('tbody', null, changes.map((change) => el('tr', { 'data-setting': change.setting },
        el('td', null, dateTime(change.changed_at, true)),
        el('th', { scope: 'row' }, optionTitle(change.setting)),
        el('td', null, el('strong', null, `${shown(change.old_value)} → ${shown(change.new_value)}`)),
        el('td', null, change.changed_by))))));
  replace(main,
    pageHead('Settings history', 'Every change to the integration options, newest first. ',
      el('a', { href: '/console/options' }, 'Change the options')),
    body);
}
