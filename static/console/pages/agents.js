// The account's users and their Salesforce users (`GET /api/v1/users`): the Task of a call an agent answers is
// owned by the agent's Salesforce user. An administrator sets or clears it here
// (`PUT /api/v1/users/{id}/salesforce-user`, a User id starting 005); each change is in the settings history.

import { api } from '../api.js';
import { el, pageHead, replace } from '../dom.js';
import { clearErrors, showFailure, whileBusy } from '../forms.js';

function userRow(user) {
  const id = `sf-user-${user.id}`;
  const input = el('input', {
    id, name: 'salesforce_user_id', type: 'text', value: user.salesforce_user_id ?? '', maxLength: 18,
    placeholder: '005…', spellcheck: 'false', autocomplete: 'off', 'aria-describedby': `${id}-error`,
  });
  const status = el('span', { className: 'muted', role: 'status', id: `${id}-status` });
  const form = el('form', { className: 'inline-form', 'data-user': user.email, novalidate: true },
    el('label', { for: id, className: 'visually-hidden' }, `Salesforce user of ${user.display_name}`),
    input, ' ',
    el('button', { type: 'submit', className: 'button-quiet' }, 'Save'), ' ', status,
    el('p', { className: 'field-error', id: `${id}-error`, hidden: true }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    replace(status);
    delete status.dataset.state;
    const wanted = input.value.trim() === '' ? null : input.value.trim();
    try {
      const changed = await whileBusy(form, () => api(`/api/v1/users/${user.id}/salesforce-user`,
        { method: 'PUT', body: { salesforce_user_id: wanted } }));
      input.value = changed.salesforce_user_id ?? '';
      replace(status, changed.salesforce_user_id ? 'Saved.' : 'Cleared: their Tasks get no owner from callpop.');
      status.dataset.state = 'saved';
    } catch (failure) {
      showFailure(form, failure);
    }
  });
  return el('tr', { 'data-user': user.email },
    el('th', { scope: 'row' }, user.display_name, el('br'), el('span', { className: 'muted' }, user.email)),
    el('td', null, user.role.replace(/_/g, ' ')),
    el('td', null, form));
}

export async function render(main) {
  const { users } = await api('/api/v1/users');
  replace(main,
    pageHead('Agents',
      'The Task of a call an agent answers is owned by the agent\'s Salesforce user. Enter the User id '
      + '(15 or 18 characters, starting 005: in Salesforce, Setup → Users, the id in the user\'s page address). '
      + 'Leave it empty and the Task keeps the integration user as its owner. ',
      el('a', { href: '/console/logging' }, 'Call logging')),
    el('div', { className: 'table-wrap' }, el('table', { className: 'log', id: 'agents' },
      el('caption', { className: 'visually-hidden' }, 'The account\'s users and their Salesforce users'),
      el('thead', null, el('tr', null, ['User', 'Role', 'Salesforce user'].map((heading) => el('th', { scope: 'col' }, heading)))),
      el('tbody', null, users.map(userRow)))));
}
