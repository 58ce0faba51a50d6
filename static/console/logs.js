// The call log and the text log: the search (number, name, agent, source, dates, sync status) kept in the URL, a
// page of rows from the API with its counts, paging both ways by cursor, the CSV export of what the search shows,
// and the detail of one call or text. Both logs are this one module, told by a "kind" (pages/calls.js,
// pages/texts.js) what their rows and details look like.

import { ApiFailure, api, apiText } from './api.js';
import { badge, consoleHref, el, pageHead, replace } from './dom.js';
import { SYNC_STATUSES, sentence } from './format.js';
import { clearErrors, labelledInput, showFailure } from './forms.js';

const PAGE_SIZE = 25;
// The search's parameters, named as the API names them: the URL, the form's inputs and the API query agree.
const FILTERS = ['number', 'name', 'agent', 'source', 'from', 'to', 'sync_status'];
// The most rows an export holds (the server's cap).
const EXPORT_CAP = 100000;

// The API's query for the search in the URL: the filters as typed (dates are days on the org's calendar, which the
// server reads), and the page's cursor.
function searchQuery(params, withPage) {
  const query = new URLSearchParams();
  for (const name of FILTERS) {
    const value = params.get(name);
    if (value) query.set(name, value);
  }
  if (withPage) {
    query.set('limit', String(PAGE_SIZE));
    for (const cursor of ['after', 'before']) {
      if (params.get(cursor)) query.set(cursor, params.get(cursor));
    }
  }
  return query.toString();
}

// The filters in the URL, without the cursor or an open item.
export function currentFilters(params) {
  const filters = {};
  for (const name of FILTERS) filters[name] = params.get(name) || '';
  return filters;
}

function syncStatusSelect(value) {
  return el('div', { className: 'field' },
    el('label', { for: 'filter-sync_status' }, 'Salesforce'),
    el('select', { id: 'filter-sync_status', name: 'sync_status', 'aria-describedby': 'filter-sync_status-error' },
      el('option', { value: '', selected: !value }, 'Any status'),
      Object.entries(SYNC_STATUSES).map(([status, [words]]) => el('option', { value: status, selected: status === value }, words))),
    el('p', { className: 'field-error', id: 'filter-sync_status-error', hidden: true }));
}

function filterForm(kind, me, filters) {
  const form = el('form', { className: 'filters', id: 'log-filters', role: 'search', 'aria-label': `Search ${kind.plural}`, novalidate: true },
    labelledInput({ id: 'filter-number', name: 'number', label: 'Number', type: 'search', value: filters.number,
      attributes: { inputmode: 'tel', placeholder: 'Any format' } }),
    labelledInput({ id: 'filter-name', name: 'name', label: 'Caller name', type: 'search', value: filters.name }),
    me.sees_all_calls && labelledInput({
      id: 'filter-agent', name: 'agent', label: 'Agent email', type: 'email', value: filters.agent,
    }),
    labelledInput({ id: 'filter-source', name: 'source', label: 'Tracking source', value: filters.source }),
    labelledInput({ id: 'filter-from', name: 'from', label: 'From', type: 'date', value: filters.from }),
    labelledInput({ id: 'filter-to', name: 'to', label: 'To (inclusive)', type: 'date', value: filters.to }),
    me.sees_salesforce_panel && syncStatusSelect(filters.sync_status),
    el('div', { className: 'filter-actions' },
      el('button', { type: 'submit', className: 'button-primary' }, 'Search'),
      el('a', { href: `/console/${kind.slug}`, className: 'button-quiet' }, 'Clear')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = {};
    for (const name of FILTERS) {
      const input = form.elements[name];
      if (input) chosen[name] = input.value.trim();
    }
    window.location.assign(consoleHref(kind.slug, chosen));
  });
  return form;
}

function syncBadge(status) {
  const [words, tone] = SYNC_STATUSES[status] || [status, 'muted'];
  return badge(words, tone);
}

function table(kind, me, rows, filters) {
  const columns = [...kind.columns];
  if (me.sees_salesforce_panel) {
    columns.push({ heading: 'Salesforce', cell: (row) => (row.sync_status ? syncBadge(row.sync_status) : '') });
  }
  return el('table', { className: 'log', id: 'log-table' },
    el('caption', { className: 'visually-hidden' }, `${kind.title}, newest first`),
    el('thead', null, el('tr', null, columns.map((column) => el('th', { scope: 'col' }, column.heading)))),
    el('tbody', null, rows.map((row) => el('tr', { 'data-id': row[kind.idKey] },
      columns.map((column, index) => el(index === 0 ? 'th' : 'td', index === 0 ? { scope: 'row' } : null,
        column.cell(row, consoleHref(kind.slug, { ...filters, [kind.detailParam]: row[kind.idKey] }))))))));
}

// "26–50 of 123 calls", and the links to the newest, newer and older pages. The pager is drawn above and below the
// table; the one above carries the ids tests and links name (`#log-count`, `#newer`, `#older`).
function pager(kind, filters, page, shown, above) {
  const id = (name) => (above ? name : null);
  const noun = page.total === 1 ? kind.noun : kind.plural;
  const count = shown === 0
    ? `0 of ${page.total} ${noun}`
    : `${page.offset + 1}–${page.offset + shown} of ${page.total} ${noun}`;
  return el('nav', { className: 'pager', 'aria-label': 'Pages' },
    el('span', { className: 'muted', id: id('log-count') }, count),
    page.offset > 0 && el('a', { href: consoleHref(kind.slug, filters), className: 'button-quiet', id: id('newest') },
      'Newest'),
    page.prev_cursor && el('a', {
      href: consoleHref(kind.slug, { ...filters, before: page.prev_cursor }), className: 'button-quiet', rel: 'prev',
      id: id('newer'),
    }, `← Newer ${kind.plural}`),
    page.next_cursor && el('a', {
      href: consoleHref(kind.slug, { ...filters, after: page.next_cursor }), className: 'button-quiet', rel: 'next',
      id: id('older'),
    }, `Older ${kind.plural} →`));
}

// The Export button: the search's every page as CSV, fetched with the session token (a plain link could not send
// it) and offered as a download from memory.
function exportButton(kind, params, total) {
  const notice = el('span', { className: 'muted', id: 'export-notice', role: 'status' },
    total > EXPORT_CAP ? `The export holds the newest ${EXPORT_CAP.toLocaleString()}; narrow the dates for the rest.` : '');
  const button = el('button', { type: 'button', className: 'button-quiet', id: 'export-csv' },
    `Export ${total === 1 ? `1 ${kind.noun}` : `${total.toLocaleString()} ${kind.plural}`} as CSV`);
  button.addEventListener('click', async () => {
    button.disabled = true;
    replace(notice, 'Preparing the file…');
    try {
      const query = searchQuery(params, false);
      const csv = await apiText(`${kind.apiPath}/export.csv${query ? `?${query}` : ''}`, 'text/csv');
      const link = el('a', {
        href: URL.createObjectURL(new Blob([csv], { type: 'text/csv' })),
        download: `${kind.plural}-${new Date().toISOString().slice(0, 10)}.csv`,
        hidden: true,
      });
      document.body.append(link);
      link.click();
      link.remove();
      replace(notice, 'Downloaded.');
    } catch (failure) {
      replace(notice, failure instanceof ApiFailure ? sentence(failure.message) : 'The export failed. Try again.');
    } finally {
      button.disabled = false;
    }
  });
  return el('div', { className: 'export' }, button, notice);
}

function emptyMessage(kind, me, filters) {
  const filtered = FILTERS.some((name) => filters[name]);
  if (filtered) return `No ${kind.plural} match these filters.`;
  return me.sees_all_calls ? `No ${kind.plural} yet.` : `No ${kind.plural} assigned to you yet.`;
}

// Draws the log, or the detail of one item when the URL names one (`?call=…`, `?text=…`).
export async function renderLog(main, context, kind) {
  const { me, params } = context;
  const openId = params.get(kind.detailParam);
  if (openId) {
    await kind.renderDetail(main, context, openId, consoleHref(kind.slug, {
      ...currentFilters(params), after: params.get('after'), before: params.get('before'),
    }));
    return;
  }
  const filters = currentFilters(params);
  const form = filterForm(kind, me, filters);
  const results = el('div', { id: 'log-results' });
  replace(main,
    pageHead(kind.title, me.sees_all_calls
      ? `Every ${kind.noun} of ${me.account_name}, newest first. Dates are days on your Salesforce org's calendar.`
      : `The ${kind.plural} assigned to you, newest first. Dates are days on your Salesforce org's calendar.`),
    form, results);
  clearErrors(form);
  let page;
  try {
    page = await api(`${kind.apiPath}?${searchQuery(params, true)}`);
  } catch (failure) {
    if (failure instanceof ApiFailure && (failure.status === 422 || failure.status === 403)) {
      showFailure(form, failure);
      replace(results, el('p', { className: 'empty' }, `Correct the filter above to see ${kind.plural}.`));
      return;
    }
    throw failure;
  }
  const rows = page[kind.listKey];
  const head = el('div', { className: 'log-head' }, pager(kind, filters, page, rows.length, true),
    page.total > 0 && exportButton(kind, params, page.total));
  if (rows.length === 0) {
    replace(results, el('p', { className: 'empty', id: 'log-empty' }, emptyMessage(kind, me, filters)),
      page.total > 0 ? head : null);
    return;
  }
  replace(results, head, el('div', { className: 'table-wrap' }, table(kind, me, rows, filters)),
    rows.length > 10 && pager(kind, filters, page, rows.length, false));
}

// The agent column's text: the callpop user's name, or the agent as the telephony side named them.
export function agentName(row) {
  if (row.agent) return row.agent.display_name;
  return row.agent_ref ? `${row.agent_ref} (not a callpop user)` : 'Nobody';
}
