// The sync log (`GET /api/v1/sync-log`): the calls and texts Salesforce refused (parked: the org must change first;
// failed: callpop gave up) and those being retried, each with Salesforce's own error code, message and fields.
// Retry sends one item again (`POST /sync-log/{id}/retry`); "Retry all" sends every parked or failed item with one
// error code (`POST /sync-log/retry`), for when one fix in the org unblocks them all. `?status=` filters.

import { api } from '../api.js';
import { badge, consoleHref, el, pageHead, replace } from '../dom.js';
import { SYNC_STATUSES, dateTime, sentence } from '../format.js';

const KINDS = { call_event: 'Call', activity_append: 'Softphone activity', text_event: 'Text' };

const STATUS_FILTERS = [
  ['', 'Everything listed'],
  ['parked', 'Needs attention (parked)'],
  ['failed', 'Failed'],
  ['retrying', 'Retrying'],
];

function subjectLink(item) {
  const href = item.subject_kind === 'text'
    ? consoleHref('texts', { text: item.subject }) : consoleHref('calls', { call: item.subject });
  return el('a', { href }, item.subject);
}

function errorCell(item) {
  if (!item.error) return el('td', { className: 'muted' }, 'No error recorded');
  return el('td', { className: 'sf-error-cell' },
    el('code', { className: 'sf-code' }, item.error.code || 'ERROR'),
    el('span', { className: 'sf-error-message' }, item.error.message),
    item.error.fields.length > 0 && el('span', { className: 'sub' }, `Fields: ${item.error.fields.join(', ')}`));
}

function whenCell(item) {
  return el('td', null,
    dateTime(item.updated_at, true),
    item.status === 'retrying' && el('span', { className: 'sub' }, `Next try ${dateTime(item.next_attempt_at, true)}`));
}

// Error codes of the items a "Retry all" can send (parked or failed), with how many items each has.
function retryableCodes(items) {
  const counts = new Map();
  for (const item of items) {
    if (item.status === 'retrying' || !item.error) continue;
    counts.set(item.error.code, (counts.get(item.error.code) || 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]);
}

export async function render(main, { params }) {
  const wanted = STATUS_FILTERS.some(([value]) => value === params.get('status')) ? params.get('status') : '';
  const notice = el('div', { id: 'sync-notice', role: 'status', tabindex: '-1' });
  const listing = el('div', { id: 'sync-log-list' });
  const bulk = el('div', { id: 'retry-all' });

  function said(text, tone) {
    replace(notice, el('p', { className: tone === 'error' ? 'form-error' : 'result result-ok' }, text));
  }

  async function retryOne(item, button) {
    button.disabled = true;
    try {
      await api(`/api/v1/sync-log/${encodeURIComponent(item.id)}/retry`, { method: 'POST' });
    } catch (failure) {
      button.disabled = false;
      said(sentence(failure.message), 'error');
      notice.focus();
      return;
    }
    said(`${KINDS[item.kind] || item.kind} ${item.subject} is queued again and is being sent to Salesforce now.`);
    await refresh();
    notice.focus();
  }

  async function retryAll(code, count, button) {
    button.disabled = true;
    let answer;
    try {
      answer = await api('/api/v1/sync-log/retry', { method: 'POST', body: { error_code: code } });
    } catch (failure) {
      button.disabled = false;
      said(sentence(failure.message), 'error');
      notice.focus();
      return;
    }
    const retried = answer.retried;
    said(`${retried} ${retried === 1 ? 'item' : 'items'} with ${code} ${retried === 1 ? 'is' : 'are'} queued again `
      + 'and being sent to Salesforce now.');
    await refresh();
    notice.focus();
  }

  function row(item) {
    const [words, tone] = SYNC_STATUSES[item.status] || [item.status, 'muted'];
    const retry = el('button', {
      type: 'button', className: 'button-quiet', 'data-retry': item.id, 'aria-label': `Retry ${item.subject}`,
    }, 'Retry');
    retry.addEventListener('click', () => retryOne(item, retry));
    return el('tr', { 'data-item': item.id, 'data-status': item.status },
      el('th', { scope: 'row' }, subjectLink(item), el('span', { className: 'sub' }, KINDS[item.kind] || item.kind)),
      el('td', null, badge(words, tone), el('span', { className: 'sub' },
        `${item.attempts} ${item.attempts === 1 ? 'attempt' : 'attempts'}`)),
      errorCell(item),
      whenCell(item),
      el('td', { className: 'actions' }, retry));
  }

  async function refresh() {
    const query = wanted ? `?status=${encodeURIComponent(wanted)}` : '';
    const { items } = await api(`/api/v1/sync-log${query}`);
    const codes = retryableCodes(items);
    replace(bulk, codes.length > 0 && el('section', { className: 'card', 'aria-labelledby': 'retry-all-heading' },
      el('h2', { id: 'retry-all-heading' }, 'Retry all of a kind'),
      el('p', { className: 'muted' }, 'Fixed the org (deactivated a rule, made a field optional)? Send again every '
        + 'parked or failed item that Salesforce refused for the same reason.'),
      el('ul', { className: 'retry-kinds' }, codes.map(([code, count]) => {
        const button = el('button', { type: 'button', className: 'button-quiet', 'data-retry-code': code },
          `Retry all ${count} with `, el('code', null, code));
        button.addEventListener('click', () => retryAll(code, count, button));
        return el('li', null, button);
      }))));
    if (items.length === 0) {
      replace(listing, el('div', { className: 'empty-state', id: 'sync-log-empty' },
        el('p', null, el('strong', null, wanted ? 'No items with this status.' : 'Nothing needs your attention.')),
        el('p', { className: 'muted' }, 'Every call and text has been sent to Salesforce, or is on its way. When '
          + 'Salesforce refuses one (a validation rule, a required field, a duplicate rule), it shows here with '
          + 'Salesforce\'s own message.')));
      return;
    }
    replace(listing, el('div', { className: 'table-wrap' }, el('table', { className: 'log', id: 'sync-log' },
      el('caption', { className: 'visually-hidden' }, 'Sync log items, newest first'),
      el('thead', null, el('tr', null, ['Call or text', 'Status', 'What Salesforce said', 'Last change', 'Actions']
        .map((heading) => el('th', { scope: 'col' }, heading)))),
      el('tbody', null, items.map(row)))));
  }

  const select = el('select', { id: 'status-filter', name: 'status' },
    STATUS_FILTERS.map(([value, label]) => el('option', { value, selected: value === wanted }, label)));
  const filters = el('form', { className: 'filters', id: 'sync-log-filters', method: 'get', action: '/console/sync-log' },
    el('div', { className: 'field' }, el('label', { for: 'status-filter' }, 'Status'), select),
    el('div', { className: 'filter-actions' },
      el('button', { type: 'submit', className: 'button-primary' }, 'Filter'),
      el('a', { className: 'button-quiet', href: consoleHref('sync-log', { status: wanted }), id: 'refresh' }, 'Refresh')));

  await refresh();
  replace(main,
    pageHead('Sync log',
      'Calls and texts Salesforce refused, with its own error, and those callpop is retrying. Fix the cause in '
      + 'Salesforce (the message names it), then retry: callpop sends the item again as it was.'),
    filters,
    notice,
    bulk,
    listing);
}
