// What gets logged, and where (`GET/PUT /api/v1/settings/logging`): for each call type, whether callpop writes a
// Task for it, and what a call's Task is related to (its `WhatId`). Saving sends every setting and says what
// changed; the change applies to the next call event the server syncs.

import { api } from '../api.js';
import { el, pageHead, replace } from '../dom.js';
import { clearErrors, showFailure, whileBusy } from '../forms.js';
import { onOff } from '../options-text.js';

// The call types in the server's order, with how the console explains each.
const CALL_TYPES = [
  { key: 'answered', title: 'Answered calls', explain: 'An agent answered, inbound or outbound.' },
  { key: 'missed', title: 'Missed calls', explain: 'Inbound calls nobody answered, where the caller left no message.' },
  { key: 'voicemail', title: 'Voicemails', explain: 'Inbound calls nobody answered, where the caller left a message (the telephony side sends the disposition "voicemail").' },
  { key: 'abandoned', title: 'Abandoned calls', explain: 'Inbound calls the caller hung up while waiting (the disposition "abandoned").' },
  { key: 'outbound_not_answered', title: 'Outbound calls not answered', explain: 'Calls your agents placed that nobody picked up.' },
];

// The `WhatId` rules.
const WHAT_ID_RULES = [
  { value: 'none', title: 'Nothing', explain: 'The Task is only on the person (a Task on an Account stays on the Account).' },
  { value: 'open_case', title: 'The Contact\'s most recent open Case', explain: 'The newest Case of the Contact that is not closed.' },
  { value: 'open_opportunity', title: 'The most recent open Opportunity of the Contact\'s Account', explain: 'The newest Opportunity of the Contact\'s Account that is not closed.' },
];

function typeRow(callType, logged) {
  const id = `log-${callType.key}`;
  const input = el('input', {
    id, name: `log.${callType.key}`, type: 'checkbox', role: 'switch', className: 'switch',
    'aria-describedby': `${id}-explain ${id}-error`,
  });
  input.checked = logged;
  const state = el('span', { className: 'switch-state', 'aria-hidden': 'true' }, onOff(logged));
  input.addEventListener('change', () => { state.textContent = onOff(input.checked); });
  return el('li', { className: 'option', 'data-call-type': callType.key },
    el('div', { className: 'option-head' },
      el('label', { for: id, className: 'option-title' }, callType.title),
      el('span', { className: 'switch-wrap' }, input, state)),
    el('p', { className: 'muted', id: `${id}-explain` }, callType.explain),
    el('p', { className: 'field-error', id: `${id}-error`, hidden: true }));
}

function ruleChoice(rule, current) {
  const id = `what-id-${rule.value}`;
  const input = el('input', { id, type: 'radio', name: 'what_id', value: rule.value, 'aria-describedby': `${id}-explain` });
  input.checked = rule.value === current;
  return el('li', { className: 'option' },
    el('div', { className: 'option-head' }, el('label', { for: id, className: 'option-title' }, input, ' ', rule.title)),
    el('p', { className: 'muted', id: `${id}-explain` }, rule.explain));
}

function readForm(form) {
  const log = {};
  for (const callType of CALL_TYPES) log[callType.key] = form.elements[`log.${callType.key}`].checked;
  return { log, what_id: form.elements.what_id.value };
}

// The settings that differ, in the console's words.
function changes(before, after) {
  const changed = CALL_TYPES.filter((callType) => before.log[callType.key] !== after.log[callType.key])
    .map((callType) => `${callType.title}: ${before.log[callType.key] ? 'logged' : 'not logged'} → ${after.log[callType.key] ? 'logged' : 'not logged'}`);
  if (before.what_id !== after.what_id) {
    const title = (value) => WHAT_ID_RULES.find((rule) => rule.value === value)?.title ?? value;
    changed.push(`Related to: ${title(before.what_id)} → ${title(after.what_id)}`);
  }
  return changed;
}

export async function render(main) {
  let saved = await api('/api/v1/settings/logging');
  const result = el('div', { id: 'save-result', role: 'status', tabIndex: -1 });
  const form = el('form', { id: 'logging-form', novalidate: true },
    el('section', { className: 'card options-section', 'aria-labelledby': 'types-heading' },
      el('h2', { id: 'types-heading' }, 'Which calls get a Task'),
      el('p', null, 'A call whose type is off gets no Task in Salesforce. A ringing call\'s Task waits until the call '
        + 'is answered or ends when some type is off, so a call is never logged halfway.'),
      el('ul', { className: 'option-list', id: 'call-types' }, CALL_TYPES.map((callType) => typeRow(callType, saved.log[callType.key])))),
    el('section', { className: 'card options-section', 'aria-labelledby': 'what-id-heading' },
      el('h2', { id: 'what-id-heading' }, 'What the Task is related to'),
      el('p', null, 'For a caller who is a Contact, the Task can also point at an open record ("Related To"). '
        + 'Salesforce allows none on a Lead\'s Task, so a Lead\'s Task is never related to anything.'),
      el('div', { role: 'radiogroup', 'aria-labelledby': 'what-id-heading' },
        el('ul', { className: 'option-list', id: 'what-id-rules' }, WHAT_ID_RULES.map((rule) => ruleChoice(rule, saved.what_id))),
        el('p', { className: 'field-error', id: 'what-id-none-error', hidden: true }))),
    el('div', { className: 'form-actions' }, el('button', { type: 'submit', className: 'button-primary' }, 'Save')),
    result);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const before = saved;
    try {
      saved = await whileBusy(form, () => api('/api/v1/settings/logging', { method: 'PUT', body: readForm(form) }));
    } catch (failure) {
      replace(result);
      showFailure(form, failure);
      return;
    }
    const changed = changes(before, saved);
    replace(result, changed.length === 0
      ? el('div', { className: 'result', id: 'save-result-body' }, el('p', null, 'Nothing changed.'))
      : el('div', { className: 'result result-ok', id: 'save-result-body' },
        el('p', null, el('strong', null, 'Saved. The change applies to the next call:')),
        el('ul', { id: 'saved-changes' }, changed.map((line) => el('li', null, line))),
        el('p', null, el('a', { href: '/console/history' }, 'See the settings history'))));
    result.focus();
  });
  replace(main,
    pageHead('Call logging',
      'What callpop writes to Salesforce for each kind of call, and what the Task is related to. '
      + 'These apply to the Tasks the server writes (legacy mode, and calls the softphone never logged); a record an agent picks is always logged. ',
      el('a', { href: '/console/agents' }, 'Task owners: the agents\' Salesforce users')),
    form);
}
