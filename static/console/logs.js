// The call log and the text log: filters kept in the URL, a page of rows from the API, paging by cursor, and the
// detail of one call or text. Both logs are this one module, told by a "kind" (pages/calls.js, pages/texts.js) what
// their rows and details look like.

import { ApiFailure, api } from './api.js';
import { badge, consoleHref, el, pageHead, replace } from './dom.js';
import { SYNC_STATUSES } from './format.js';
import { clearErrors, labelledInput, showFailure } from './forms.js';

const PAGE_SIZE = 25;
const FILTERS = ['agent', 'source', 'from', 'to'];

// A date input's value (YYYY-MM-DD) as the RFC 3339 time the API wants: the start of that day in the browser's
// time zone, or of the next day for an inclusive end. Anything else goes to the server as typed, and the server's
// 422 names the filter.
function dayStart(value, plusDays) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return value;
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + plusDays).toISOString();
}

function apiQuery(params) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  const agent = params.get('agent');
  const source = params.get('source');
  const from = params.get('from');
  const to = params.get('to');
  const cursor = params.get('cursor');
  if (agent) query.set('agent', agent);
  if (source) query.set('source', source);
  if (from) query.set('from', dayStart(from, 0));
  if (to) query.set('to', dayStart(to, 1));
  if (cursor) query.set('cursor', cursor);
  return query.toString();
}

// The filters in the URL, without the cursor or an open item.
export function currentFilters(params) {
  const filters = {};
  for (const name of FILTERS) filters[name] = params.get(name) || '';
  return filters;
}

function filterForm(kind, me, filters) {
  const form = el('form', { className: 'filters', id: 'log-filters', role: 'search', 'aria-label': `Filter ${kind.plural}`, novalidate: true },
    me.sees_all_calls && labelledInput({
      id: 'filter-agent', name: 'agent', label: 'Agent email', type: 'email', value: filters.agent,
    }),
    labelledInput({ id: 'filter-source', name: 'source', label: 'Tracking source', value: filters.source }),
    labelledInput({ id: 'filter-from', name: 'from', label: 'From', type: 'date', value: filters.from }),
    labelledInput({ id: 'filter-to', name: 'to', label: 'To (inclusive)', type: 'date', value: filters.to }),
    el('div', { className: 'filter-actions' },
      el('button', { type: 'submit', className: 'button-primary' }, 'Apply'),
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

function pager(kind, params, filters, page, count) {
  const links = [];
  if (params.get('cursor')) {
    links.push(el('a', { href: consoleHref(kind.slug, filters), className: 'button-quiet' }, `Newest ${kind.plural}`));
  }
  if (page.next_cursor) {
    links.push(el('a', {
      href: consoleHref(kind.slug, { ...filters, cursor: page.next_cursor }), className: 'button-quiet', rel: 'next',
      id: 'older',
    }, `Older ${kind.plural}`));
  }
  const noun = count === 1 ? kind.noun : kind.plural;
  return el('nav', { className: 'pager', 'aria-label': 'Pages' },
    el('span', { className: 'muted', id: 'log-count' }, `${count} ${noun} on this page`), links);
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
      ...currentFilters(params), cursor: params.get('cursor'),
    }));
    return;
  }
  const filters = currentFilters(params);
  const form = filterForm(kind, me, filters);
  const results = el('div', { id: 'log-results' });
  replace(main,
    pageHead(kind.title, me.sees_all_calls
      ? `Every ${kind.noun} of ${me.account_name}, newest first.`
      : `The ${kind.plural} assigned to you, newest first.`),
    form, results);
  clearErrors(form);
  let page;
  try {
    page = await api(`${kind.apiPath}?${apiQuery(params)}`);
  } catch (failure) {
    if (failure instanceof ApiFailure && failure.status === 422) {
      showFailure(form, failure);
      replace(results, el('p', { className: 'empty' }, `Correct the filter above to see ${kind.plural}.`));
      return;
    }
    throw failure;
  }
  const rows = page[kind.listKey];
  if (rows.length === 0) {
    replace(results, el('p', { className: 'empty', id: 'log-empty' }, emptyMessage(kind, me, filters)),
      params.get('cursor') ? pager(kind, params, filters, page, 0) : null);
    return;
  }
  replace(results, el('div', { className: 'table-wrap' }, table(kind, me, rows, filters)),
    pager(kind, params, filters, page, rows.length));
}

// The agent column's text: the callpop user's name, or the agent as the telephony side named them.
export function agentName(row) {
  if (row.agent) return row.agent.display_name;
  return row.agent_ref ? `${row.agent_ref} (not a callpop user)` : 'Nobody';
}
