// Shows the server's answer to a form: a 422's message next to the input it names (`field`), anything else at the
// top of the form, and a busy state while a request is on its way. Messages are set as text.

import { ApiFailure } from './api.js';
import { el } from './dom.js';
import { goToSignIn } from './session.js';

// The form's error area at its top (created on first use).
function formError(form) {
  let area = form.querySelector(':scope > .form-error');
  if (!area) {
    area = document.createElement('p');
    area.className = 'form-error';
    area.setAttribute('role', 'alert');
    area.hidden = true;
    form.prepend(area);
  }
  return area;
}

// Removes every error shown on the form.
export function clearErrors(form) {
  formError(form).hidden = true;
  for (const message of form.querySelectorAll('.field-error')) {
    message.textContent = '';
    message.hidden = true;
  }
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

// The server names fields by their API name; the form's inputs carry the same `name`.
function inputFor(form, field) {
  return field ? form.querySelector(`[name="${CSS.escape(field)}"]`) : null;
}

// The text of the input's label, for a message that names the field ("`label` is required" → "Label is required").
function humanise(message, field, input) {
  const label = input.labels && input.labels[0] ? input.labels[0].textContent.trim() : field;
  const named = message.split(`\`${field}\``).join(label);
  return named.charAt(0).toUpperCase() + named.slice(1);
}

// Shows a failed request on `form`: each message under the input it names (focusing the first such input), the
// rest at the top. A 401 means the session ended: back to sign-in, unless `keepOn401` (the sign-in form itself,
// where 401 means a wrong password).
export function showFailure(form, failure, { keepOn401 = false } = {}) {
  if (!(failure instanceof ApiFailure)) throw failure;
  if (failure.status === 401 && !keepOn401) {
    goToSignIn();
    return;
  }
  clearErrors(form);
  // A refused trigger rule names every problem; anything else names one field at most.
  const problems = failure.problems.length > 0
    ? failure.problems.map((problem) => ({ field: problem.path, message: problem.message }))
    : [{ field: failure.field, message: failure.message }];
  let first = null;
  const elsewhere = [];
  for (const { field, message: text } of problems) {
    const input = inputFor(form, field);
    const message = input && input.id ? form.querySelector(`#${CSS.escape(input.id)}-error`) : null;
    if (!input || !message) {
      elsewhere.push(text);
      continue;
    }
    const shown = humanise(text, field, input);
    message.textContent = message.hidden ? shown : `${message.textContent} ${shown}`;
    message.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    first = first || input;
  }
  if (elsewhere.length > 0) {
    const area = formError(form);
    area.textContent = elsewhere.join(' ');
    area.hidden = false;
  }
  if (first) first.focus();
}

// Runs `action` with the form's submit button disabled and the form marked busy.
export async function whileBusy(form, action) {
  const buttons = form.querySelectorAll('button[type=submit]');
  form.setAttribute('aria-busy', 'true');
  for (const button of buttons) button.disabled = true;
  try {
    return await action();
  } finally {
    form.removeAttribute('aria-busy');
    for (const button of buttons) button.disabled = false;
  }
}

// A labelled input with its hint and its error line, wired for screen readers: the input is described by the hint
// and, when the server names it, by the error.
export function labelledInput({ id, name, label, type = 'text', value = '', hint, autocomplete, attributes }) {
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ');
  const input = el('input', { id, name, type, autocomplete, 'aria-describedby': describedBy, ...attributes });
  input.value = value;
  return el('div', { className: 'field' },
    el('label', { for: id }, label),
    input,
    hint && el('p', { className: 'hint', id: hintId }, hint),
    el('p', { className: 'field-error', id: errorId, hidden: true }));
}
