// The local org's Salesforce Voice page: what Omni-Channel and the VoiceCall record page do with a telephony
// vendor's connector. It frames the connector, sends Salesforce's setup message with a MessagePort, and from then
// on speaks only over that port: the presence control sends SET_AGENT_STATUS, a CALL_STARTED shows the incoming
// work with Accept and Decline, a CALL_CONNECTED opens the call's VoiceCall record (found by its VendorCallKey, the
// vendor's call id, once the vendor's server has written it) with End call, Hold, Mute and Transfer (a blind one,
// to a number) and a keypad, and an AFTER_CALL_WORK_STARTED shows the call's after-call work with Close work
// (WRAP_UP_CALL). The dial pad sends DIAL; the call it starts gets the VoiceCall Salesforce makes for outbound calls.
// Every message both ways is logged in `#voice-log` and `window.__voiceLog`, for tests to read.

import { el, api } from './common.js';

const config = JSON.parse(document.getElementById('org-config').textContent);
const frame = document.getElementById('connector');
const presence = document.getElementById('presence');
const phoneState = document.getElementById('phone-state');
const work = document.getElementById('work');
const controls = document.getElementById('call-controls');
const afterCallWork = document.getElementById('after-call-work');
const recordView = document.getElementById('record');
const logList = document.getElementById('voice-log');

let port = null;
let connectedCall = null;
window.__voiceLog = [];

function logMessage(direction, message) {
  const telephonyEvent = message.payload && message.payload.telephonyEventType;
  window.__voiceLog.push({ direction, message });
  logList.append(el('li', {
    'data-direction': direction, 'data-type': message.type, 'data-event': telephonyEvent || null,
  }, `${direction === 'out' ? '→' : '←'} ${message.type}${telephonyEvent ? ` ${telephonyEvent}` : ''}`));
}

function send(message) {
  logMessage('out', message);
  port.postMessage(message);
}

function setPhoneState(state, text) {
  phoneState.dataset.state = state;
  phoneState.textContent = text;
}

// The setup message, as Salesforce sends it once the connector's frame has loaded: the contact center's settings
// and the port the connector keeps.
frame.addEventListener('load', () => {
  const channel = new MessageChannel();
  port = channel.port1;
  port.onmessage = (event) => received(event.data);
  const setup = {
    type: 'SETUP_CONNECTOR',
    connectorConfig: {
      '/reqGeneralInfo/reqAdapterUrl': config.connectorUrl,
      '/reqGeneralInfo/reqVendorInfoApiName': 'callpop__callpop',
      orgDomainName: location.hostname,
    },
  };
  logMessage('out', setup);
  frame.contentWindow.postMessage(setup, new URL(config.connectorUrl).origin, [channel.port2]);
});
if (config.connectorUrl) frame.src = config.connectorUrl;
else setPhoneState('unconfigured', 'No connector URL is set for the contact center.');

function received(message) {
  logMessage('in', message);
  if (message.type === 'CONNECTOR_READY') {
    presence.disabled = false;
    setPhoneState('ready', 'Phone ready');
    return;
  }
  if (message.type !== 'TELEPHONY_EVENT_DISPATCHED') return;
  const { telephonyEventType: type, telephonyEventPayload: payload } = message.payload;
  switch (type) {
    case 'SHOW_LOGIN': setPhoneState('login', 'Sign in to the phone'); break;
    case 'CALL_STARTED':
      if (payload.callType === 'Outbound') dialled(payload);
      else showIncoming(payload);
      break;
    case 'CALL_CONNECTED': callConnected(payload); break;
    case 'HANGUP': callEnded(); break;
    case 'AFTER_CALL_WORK_STARTED': showAfterCallWork(payload.callId); break;
    case 'WRAP_UP_ENDED': afterCallWorkEnded(payload.callId); break;
    case 'HOLD_TOGGLE': toggle('hold', 'resume', payload.isCustomerOnHold); break;
    case 'MUTE_TOGGLE': toggle('mute', 'unmute', payload.isMuted); break;
    case 'ERROR': setPhoneState('error', payload.message || 'The phone reported an error'); break;
    default: break;
  }
}

// The dial pad: an outbound call to the number typed.
document.getElementById('dial').addEventListener('click', () => {
  send({ type: 'DIAL', contact: { phoneNumber: document.getElementById('dial-number').value } });
});

presence.addEventListener('change', () => {
  send({ type: 'SET_AGENT_STATUS', agentStatus: presence.value, statusInfo: { statusApiName: presence.value } });
});

function showIncoming(call) {
  const card = el('div', { className: 'card', 'data-incoming': call.callId },
    el('div', { className: 'card-body' },
      el('p', {}, 'Incoming call from ', el('strong', { 'data-caller': true }, call.phoneNumber || 'an unknown number')),
      el('button', { type: 'button', className: 'button', 'data-accept': call.callId,
        onclick: () => send({ type: 'ACCEPT_CALL', call }) }, 'Accept'),
      el('button', { type: 'button', className: 'button', 'data-decline': call.callId,
        onclick: () => send({ type: 'DECLINE_CALL', call }) }, 'Decline')));
  work.replaceChildren(card);
}

// A call the agent dialled: Salesforce makes its VoiceCall itself (the vendor's server writes only inbound ones),
// shows it and offers End call while it rings.
async function dialled(call) {
  await api('/__ui/voice-calls', {
    method: 'POST', body: JSON.stringify({ vendorCallKey: call.callId, toPhoneNumber: call.phoneNumber || '' }),
  });
  callConnected(call);
}

function callConnected(call) {
  connectedCall = call;
  work.replaceChildren();
  controls.hidden = false;
  controls.dataset.callId = call.callId;
  toggle('hold', 'resume', false);
  toggle('mute', 'unmute', false);
  openVoiceCall(call.callId);
}

function callEnded() {
  work.replaceChildren();
  controls.hidden = true;
  connectedCall = null;
}

// Omni-Channel's after-conversation work: the ended call stays in the agent's work until the connector ends its
// wrap-up (WRAP_UP_ENDED) or the agent closes the work here, which asks the connector to wrap the call up.
function showAfterCallWork(callId) {
  const card = el('div', { className: 'card', 'data-after-call-work': callId },
    el('div', { className: 'card-body' },
      el('p', {}, 'After-call work'),
      el('button', { type: 'button', className: 'button', 'data-close-work': callId,
        onclick: () => {
          send({ type: 'WRAP_UP_CALL', call: { callId } });
          afterCallWorkEnded(callId);
        } }, 'Close work')));
  afterCallWork.append(card);
}

function afterCallWorkEnded(callId) {
  const card = afterCallWork.querySelector(`[data-after-call-work='${CSS.escape(callId)}']`);
  if (card) card.remove();
}

function toggle(on, off, active) {
  controls.querySelector(`[data-control='${on}']`).hidden = active;
  controls.querySelector(`[data-control='${off}']`).hidden = !active;
}

const CONTROL_MESSAGES = {
  end: () => ({ type: 'END_CALL', call: connectedCall, agentStatus: 'AfterCallWork' }),
  hold: () => ({ type: 'HOLD', call: connectedCall }),
  resume: () => ({ type: 'RESUME', call: connectedCall }),
  mute: () => ({ type: 'MUTE', call: connectedCall }),
  unmute: () => ({ type: 'UNMUTE', call: connectedCall }),
  keypad: () => ({ type: 'SEND_DIGITS', digits: document.getElementById('keypad-digits').value }),
  // Salesforce's transfer to a number the agent typed: a blind transfer, as its transfer dialog sends it.
  transfer: () => ({
    type: 'ADD_PARTICIPANT', call: connectedCall, isBlindTransfer: true,
    contact: { type: 'PhoneNumber', phoneNumber: document.getElementById('transfer-number').value },
  }),
};
controls.addEventListener('click', (event) => {
  const control = event.target.closest('[data-control]');
  if (control && connectedCall) send(CONTROL_MESSAGES[control.dataset.control]());
});

// The VoiceCall's record page: polled until the vendor's server has written the VoiceCall, as Salesforce shows the
// record once it exists, and then kept current while it is the page's call (as a Lightning record page shows a
// record's changes): the vendor's server links the caller's record and completes the call after it first exists.
// It is drawn again only when the record changed.
async function openVoiceCall(callId) {
  recordView.replaceChildren(el('p', { 'data-voice-call-pending': callId }, 'Waiting for the Voice Call record…'));
  recordView.dataset.callId = callId;
  let shown = null;
  // A later call's record replaces this one, and stops this loop.
  while (recordView.dataset.callId === callId) {
    try {
      const view = await api(`/__ui/voice-calls/${encodeURIComponent(callId)}`);
      const drawn = JSON.stringify(view);
      if (recordView.dataset.callId === callId && drawn !== shown) {
        shown = drawn;
        showVoiceCall(view);
      }
    } catch {
      // Not written yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const VOICE_CALL_FIELDS = ['VendorCallKey', 'CallType', 'FromPhoneNumber', 'ToPhoneNumber', 'CallStartDateTime',
  'CallEndDateTime', 'CallDisposition', 'ActivityId'];

function showVoiceCall(view) {
  const { record, related } = view;
  const fields = VOICE_CALL_FIELDS.map((field) => el('div', {},
    el('dt', {}, field), el('dd', { 'data-field': field }, record[field] ?? '')));
  fields.push(el('div', {}, el('dt', {}, 'Related Record'), el('dd', { 'data-field': 'RelatedRecordId' },
    related ? el('a', { href: `/lightning/r/${related.object}/${related.id}/view`, 'data-related-record': related.id },
      related.name) : (record.RelatedRecordId ?? ''))));
  recordView.replaceChildren(el('section', { className: 'card', 'data-page': 'voice-call', 'data-record-id': record.Id },
    el('div', { className: 'record-header' },
      el('div', {}, el('div', { className: 'object-label' }, 'Voice Call'), el('h1', { 'data-record-name': true }, view.name))),
    el('div', { className: 'card-body' }, el('dl', { className: 'fields' }, fields))));
}
