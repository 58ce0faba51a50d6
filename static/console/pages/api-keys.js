// The API keys page: the keys the telephony side sends call and text events with (`GET/POST /api/v1/api-keys`,
// `DELETE /api/v1/api-keys/{id}`). A new key is shown once, with a copy button; callpop keeps only its hash. A
// revoked key is refused from the next request on.

import { api } from '../api.js';
import { badge, el, pageHead, replace } from '../dom.js';
import { dateTime } from '../format.js';
import { clearErrors, labelledInput, showFailure, whileBusy } from '../forms.js';

// Copies the new key: the Clipboard API where the browser allows it, else the key is selected for Ctrl+C.
async function copyKey(input, status) {
  try {
    await navigator.clipboard.writeText(input.value);
    status.textContent = 'Copied to the clipboard.';
  } catch {
    input.select();
    status.textContent = 'The key is selected: press Ctrl+C (⌘C on a Mac) to copy it.';
  }
}

function newKeyCallout(created, onDone) {
  const input = el('input', {
    id: 'new-key', type: 'text', readonly: true, className: 'secret', 'aria-describedby': 'new-key-help',
    spellcheck: 'false', autocomplete: 'off',
  });
  input.value = created.api_key;
  const status = el('span', { id: 'copy-status', role: 'status', className: 'muted' });
  const callout = el('section', { className: 'callout', id: 'new-key-callout', 'aria-labelledby': 'new-key-heading', tabindex: '-1' },
    el('h2', { id: 'new-key-heading' }, `Your new key “${created.label}”`),
    el('p', { id: 'new-key-help' },
      el('strong', null, 'Copy it now: it will not be shown again. '),
      'callpop keeps only a hash of it. Put it in your telephony platform\'s settings as the bearer token for '
      + 'callpop\'s call and text events.'),
    el('div', { className: 'copy-row' },
      el('label', { for: 'new-key', className: 'visually-hidden' }, 'New API key'),
      input,
      el('button', { type: 'button', className: 'button-primary', id: 'copy-key', onclick: () => copyKey(input, status) }, 'Copy'),
      el('button', { type: 'button', className: 'button-quiet', onclick: onDone }, 'Done')),
    status);
  return callout;
}

function keyRow(key, onRevoke) {
  const actions = el('td', { className: 'actions' });
  const row = el('tr', { 'data-key-id': key.id },
    el('th', { scope: 'row' }, key.label),
    el('td', null, el('code', null, `${key.prefix}…`)),
    el('td', null, dateTime(key.created_at)),
    el('td', null, key.revoked_at ? badge(`Revoked ${dateTime(key.revoked_at)}`, 'muted') : badge('Active', 'ok')),
    actions);
  if (key.revoked_at) return row;
  const ask = () => {
    replace(actions,
      el('span', { className: 'confirm-text' }, 'Requests with this key will be refused at once. '),
      el('button', {
        type: 'button', className: 'button-danger', 'data-confirm-revoke': key.id, onclick: () => onRevoke(key, actions),
      }, 'Revoke key'),
      el('button', { type: 'button', className: 'button-quiet', onclick: restore }, 'Cancel'));
    actions.querySelector('[data-confirm-revoke]').focus();
  };
  const restore = () => replace(actions, el('button', {
    type: 'button', className: 'button-quiet', 'data-revoke': key.id, onclick: ask, 'aria-label': `Revoke ${key.label}`,
  }, 'Revoke'));
  restore();
  return row;
}

export async function render(main) {
  const listing = el('div', { id: 'api-key-list' });
  const notice = el('div', { id: 'key-notice', role: 'status' });
  const form = el('form', { id: 'new-key-form', className: 'inline-form', novalidate: true },
    labelledInput({
      id: 'new-key-label', name: 'label', label: 'Label',
      hint: 'What the key is for, so you recognise it later, e.g. "PBX in Lyon".',
    }),
    el('button', { type: 'submit', className: 'button-primary' }, 'Create key'));

  async function revoke(key, actions) {
    try {
      await api(`/api/v1/api-keys/${encodeURIComponent(key.id)}`, { method: 'DELETE' });
    } catch (failure) {
      replace(actions, el('span', { className: 'field-error' }, failure.message));
      return;
    }
    await refresh();
    replace(notice, el('p', { className: 'result result-ok' }, `Revoked “${key.label}”.`));
  }

  async function refresh() {
    const { api_keys: keys } = await api('/api/v1/api-keys');
    if (keys.length === 0) {
      replace(listing, el('p', { className: 'empty' }, 'This account has no API keys yet.'));
      return;
    }
    replace(listing, el('div', { className: 'table-wrap' }, el('table', { className: 'log', id: 'api-keys' },
      el('caption', { className: 'visually-hidden' }, 'API keys'),
      el('thead', null, el('tr', null, ['Label', 'Key', 'Created', 'Status', 'Actions'].map((heading) =>
        el('th', { scope: 'col' }, heading)))),
      el('tbody', null, keys.map((key) => keyRow(key, revoke))))));
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      const created = await whileBusy(form, () =>
        api('/api/v1/api-keys', { method: 'POST', body: { label: form.elements.label.value } }));
      form.reset();
      const callout = newKeyCallout(created, () => {
        replace(notice);
        form.elements.label.focus();
      });
      replace(notice, callout);
      callout.focus();
      await refresh();
    } catch (failure) {
      showFailure(form, failure);
    }
  });

  await refresh();
  replace(main,
    pageHead('API keys',
      'Your telephony platform sends call and text events to callpop with one of these keys. Give each system '
      + 'its own key, so you can revoke one without stopping the others.'),
    el('section', { className: 'card', 'aria-labelledby': 'create-heading' },
      el('h2', { id: 'create-heading' }, 'Create a key'), form),
    notice,
    el('section', { className: 'card', 'aria-labelledby': 'keys-heading' },
      el('h2', { id: 'keys-heading' }, 'Keys'), listing));
}
