// The integration options page: the seven options of `GET/PUT /api/v1/settings/salesforce`, each with its ON and
// OFF explanations and where it applies. "Enable Legacy Salesforce Integration" sits behind the Legacy Options
// control at the bottom right of the section, where admins know it from. Saving sends all seven and says what
// changed.

import { api } from '../api.js';
import { badge, el, pageHead, replace } from '../dom.js';
import { clearErrors, showFailure, whileBusy } from '../forms.js';
import { OPTIONS, onOff } from '../options-text.js';

function optionRow(option, value) {
  const id = `opt-${option.key}`;
  const describedBy = [`${id}-effects`, option.notes.length > 0 && `${id}-notes`, `${id}-error`].filter(Boolean);
  const input = el('input', {
    id, name: option.key, type: 'checkbox', role: 'switch', className: 'switch',
    'aria-describedby': describedBy.join(' '),
  });
  input.checked = value;
  const state = el('span', { className: 'switch-state', 'aria-hidden': 'true' }, onOff(value));
  const effects = el('ul', { className: 'option-effects', id: `${id}-effects` },
    el('li', { 'data-when': 'on' }, el('strong', null, 'ON'), ` – ${option.on}`),
    el('li', { 'data-when': 'off' }, el('strong', null, 'OFF'), ` – ${option.off}`));
  const showState = () => {
    state.textContent = onOff(input.checked);
    for (const line of effects.children) {
      line.classList.toggle('current', line.dataset.when === (input.checked ? 'on' : 'off'));
    }
  };
  input.addEventListener('change', showState);
  showState();
  return el('li', { className: 'option', 'data-option': option.key },
    el('div', { className: 'option-head' },
      el('label', { for: id, className: 'option-title' }, option.title),
      option.applies && badge(option.applies, 'info'),
      el('span', { className: 'switch-wrap' }, input, state)),
    effects,
    option.notes.length > 0 && el('div', { className: 'option-notes', id: `${id}-notes` },
      option.notes.map((note) => el('p', null, note))),
    el('p', { className: 'field-error', id: `${id}-error`, hidden: true }));
}

function readForm(form) {
  const values = {};
  for (const option of OPTIONS) values[option.key] = form.elements[option.key].checked;
  return values;
}

function changesBetween(before, after) {
  return OPTIONS.filter((option) => before[option.key] !== after[option.key]);
}

function savedMessage(changed, before, after) {
  if (changed.length === 0) {
    return el('div', { className: 'result', id: 'save-result-body' },
      el('p', null, 'Nothing changed: every option already had the value shown.'));
  }
  return el('div', { className: 'result result-ok', id: 'save-result-body' },
    el('p', null, el('strong', null, `Saved. ${changed.length} ${changed.length === 1 ? 'option' : 'options'} changed:`)),
    el('ul', { id: 'saved-changes' }, changed.map((option) => el('li', { 'data-option': option.key },
      `${option.title}: `, el('strong', null, `${onOff(before[option.key])} → ${onOff(after[option.key])}`)))),
    el('p', null, 'The change applies to the next call. ',
      el('a', { href: '/console/history' }, 'See the settings history')));
}

export async function render(main) {
  let saved = await api('/api/v1/settings/salesforce');
  const legacy = OPTIONS.filter((option) => option.legacy);
  const regular = OPTIONS.filter((option) => !option.legacy);
  const legacyPanel = el('div', { id: 'legacy-options', className: 'legacy-options', hidden: !saved.legacy_mode },
    el('ul', { className: 'option-list' }, legacy.map((option) => optionRow(option, saved[option.key]))));
  const legacyToggle = el('button', {
    type: 'button', id: 'legacy-toggle', className: 'button-quiet disclosure',
    'aria-expanded': String(saved.legacy_mode), 'aria-controls': 'legacy-options',
  }, 'Legacy Options');
  legacyToggle.addEventListener('click', () => {
    const open = legacyToggle.getAttribute('aria-expanded') !== 'true';
    legacyToggle.setAttribute('aria-expanded', String(open));
    legacyPanel.hidden = !open;
  });
  const unsaved = el('span', { id: 'unsaved', className: 'muted', hidden: true }, 'You have unsaved changes.');
  const result = el('div', { id: 'save-result', role: 'status' });
  const form = el('form', { id: 'options-form', novalidate: true },
    el('section', { className: 'card options-section', 'aria-labelledby': 'options-heading' },
      el('h2', { id: 'options-heading' }, 'Integration Options'),
      el('ul', { className: 'option-list' }, regular.map((option) => optionRow(option, saved[option.key]))),
      el('div', { className: 'legacy-bar' }, legacyToggle),
      legacyPanel),
    el('div', { className: 'form-actions' },
      el('button', { type: 'submit', className: 'button-primary' }, 'Save'), unsaved),
    result);
  form.addEventListener('change', () => {
    unsaved.hidden = changesBetween(saved, readForm(form)).length === 0;
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const wanted = readForm(form);
    const before = saved;
    if (changesBetween(before, wanted).length > 0) {
      try {
        saved = await whileBusy(form, () => api('/api/v1/settings/salesforce', { method: 'PUT', body: wanted }));
      } catch (failure) {
        replace(result);
        showFailure(form, failure);
        return;
      }
    }
    unsaved.hidden = true;
    replace(result, savedMessage(changesBetween(before, saved), before, saved));
    result.focus();
  });
  result.tabIndex = -1;
  replace(main,
    pageHead('Integration options',
      'How callpop writes calls and texts to Salesforce, and how the softphone pops records. The softphone and '
      + 'the server read these options for every call, so a change applies to the next call.'),
    form);
}
