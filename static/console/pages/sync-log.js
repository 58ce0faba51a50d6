// The sync log (`GET /api/v1/sync-log`): the calls and texts Salesforce refused (parked: the org must change first;
// failed: callpop gave up) and those being retried, each with Salesforce's own error code, message and fields.
// Retry sends one item again (`POST /sync-log/{id}/retry`); "Retry all" sends every parked or failed item with one
// error code (`POST /sync-log/retry`), for when one fix in the org unblocks them all. `?status=` filters. Each row
// names the caller and links the Salesforce record. Dismiss leaves a parked or failed item alone, with a reason
// (`POST /sync-log/{id}/dismiss`); `?dismissed=true` lists the dismissed items, and retrying one brings it back.
// Pages carry counts and move both ways (`?after=`, `?before=`).

import { api } from '../api.js';
import { badge, consoleHref, el, pageHead, replace } from '../dom.js';
import { SYNC_STATUSES, dateTime, sentence } from '../format.js';
import { recordId } from '../salesforce-panel.js';

const KINDS = { call_event: 'Call', activity_append: 'Softphone activity', text_event: 'Text' };

const STATUS_FILTERS = [
  ['', 'Everything listed'],
  ['parked', 'Needs attention (parked)'],
  ['failed', 'Failed'],
  ['retrying', 'Retrying'],
];
const PAGE_SIZE = 25;

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

function callerCell(item, orgUrl) {
  return el('td', { className: 'caller-cell' },
    item.caller_number || '—',
    item.caller_name && el('span', { className: 'sub' }, item.caller_name),
    item.record_id && el('span', { className: 'sub' }, 'Record ', recordId(item.record_id, orgUrl)));
}

function dismissalNote(item) {
  const { dismissal } = item;
  return el('span', { className: 'sub dismissal', 'data-dismissal': item.id },
    `Dismissed by ${dismissal.by}, ${dateTime(dismissal.at, true)}: `, el('q', null, dismissal.reason));
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
  const dismissedView = params.get('dismissed') === 'true';
  const notice = el('div', { id: 'sync-notice', role: 'status', tabindex: '-1' });
  const listing = el('div', { id: 'sync-log-list' });
  const bulk = el('div', { id: 'retry-all' });
  const view = { status: wanted, dismissed: dismissedView ? 'true' : '' };

  function said(text, tone) {
    replace(notice, el('p', { className: tone === 'error' ? 'form-error' : 'result result-ok' }, text));
  }

  async function act(button, request, done) {
    button.disabled = true;
    let answer;
    try {
      answer = await request();
    } catch (failure) {
      button.disabled = false;
      said(sentence(failure.message), 'error');
      notice.focus();
      return;
    }
    said(done(answer));
    await refresh();
    notice.focus();
  }

  function retryOne(item, button) {
    return act(button, () => api(`/api/v1/sync-log/${encodeURIComponent(item.id)}/retry`, { method: 'POST' }),
      () => `${KINDS[item.kind] || item.kind} ${item.subject} is queued again and is being sent to Salesforce now.`);
  }

  function retryAll(code, button) {
    return act(button, () => api('/api/v1/sync-log/retry', { method: 'POST', body: { error_code: code } }), (answer) => {
      const retried = answer.retried;
      return `${retried} ${retried === 1 ? 'item' : 'items'} with ${code} ${retried === 1 ? 'is' : 'are'} queued `
        + 'again and being sent to Salesforce now.';
    });
  }

  // The reason form that opens under a row when Dismiss is pressed.
  function dismissForm(item, cell) {
    const reason = el('input', {
      id: `dismiss-reason-${item.id}`, name: 'reason', type: 'text', maxlength: 500, required: true,
      placeholder: 'Why leave it alone?',
    });
    const confirm = el('button', { type: 'submit', className: 'button-danger', 'data-confirm-dismiss': item.id }, 'Dismiss');
    const form = el('form', { className: 'dismiss-form', 'aria-label': `Dismiss ${item.subject}` },
      el('label', { for: reason.id, className: 'visually-hidden' }, 'Reason'), reason, confirm);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      act(confirm, () => api(`/api/v1/sync-log/${encodeURIComponent(item.id)}/dismiss`, {
        method: 'POST', body: { reason: reason.value },
      }), () => `${KINDS[item.kind] || item.kind} ${item.subject} is dismissed. It is listed under "Dismissed".`);
    });
    replace(cell, form);
    reason.focus();
  }

  function row(item, orgUrl) {
    const [words, tone] = SYNC_STATUSES[item.status] || [item.status, 'muted'];
    const retry = el('button', {
      type: 'button', className: 'button-quiet', 'data-retry': item.id, 'aria-label': `Retry ${item.subject}`,
    }, 'Retry');
    retry.addEventListener('click', () => retryOne(item, retry));
    const actions = el('td', { className: 'actions' }, retry);
    if (!item.dismissal && item.status !== 'retrying') {
      const dismiss = el('button', {
        type: 'button', className: 'button-quiet', 'data-dismiss': item.id, 'aria-label': `Dismiss ${item.subject}`,
      }, 'Dismiss');
      dismiss.addEventListener('click', () => dismissForm(item, actions));
      actions.append(dismiss);
    }
    return el('tr', { 'data-item': item.id, 'data-status': item.status },
      el('th', { scope: 'row' }, subjectLink(item), el('span', { className: 'sub' }, KINDS[item.kind] || item.kind)),
      callerCell(item, orgUrl),
      el('td', null, badge(words, tone), el('span', { className: 'sub' },
        `${item.attempts} ${item.attempts === 1 ? 'attempt' : 'attempts'}`), item.dismissal && dismissalNote(item)),
      errorCell(item),
      whenCell(item),
      actions);
  }

  function pager(log, shown) {
    const noun = log.total === 1 ? 'item' : 'items';
    return el('nav', { className: 'pager', 'aria-label': 'Pages' },
      el('span', { className: 'muted', id: 'sync-log-count' },
        shown === 0 ? `0 of ${log.total} ${noun}` : `${log.offset + 1}–${log.offset + shown} of ${log.total} ${noun}`),
      log.prev_cursor && el('a', {
        className: 'button-quiet', rel: 'prev', id: 'sync-newer', href: consoleHref('sync-log', { ...view, before: log.prev_cursor }),
      }, '← Newer'),
      log.next_cursor && el('a', {
        className: 'button-quiet', rel: 'next', id: 'sync-older', href: consoleHref('sync-log', { ...view, after: log.next_cursor }),
      }, 'Older →'));
  }

  async function refresh() {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    for (const name of ['status', 'dismissed']) if (view[name]) query.set(name, view[name]);
    for (const name of ['after', 'before']) if (params.get(name)) query.set(name, params.get(name));
    const log = await api(`/api/v1/sync-log?${query}`);
    const { items } = log;
    const codes = dismissedView ? [] : retryableCodes(items);
    replace(bulk, codes.length > 0 && el('section', { className: 'card', 'aria-labelledby': 'retry-all-heading' },
      el('h2', { id: 'retry-all-heading' }, 'Retry all of a kind'),
      el('p', { className: 'muted' }, 'Fixed the org (deactivated a rule, made a field optional)? Send again every '
        + 'parked or failed item that Salesforce refused for the same reason. Dismissed items are left alone.'),
      el('ul', { className: 'retry-kinds' }, codes.map(([code, count]) => {
        const button = el('button', { type: 'button', className: 'button-quiet', 'data-retry-code': code },
          `Retry all ${count} with `, el('code', null, code));
        button.addEventListener('click', () => retryAll(code, button));
        return el('li', null, button);
      }))));
    if (items.length === 0 && log.total === 0) {
      replace(listing, el('div', { className: 'empty-state', id: 'sync-log-empty' },
        el('p', null, el('strong', null, dismissedView ? 'No dismissed items.'
          : wanted ? 'No items with this status.' : 'Nothing needs your attention.')),
        el('p', { className: 'muted' }, 'Every call and text has been sent to Salesforce, or is on its way. When '
          + 'Salesforce refuses one (a validation rule, a required field, a duplicate rule), it shows here with '
          + 'Salesforce\'s own message.')));
      return;
    }
    replace(listing, pager(log, items.length), el('div', { className: 'table-wrap' }, el('table', { className: 'log', id: 'sync-log' },
      el('caption', { className: 'visually-hidden' }, 'Sync log items, newest first'),
      el('thead', null, el('tr', null, ['Call or text', 'Caller', 'Status', 'What Salesforce said', 'Last change', 'Actions']
        .map((heading) => el('th', { scope: 'col' }, heading)))),
      el('tbody', null, items.map((item) => row(item, log.org_url))))));
  }

  const select = el('select', { id: 'status-filter', name: 'status' },
    STATUS_FILTERS.map(([value, label]) => el('option', { value, selected: value === wanted }, label)));
  const showDismissed = el('input', { id: 'dismissed-filter', name: 'dismissed', type: 'checkbox', value: 'true', checked: dismissedView });
  const filters = el('form', { className: 'filters', id: 'sync-log-filters', method: 'get', action: '/console/sync-log' },
    el('div', { className: 'field' }, el('label', { for: 'status-filter' }, 'Status'), select),
    el('div', { className: 'field field-check' }, el('label', { for: 'dismissed-filter' }, showDismissed, 'Dismissed items')),
    el('div', { className: 'filter-actions' },
      el('button', { type: 'submit', className: 'button-primary' }, 'Filter'),
      el('a', { className: 'button-quiet', href: consoleHref('sync-log', view), id: 'refresh' }, 'Refresh')));

  await refresh();
  replace(main,
    pageHead('Sync log',
      'Calls and texts Salesforce refused, with its own error, and those callpop is retrying. Fix the cause in '
      + 'Salesforce (the message names it), then retry: callpop sends the item again as it was. Dismiss an item you '
      + 'mean to leave alone; it moves to the dismissed items with your reason.'),
    filters,
    notice,
    bulk,
    listing);
}
