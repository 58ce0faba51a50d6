// The Salesforce panel of a call or text (`salesforce` in `GET /api/v1/calls/{id}` and `/texts/{id}`): its sync
// status, the records Salesforce accepted, the Task, the fields written, Salesforce's own errors, the records the
// softphone chose, and the audit trail step by step. Everything from Salesforce is shown as text.

import { badge, el, facts } from './dom.js';
import { CHOSEN_BY, STEP_OUTCOMES, SYNC_STATUSES, SYNC_STEPS, dateTime, recordHref } from './format.js';

// A Salesforce record id: a link that opens the record in the org when the org's address is known, else text.
export function recordId(id, orgUrl) {
  const href = recordHref(orgUrl, id);
  return href
    ? el('a', { className: 'record-id', href, target: '_blank', rel: 'noopener noreferrer', 'data-record-link': id }, id)
    : el('span', { className: 'record-id' }, id);
}

function statusBadge(table, value) {
  const [words, tone] = table[value] || [value, 'muted'];
  return badge(words, tone);
}

function fieldValue(value) {
  if (value === null) return 'empty';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function fieldsTable(fields, caption) {
  const names = Object.keys(fields);
  return el('table', { className: 'fields' },
    el('caption', null, caption),
    el('thead', null, el('tr', null, el('th', { scope: 'col' }, 'Field'), el('th', { scope: 'col' }, 'Value'))),
    el('tbody', null, names.map((name) => el('tr', null,
      el('th', { scope: 'row' }, name), el('td', null, fieldValue(fields[name]))))));
}

function errorsList(errors) {
  return el('ul', { className: 'sf-errors' }, errors.map((error) => el('li', { className: 'sf-error' },
    el('p', { className: 'sf-error-head' },
      el('code', null, error.code), statusBadge(STEP_OUTCOMES, error.outcome),
      el('span', { className: 'muted' }, SYNC_STEPS[error.step] || error.step,
        error.object ? ` · ${error.object}` : '', ` · ${dateTime(error.occurred_at, true)}`)),
    el('p', { className: 'sf-error-message' }, error.message),
    error.fields && error.fields.length > 0 && el('p', { className: 'muted' }, `Fields: ${error.fields.join(', ')}`))));
}

function trailTable(trail, orgUrl) {
  return el('table', { className: 'trail', id: 'audit-trail' },
    el('caption', null, 'Audit trail, oldest first'),
    el('thead', null, el('tr', null, ['Time', 'Step', 'Record', 'Outcome', 'Details'].map((heading) =>
      el('th', { scope: 'col' }, heading)))),
    el('tbody', null, trail.map((step) => el('tr', { 'data-step': step.step },
      el('td', null, dateTime(step.occurred_at, true)),
      el('th', { scope: 'row' }, SYNC_STEPS[step.step] || step.step),
      el('td', null, step.object || '', step.record_id && ' ',
        step.record_id && recordId(step.record_id, orgUrl)),
      el('td', null, statusBadge(STEP_OUTCOMES, step.outcome)),
      el('td', null,
        step.detail && el('span', { className: 'step-detail' }, step.detail),
        step.error && el('span', { className: 'step-error' }, `${step.error.code}: ${step.error.message}`),
        Object.keys(step.fields).length > 0 && el('span', { className: 'muted step-fields' },
          `Wrote ${Object.keys(step.fields).join(', ')}`),
        step.api_requests > 1 && el('span', { className: 'muted' }, `${step.api_requests} requests`))))));
}

function appendsTable(appends, orgUrl) {
  return el('table', { className: 'appends' },
    el('caption', null, 'Records chosen in the softphone'),
    el('thead', null, el('tr', null, ['Record', 'Chosen as', 'Sent by', 'Sent at'].map((heading) =>
      el('th', { scope: 'col' }, heading)))),
    el('tbody', null, appends.map((append) => el('tr', null,
      el('th', { scope: 'row' }, `${append.record_type} `, recordId(append.record_id, orgUrl)),
      el('td', null, CHOSEN_BY[append.chosen_by] || append.chosen_by),
      el('td', null, append.sent_by || ''),
      el('td', null, dateTime(append.sent_at, true))))));
}

// The panel, as a section of the call's or text's page.
export function salesforcePanel(panel, orgUrl) {
  const section = el('section', { className: 'card salesforce-panel', id: 'salesforce-panel', 'aria-labelledby': 'sf-heading' },
    el('div', { className: 'panel-head' },
      el('h2', { id: 'sf-heading' }, 'Salesforce'),
      statusBadge(SYNC_STATUSES, panel.sync_status)),
    facts([
      ['Task', panel.task_id && recordId(panel.task_id, orgUrl)],
      ['REST requests', String(panel.api_requests)],
    ]));
  if (panel.trail.length === 0 && panel.appends.length === 0) {
    section.append(el('p', { className: 'muted', id: 'sf-nothing-yet' },
      'Nothing has been sent to Salesforce for this yet. The sync engine picks it up from its queue.'));
    return section;
  }
  if (panel.errors.length > 0) {
    section.append(el('h3', null, "Salesforce's errors"), errorsList(panel.errors));
  }
  if (panel.records.length > 0) {
    section.append(el('h3', null, 'Records'), el('ul', { className: 'sf-records' }, panel.records.map((record) =>
      el('li', null, `${record.object} `, recordId(record.record_id, orgUrl),
        el('span', { className: 'muted' }, ` · ${record.steps.map((step) => SYNC_STEPS[step] || step).join(', ')}`)))));
  }
  for (const written of panel.fields_written) {
    const caption = `Fields written to ${written.object}${written.record_id ? ` ${written.record_id}` : ''}`;
    section.append(fieldsTable(written.fields, caption));
  }
  if (panel.appends.length > 0) section.append(appendsTable(panel.appends, orgUrl));
  if (panel.trail.length > 0) section.append(trailTable(panel.trail, orgUrl));
  return section;
}

// What replaces the panel for someone who may not see it.
export function panelWithheld(me) {
  if (!me.salesforce_included) return null;
  return el('p', { className: 'note', id: 'salesforce-withheld' },
    'Limit Data Access is on for this account: what was sent to Salesforce is shown to report managers and '
    + 'administrators only.');
}
