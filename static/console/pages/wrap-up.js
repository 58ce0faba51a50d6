// The wrap-up page: the dispositions agents pick from after a call and how long after-call work lasts
// (`GET/PUT /api/v1/settings/wrap-up`). Each disposition is an input named as the server names it
// (`dispositions[2]`), so a refused value shows its message under that input. Order is the softphone's order.

import { api } from '../api.js';
import { el, pageHead, replace } from '../dom.js';
import { clearErrors, labelledInput, showFailure, whileBusy } from '../forms.js';

// One row of the list: the value, and buttons to move it or remove it.
function dispositionRow(list, value) {
  const input = el('input', { type: 'text', maxlength: '255', className: 'disposition-value' });
  input.value = value;
  const button = (text, label, action) => {
    const control = el('button', { type: 'button', className: 'button-quiet', 'aria-label': label }, text);
    control.addEventListener('click', () => {
      action();
      renumber(list);
    });
    return control;
  };
  const row = el('li', { className: 'disposition' }, input,
    el('p', { className: 'field-error', hidden: true }));
  row.append(
    button('↑', 'Move up', () => row.previousElementSibling && list.insertBefore(row, row.previousElementSibling)),
    button('↓', 'Move down', () => row.nextElementSibling && list.insertBefore(row.nextElementSibling, row)),
    button('Remove', 'Remove this disposition', () => row.remove()));
  return row;
}

// Names and labels each row by its position, as the server names it.
function renumber(list) {
  [...list.children].forEach((row, index) => {
    const input = row.querySelector('input');
    const error = row.querySelector('.field-error');
    input.name = `dispositions[${index}]`;
    input.id = `disposition-${index}`;
    input.setAttribute('aria-label', `Disposition ${index + 1}`);
    error.id = `disposition-${index}-error`;
    input.setAttribute('aria-describedby', error.id);
  });
}

function readForm(form, list) {
  return {
    dispositions: [...list.querySelectorAll('input')].map((input) => input.value),
    wrap_up_secs: Number(form.elements.wrap_up_secs.value),
  };
}

export async function render(main) {
  const saved = await api('/api/v1/settings/wrap-up');
  const list = el('ol', { id: 'dispositions', className: 'disposition-list' });
  replace(list, ...saved.dispositions.map((value) => dispositionRow(list, value)));
  renumber(list);
  const add = el('button', { type: 'button', id: 'add-disposition', className: 'button-quiet' }, 'Add a disposition');
  add.addEventListener('click', () => {
    const row = dispositionRow(list, '');
    list.append(row);
    renumber(list);
    row.querySelector('input').focus();
  });
  const result = el('div', { id: 'save-result', role: 'status', tabIndex: -1 });
  const form = el('form', { id: 'wrap-up-form', novalidate: true },
    el('section', { className: 'card', 'aria-labelledby': 'dispositions-heading' },
      el('h2', { id: 'dispositions-heading' }, 'Dispositions'),
      el('p', { className: 'hint' }, 'Agents pick one of these for each call; it is written to the Task\'s Call '
        + 'Result (CallDisposition). Values your org\'s picklist lacks are still written as text. Up to 100, each '
        + 'up to 255 characters.'),
      // The list's own error (too many values) shows under this hidden input, named as the server names it.
      el('input', { type: 'hidden', name: 'dispositions', id: 'dispositions-input' }),
      el('p', { className: 'field-error', id: 'dispositions-input-error', hidden: true }),
      list, add),
    el('section', { className: 'card', 'aria-labelledby': 'acw-heading' },
      el('h2', { id: 'acw-heading' }, 'After-call work'),
      labelledInput({
        id: 'wrap_up_secs', name: 'wrap_up_secs', label: 'Seconds of after-call work', type: 'number',
        value: String(saved.wrap_up_secs), attributes: { min: '0', max: '3600', step: '1' },
        hint: 'After an answered call ends, the agent\'s status is After-call work for this long, or until they '
          + 'click Done. 0 turns it off.',
      })),
    el('div', { className: 'form-actions' }, el('button', { type: 'submit', className: 'button-primary' }, 'Save')),
    result);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    replace(result);
    try {
      const stored = await whileBusy(form, () => api('/api/v1/settings/wrap-up', { method: 'PUT', body: readForm(form, list) }));
      replace(list, ...stored.dispositions.map((value) => dispositionRow(list, value)));
      renumber(list);
      replace(result, el('div', { className: 'result result-ok' },
        el('p', null, `Saved: ${stored.dispositions.length} dispositions, ${stored.wrap_up_secs} seconds of after-call work.`)));
      result.focus();
    } catch (failure) {
      showFailure(form, failure);
    }
  });
  replace(main,
    pageHead('Wrap-up',
      'What agents record after a call, and how long they have for it. Changes apply to the next call.'),
    form);
}
