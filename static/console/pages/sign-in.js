// The sign-in page: email and password against `POST /api/v1/sessions`; the token goes to sessionStorage and the
// admin goes on to the page they asked for (`?next=`, console pages only).

import { api, keepSessionToken } from '../api.js';
import { el, replace } from '../dom.js';
import { clearErrors, labelledInput, showFailure, whileBusy } from '../forms.js';
import { safeNext } from '../session.js';

export async function render(main) {
  document.body.classList.add('signed-out');
  const next = safeNext(new URLSearchParams(window.location.search).get('next'));
  const form = el('form', { id: 'sign-in-form', className: 'stack', novalidate: true },
    labelledInput({ id: 'sign-in-email', name: 'email', label: 'Email', type: 'email', autocomplete: 'username' }),
    labelledInput({
      id: 'sign-in-password', name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password',
    }),
    el('button', { type: 'submit', className: 'button-primary' }, 'Sign in'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = { email: form.elements.email.value.trim(), password: form.elements.password.value };
    try {
      const session = await whileBusy(form, () => api('/api/v1/sessions', { method: 'POST', body }));
      keepSessionToken(session.token);
      window.location.assign(next);
    } catch (failure) {
      showFailure(form, failure, { keepOn401: true });
    }
  });
  replace(main, el('section', { className: 'sign-in card' },
    el('h1', null, 'Sign in to the callpop console'),
    el('p', { className: 'muted' },
      'Use your callpop email and password. Administrators set up the Salesforce integration here; '
      + 'agents and managers read their calls and texts.'),
    form));
  form.elements.email.focus();
}
