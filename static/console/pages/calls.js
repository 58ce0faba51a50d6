// The call log (`GET /api/v1/calls`) and one call (`?call=<id>`: `GET /api/v1/calls/{id}`) with its events and,
// for those who may see it, its Salesforce panel.

import { api } from '../api.js';
import { el, facts, replace } from '../dom.js';
import { CALL_STATES, dateTime, directionName, duration, safeHttpUrl } from '../format.js';
import { agentName, renderLog } from '../logs.js';
import { panelWithheld, salesforcePanel } from '../salesforce-panel.js';

function place(call) {
  return [call.caller_city, call.caller_region, call.caller_country].filter(Boolean).join(', ');
}

function recording(call) {
  if (!call.recording_url) return null;
  const href = safeHttpUrl(call.recording_url);
  return href ? el('a', { href, rel: 'noopener noreferrer', target: '_blank' }, 'Listen to the recording')
    : call.recording_url;
}

async function renderCall(main, { me }, callId, backHref) {
  const call = await api(`/api/v1/calls/${encodeURIComponent(callId)}`);
  const customFields = Object.entries(call.custom_fields || {});
  replace(main,
    el('p', { className: 'back' }, el('a', { href: backHref }, '← Back to the call log')),
    el('div', { className: 'page-head' },
      el('h1', null, `${directionName(call.direction)} call `, call.direction === 'outbound' ? 'to ' : 'from ',
        el('span', { id: 'call-number' }, call.caller_number)),
      call.caller_name && el('p', { className: 'lead' }, call.caller_name)),
    el('div', { className: 'detail' },
      el('section', { className: 'card', 'aria-labelledby': 'call-heading', id: 'call-facts' },
        el('h2', { id: 'call-heading' }, 'The call'),
        facts([
          ['Call id', call.call_id],
          ['State', CALL_STATES[call.state] || call.state],
          ['Started', dateTime(call.started_at, true)],
          ['Answered', dateTime(call.answered_at, true)],
          ['Ended', dateTime(call.ended_at, true)],
          ['Duration', duration(call.duration_secs)],
          ['Agent', agentName(call)],
          ['Caller', call.caller_e164 !== call.caller_number ? `${call.caller_number} (${call.caller_e164})` : call.caller_number],
          ['Location', place(call)],
          ['Tracking number', call.tracking_number],
          ['Tracking source', call.tracking_source],
          ['Campaign', call.campaign],
          ['Result', call.disposition],
          ['Recording', recording(call)],
          ['Keywords', call.keywords.join(', ')],
          ['Tags', call.tags.join(', ')],
        ]),
        customFields.length > 0 && el('h3', null, 'Custom fields'),
        customFields.length > 0 && facts(customFields.map(([name, value]) =>
          [name, typeof value === 'string' ? value : JSON.stringify(value)])),
        el('h3', null, 'Events'),
        el('ol', { className: 'events' }, call.events.map((event) => el('li', null,
          el('strong', null, CALL_STATES[event.kind] || event.kind), ` at ${dateTime(event.occurred_at, true)}`,
          el('span', { className: 'muted' }, ` · received ${dateTime(event.received_at, true)}`))))),
      call.salesforce ? salesforcePanel(call.salesforce, call.org_url) : panelWithheld(me)));
}

const CALLS = {
  slug: 'calls',
  title: 'Call log',
  noun: 'call',
  plural: 'calls',
  apiPath: '/api/v1/calls',
  listKey: 'calls',
  idKey: 'call_id',
  detailParam: 'call',
  renderDetail: renderCall,
  columns: [
    { heading: 'Caller', cell: (call, href) => [
      el('a', { href }, call.caller_number),
      call.caller_name && el('span', { className: 'sub' }, call.caller_name)] },
    { heading: 'Started', cell: (call) => dateTime(call.started_at) },
    { heading: 'Call', cell: (call) => [directionName(call.direction),
      el('span', { className: 'sub' }, CALL_STATES[call.state] || call.state)] },
    { heading: 'Source', cell: (call) => [call.tracking_source || '—',
      call.campaign && el('span', { className: 'sub' }, call.campaign)] },
    { heading: 'Agent', cell: (call) => agentName(call) },
    { heading: 'Duration', cell: (call) => duration(call.duration_secs) },
  ],
};

export async function render(main, context) {
  await renderLog(main, context, CALLS);
}
