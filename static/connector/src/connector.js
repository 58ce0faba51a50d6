// callpop's connector for Salesforce Voice with Partner Telephony: the page Salesforce frames in place of the Open
// CTI softphone. Salesforce's own library, `@salesforce/scv-connector-base` (bundled by `cargo xtask build-wasm`
// with esbuild into `static/connector/pkg/`), takes Salesforce's setup message, but only from a Salesforce origin,
// and then speaks over a MessagePort; this module is the `VendorConnector` it calls.
//
// It talks to the callpop server that serves it (same origin) with the API the softphone uses: sign-in (a session
// token kept in memory, and the session cookie, partitioned, for a reload), the agent's event stream through a
// stream ticket, the pop claim on Answer, the call commands, the agent's status and the wrap-up.
//
// Done: `init` (the connector's own sign-in form when there is no session, then `LOGIN_RESULT`), a ringing call on
// the stream published as `CALL_STARTED`, a call that ends on the telephony side published as `HANGUP`,
// `acceptCall` (the pop claim), `declineCall` and `endCall` (a hang-up the telephony side confirms), `hold`/`resume`
// and `mute`/`unmute` (resolved once the telephony side confirms them, rejected with its reason), `sendDigits`,
// `setAgentStatus` (Online and Offline), `getActiveCalls`, `getAgentConfig`, `getCapabilities`, `logout`, and the
// call's wrap-up: when a call the agent took ends, the connector's page shows its notes and disposition (the
// account's list, what the server already holds filled in) with Save and Done, and tells Salesforce
// `AFTER_CALL_WORK_STARTED`; Done saves them, ends callpop's after-call work and tells Salesforce `WRAP_UP_ENDED`;
// Salesforce's own end of the wrap-up (`wrapUpCall`) does the same with what the agent has typed so far. The
// server sends the disposition to the call's VoiceCall and the notes to its Task.
// `addParticipant` is callpop's transfer, blind only (the telephony side hands the call over; there is no
// consultation leg): to another callpop agent (a contact of type Agent, by email) or to a number, resolved once the
// telephony side has confirmed it; `getPhoneContacts` offers the number the agent typed.
// `dial` is callpop's click-to-dial (`POST /api/v1/agent/dial`): the telephony side places the call and reports it,
// and `dial` resolves with the first outbound call the stream then shows (the dial request's call), which
// Salesforce takes as started; the connector tells Salesforce `CALL_CONNECTED` when the telephony side reports the
// answer. Salesforce itself makes an outbound call's VoiceCall.
// Not done, so they reject with the package's own "Not implemented" error (the base class's): `swap`, `conference`,
// `pauseRecording`/`resumeRecording`, `setAgentConfig`, `getSignedRecordingUrl` and the supervisor methods.
//
// The caller's record: Salesforce pops the VoiceCall's related record, which callpop's server links. A connector
// cannot query the org, so once the agent accepts a call (legacy mode off; legacy mode names the record on the
// server) the connector asks the server (`GET /api/v1/agent/calls/{id}/matches`), which searches the org and
// answers with core's decision, the Open CTI softphone's: one match gets the call's activity, several show the
// multi-match dialog here (the record picked last time for this number first, marked), and the agent's pick gets
// it (`POST /api/v1/activities`, as the softphone appends); the server then links the VoiceCall to that record.

import {
  initializeConnector, publishEvent, VendorConnector, Constants, InitResult, GenericResult, CallResult, HangupResult,
  HoldToggleResult, MuteToggleResult, ActiveCallsResult, AgentConfigResult, CapabilitiesResult, LogoutResult,
  PhoneCall, PhoneCallAttributes, CallInfo, Contact, ParticipantResult, PhoneContactsResult,
} from '@salesforce/scv-connector-base';

// The session token, in memory only: the partitioned cookie is what survives a reload.
let token = null;
// The agent's calls as the stream last showed them, by callpop's call id.
const calls = new Map();
// The calls already published to Salesforce as started, and those already ended there.
const started = new Set();
const ended = new Set();
// Promises waiting for the telephony side to confirm something of a call: `{ callId, done, failed, resolve, reject }`.
let waiters = [];
// A dial waiting for its call to reach the stream: `{ resolve, reject, timer }`.
let pendingDial = null;
// The outbound calls Salesforce was told are connected.
const connected = new Set();
let stream = null;
let lastEventId = null;

const page = {
  root: document.getElementById('connector'),
  status: document.getElementById('status'),
  signin: document.getElementById('signin'),
  form: document.getElementById('signin-form'),
  error: document.getElementById('signin-error'),
};

const matchesUi = {
  section: document.getElementById('matches'),
  caller: document.getElementById('matches-caller'),
  list: document.getElementById('matches-list'),
  error: document.getElementById('matches-error'),
};

const wrapUp = {
  section: document.getElementById('wrap-up'),
  caller: document.getElementById('wrap-up-caller'),
  disposition: document.getElementById('wrap-up-disposition'),
  notes: document.getElementById('wrap-up-notes'),
  error: document.getElementById('wrap-up-error'),
  save: document.getElementById('wrap-up-save'),
  done: document.getElementById('wrap-up-done'),
};
// The account's dispositions (a promise), read once per page.
let dispositionList = null;
// The calls whose after-call work Salesforce was told of, and what the server holds of each call's wrap-up (from
// the stream after a reload, then from each save's answer), so that an end of the wrap-up clears nothing.
const afterCallWork = new Set();
const transferred = new Set();
const savedWrapUps = new Map();

function show(state, text) {
  page.root.dataset.state = state;
  page.status.textContent = text;
}

// A request to the server; resolves with the parsed body of a 2xx answer, and rejects with the server's message.
async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error(parsed && parsed.message ? parsed.message : `the server answered ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return parsed;
}

const callPath = (callId, rest) => `/api/v1/agent/calls/${encodeURIComponent(callId)}/${rest}`;

// A callpop call as Salesforce's `PhoneCall`, in `state` (ringing, connected or ended).
function phoneCall(update, state) {
  const control = update.control || {};
  return new PhoneCall({
    callId: update.call_id,
    callType: update.direction === 'outbound' ? Constants.CALL_TYPE.OUTBOUND : Constants.CALL_TYPE.INBOUND,
    contact: new Contact({ phoneNumber: update.caller_number, name: update.caller_name || undefined }),
    phoneNumber: update.caller_number,
    state,
    callInfo: new CallInfo({ isOnHold: Boolean(control.held), isMuted: Boolean(control.muted) }),
    callAttributes: new PhoneCallAttributes({
      participantType: Constants.PARTICIPANT_TYPE.INITIAL_CALLER, isOnHold: Boolean(control.held),
    }),
  });
}

// A call this agent hung up or transferred away is over for them, whatever the telephony side says of it.
function stateOf(update) {
  const control = update.control || {};
  if (update.state === 'completed' || control.hung_up || control.transferred_to) return Constants.CALL_STATE.ENDED;
  return update.state === 'answered' || update.popped ? Constants.CALL_STATE.CONNECTED : Constants.CALL_STATE.RINGING;
}

// What the stream says of one call: a new ringing call is published as started; a call that ended on the telephony
// side, and that no `endCall` is waiting for, as hung up.
function callUpdated(update) {
  calls.set(update.call_id, update);
  const state = stateOf(update);
  if (state === Constants.CALL_STATE.RINGING && update.direction === 'inbound' && !started.has(update.call_id)) {
    started.add(update.call_id);
    publishEvent({ eventType: Constants.EVENT_TYPE.CALL_STARTED, payload: new CallResult({ call: phoneCall(update, state) }) });
  }
  // The call a dial asked for: the library tells Salesforce it started once `dial` resolves with it.
  if (update.direction === 'outbound' && pendingDial && !started.has(update.call_id) && state !== Constants.CALL_STATE.ENDED) {
    started.add(update.call_id);
    const { resolve, timer } = pendingDial;
    pendingDial = null;
    clearTimeout(timer);
    resolve(new CallResult({ call: phoneCall(update, Constants.CALL_STATE.RINGING) }));
  }
  if (update.direction === 'outbound' && started.has(update.call_id) && update.state === 'answered'
    && state === Constants.CALL_STATE.CONNECTED && !connected.has(update.call_id)) {
    connected.add(update.call_id);
    publishEvent({ eventType: Constants.EVENT_TYPE.CALL_CONNECTED, payload: new CallResult({ call: phoneCall(update, state) }) });
  }
  // An `endCall` or `declineCall` waiting for this end answers Salesforce itself: the library publishes the hang-up.
  let answeredByWaiter = false;
  for (const waiter of waiters.filter((each) => each.callId === update.call_id)) {
    if (waiter.done(update)) {
      waiter.resolve(update);
      // The library publishes the end of a hang-up or a blind transfer that it asked for itself.
      answeredByWaiter = answeredByWaiter || waiter.kind === 'hang_up' || waiter.kind === 'transfer';
    } else if (waiter.failed(update)) {
      waiter.reject(new Error(update.control.failure.reason));
    } else {
      continue;
    }
    waiters = waiters.filter((other) => other !== waiter);
  }
  if (state === Constants.CALL_STATE.ENDED && started.has(update.call_id) && !ended.has(update.call_id)) {
    ended.add(update.call_id);
    if (!answeredByWaiter) {
      publishEvent({ eventType: Constants.EVENT_TYPE.HANGUP, payload: new HangupResult({ calls: [phoneCall(update, state)] }) });
    }
  }
  if (update.saved_wrap_up) savedWrapUps.set(update.call_id, update.saved_wrap_up);
  // The stream shows an ended call without its controls: remember that the agent handed it over while it was live.
  if (update.control && update.control.transferred_to) transferred.add(update.call_id);
  // A call the agent took that is over (or, after a reload, one the server says is still in after-call work), and
  // that they did not hand over: a transferred call's wrap-up is the next agent's.
  const taken = update.popped || update.after_call_work || connected.has(update.call_id);
  if (state === Constants.CALL_STATE.ENDED && taken && !transferred.has(update.call_id)) {
    startAfterCallWork(update);
  }
}

// Appends the call's activity to `record`, as the Open CTI softphone does after its pop.
function appendTo(callId, record, chosenBy) {
  const body = { call_id: callId, record_id: record.id, record_type: record.object, chosen_by: chosenBy };
  return request('POST', '/api/v1/activities', body);
}

// The caller's record for an accepted call: what core decided on the server, carried out.
async function chooseRecord(update) {
  if (update.direction !== 'inbound' || (update.options && update.options.legacy_mode)) return;
  try {
    const pop = await request('GET', callPath(update.call_id, 'matches'));
    if (pop.plan === 'append') await appendTo(update.call_id, pop.matches[0], 'single_match');
    if (pop.plan === 'ask_agent') showMatches(update, pop);
  } catch (error) {
    show('live', `Connected · the caller was not looked up: ${error.message}`);
  }
}

// The multi-match dialog: one button per record; the agent's pick gets the call's activity.
function showMatches(update, pop) {
  const choose = async (record) => {
    matchesUi.error.hidden = true;
    try {
      await appendTo(update.call_id, record, 'agent_choice');
      matchesUi.section.hidden = true;
    } catch (error) {
      matchesUi.error.textContent = error.message;
      matchesUi.error.hidden = false;
    }
  };
  const rows = pop.matches.map((record) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.record = record.id;
    const label = record.id === pop.remembered ? `${record.object} · chosen last time` : record.object;
    const detail = document.createElement('span');
    detail.className = 'object';
    detail.textContent = label;
    button.append(record.name, detail);
    button.addEventListener('click', () => choose(record));
    const row = document.createElement('li');
    row.append(button);
    return row;
  });
  matchesUi.caller.textContent = update.caller_name || update.caller_number;
  matchesUi.list.replaceChildren(...rows);
  matchesUi.error.hidden = true;
  matchesUi.section.dataset.callId = update.call_id;
  matchesUi.section.hidden = false;
}

function dispositions() {
  if (!dispositionList) {
    dispositionList = request('GET', '/api/v1/agent/wrap-up-settings').then((settings) => settings.dispositions);
    dispositionList.catch(() => { dispositionList = null; });
  }
  return dispositionList;
}

// Shows the ended call's wrap-up and tells Salesforce its after-call work started, once per call. A wrap-up still
// shown for an earlier call is saved first, so nothing typed is lost.
async function startAfterCallWork(update) {
  if (afterCallWork.has(update.call_id)) return;
  afterCallWork.add(update.call_id);
  publishEvent({ eventType: Constants.EVENT_TYPE.AFTER_CALL_WORK_STARTED, payload: { callId: update.call_id } });
  const shown = wrapUp.section.hidden ? null : wrapUp.section.dataset.callId;
  if (shown) saveWrapUp(shown, typedWrapUp(), false).catch(() => {});
  const saved = savedWrapUps.get(update.call_id) || { notes: '', disposition: null };
  const list = await dispositions().catch(() => []);
  const choices = saved.disposition && !list.includes(saved.disposition) ? [...list, saved.disposition] : list;
  wrapUp.disposition.replaceChildren(new Option('No disposition', ''), ...choices.map((each) => new Option(each, each)));
  wrapUp.disposition.value = saved.disposition || '';
  wrapUp.notes.value = saved.notes;
  wrapUp.caller.textContent = update.caller_name || update.caller_number;
  wrapUp.error.hidden = true;
  wrapUp.section.dataset.callId = update.call_id;
  wrapUp.section.hidden = false;
}

// What the agent has typed in the wrap-up shown.
function typedWrapUp() {
  return { notes: wrapUp.notes.value, disposition: wrapUp.disposition.value || null };
}

async function saveWrapUp(callId, typed, done) {
  const saved = await request('PUT', callPath(callId, 'wrap-up'), { ...typed, done });
  savedWrapUps.set(callId, { notes: saved.notes, disposition: saved.disposition });
  return saved;
}

// Saves the shown wrap-up (and with Done, ends the after-call work); a refusal is shown under the buttons.
async function submitWrapUp(done) {
  const callId = wrapUp.section.dataset.callId;
  wrapUp.error.hidden = true;
  try {
    await saveWrapUp(callId, typedWrapUp(), done);
  } catch (error) {
    wrapUp.error.textContent = error.message;
    wrapUp.error.hidden = false;
    return;
  }
  if (done) {
    closeWrapUp(callId);
    publishEvent({ eventType: Constants.EVENT_TYPE.WRAP_UP_ENDED, payload: { callId } });
  }
}

function closeWrapUp(callId) {
  if (wrapUp.section.dataset.callId === callId) wrapUp.section.hidden = true;
}

wrapUp.save.addEventListener('click', () => submitWrapUp(false));
wrapUp.done.addEventListener('click', () => submitWrapUp(true));

// Sends a call command, and resolves with the call once the telephony side has confirmed it (`done`), or rejects
// with the telephony side's reason when it could not carry it out.
async function command(callId, body, done) {
  const kind = body.command;
  const confirmed = new Promise((resolve, reject) => {
    const failed = (update) => {
      const control = update.control || {};
      return !control.pending && control.failure && control.failure.command === kind;
    };
    waiters.push({ callId, kind, done, failed, resolve, reject });
  });
  try {
    await request('POST', callPath(callId, 'commands'), body);
  } catch (error) {
    waiters = waiters.filter((waiter) => waiter.callId !== callId || waiter.done !== done);
    throw error;
  }
  return confirmed;
}

const notPending = (update) => !(update.control && update.control.pending);
const hungUp = (update) => stateOf(update) === Constants.CALL_STATE.ENDED;

// The call Salesforce means when a method names none (mute): the agent's one connected call.
function connectedCall() {
  for (const update of calls.values()) {
    if (stateOf(update) === Constants.CALL_STATE.CONNECTED) return update;
  }
  throw new Error('there is no connected call');
}

function openStream(ticket) {
  let url = `/api/v1/agent/stream?ticket=${encodeURIComponent(ticket.ticket)}`;
  if (lastEventId) url += `&after=${encodeURIComponent(lastEventId)}`;
  stream = new EventSource(url);
  stream.addEventListener('call', (event) => {
    if (event.lastEventId) lastEventId = event.lastEventId;
    callUpdated(JSON.parse(event.data));
  });
  stream.addEventListener('ready', () => show('live', 'Connected'));
  stream.addEventListener('ended', () => {
    closeStream();
    token = null;
    show('signed-out', 'Signed out');
  });
  stream.onerror = () => {
    closeStream();
    show('reconnecting', 'Reconnecting…');
    setTimeout(connectStream, 2000);
  };
}

function closeStream() {
  if (stream) stream.close();
  stream = null;
}

async function connectStream() {
  try {
    openStream(await request('POST', '/api/v1/agent/stream-tickets', {}));
  } catch (error) {
    if (error.status === 401) show('signed-out', 'Signed out');
    else setTimeout(connectStream, 2000);
  }
}

// The connector's sign-in form, shown when `init` finds no session; a sign-in is reported to Salesforce as
// `LOGIN_RESULT`, after which the library tells Salesforce the connector is ready.
function showSignIn() {
  show('signin', 'Signed out');
  page.signin.hidden = false;
  page.form.addEventListener('submit', async (event) => {
    event.preventDefault();
    page.error.hidden = true;
    const email = page.form.elements.email.value;
    const password = page.form.elements.password.value;
    try {
      const login = await request('POST', '/api/v1/sessions', { email, password, session_cookie: true });
      token = login.token;
    } catch (error) {
      page.error.textContent = error.message;
      page.error.hidden = false;
      return;
    }
    page.signin.hidden = true;
    connectStream();
    publishEvent({ eventType: Constants.EVENT_TYPE.LOGIN_RESULT, payload: new GenericResult({ success: true }) });
  });
}

// The agent's status in callpop for Salesforce's Omni-Channel presence.
const AGENT_STATUSES = {
  [Constants.AGENT_STATUS.ONLINE]: 'available',
  [Constants.AGENT_STATUS.OFFLINE]: 'offline',
  [Constants.AGENT_STATUS.ACW]: 'after_call_work',
};

class CallpopConnector extends VendorConnector {
  async init() {
    try {
      // The partitioned session cookie of an earlier sign-in in this org's tabs.
      await request('GET', '/api/v1/me');
    } catch {
      showSignIn();
      return new InitResult({ showLogin: true });
    }
    connectStream();
    return new InitResult({});
  }

  async getActiveCalls() {
    const active = [...calls.values()]
      .filter((update) => started.has(update.call_id) && !ended.has(update.call_id))
      .map((update) => phoneCall(update, stateOf(update)));
    return new ActiveCallsResult({ activeCalls: active });
  }

  async acceptCall(call) {
    const claim = await request('POST', callPath(call.callId, 'pop'), {});
    const update = calls.get(call.callId);
    calls.set(call.callId, { ...update, popped: true });
    // Another of the agent's tabs that took the call first looks the caller up.
    if (claim.claimed) chooseRecord(update);
    return new CallResult({ call: phoneCall(update, Constants.CALL_STATE.CONNECTED) });
  }

  async declineCall(call) {
    const update = await command(call.callId, { command: 'hang_up' }, hungUp);
    return new CallResult({ call: phoneCall(update, Constants.CALL_STATE.ENDED) });
  }

  async endCall(call) {
    const update = await command(call.callId, { command: 'hang_up' }, hungUp);
    ended.add(call.callId);
    return new HangupResult({ calls: [phoneCall(update, Constants.CALL_STATE.ENDED)] });
  }

  async hold(call) {
    return this.toggleHold(call.callId, 'hold', true);
  }

  async resume(call) {
    return this.toggleHold(call.callId, 'resume', false);
  }

  async toggleHold(callId, kind, held) {
    const update = await command(callId, { command: kind }, (next) => notPending(next) && Boolean(next.control.held) === held);
    return new HoldToggleResult({
      isThirdPartyOnHold: false, isCustomerOnHold: held, calls: { [callId]: phoneCall(update, stateOf(update)) },
    });
  }

  async mute() {
    return this.toggleMute('mute', true);
  }

  async unmute() {
    return this.toggleMute('unmute', false);
  }

  async toggleMute(kind, muted) {
    const callId = connectedCall().call_id;
    await command(callId, { command: kind }, (next) => notPending(next) && Boolean(next.control.muted) === muted);
    return new MuteToggleResult({ isMuted: muted });
  }

  // An outbound call from Salesforce's dial pad or a click on a number: callpop's click-to-dial. Resolves with the
  // call the telephony side reports, or rejects when it reports none within 30 seconds.
  async dial(contact) {
    if (pendingDial) throw { type: Constants.ERROR_TYPE.GENERIC_ERROR, message: 'a call is already being dialled' };
    const number = `${contact.prefix || ''}${contact.phoneNumber || ''}`;
    const placed = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pendingDial = null;
        reject(new Error('the telephony side did not place the call'));
      }, 30000);
      pendingDial = { resolve, reject, timer };
    });
    try {
      await request('POST', '/api/v1/agent/dial', { number });
    } catch (error) {
      clearTimeout(pendingDial.timer);
      pendingDial = null;
      throw { type: error.status === 422 ? Constants.ERROR_TYPE.INVALID_DESTINATION : Constants.ERROR_TYPE.GENERIC_ERROR,
        message: error.message };
    }
    return placed;
  }

  async sendDigits(digits) {
    const callId = connectedCall().call_id;
    await request('POST', callPath(callId, 'commands'), { command: 'send_digits', digits });
  }

  async setAgentStatus(agentStatus) {
    const status = AGENT_STATUSES[agentStatus];
    if (!status) {
      throw { type: Constants.ERROR_TYPE.INVALID_AGENT_STATUS, message: `callpop has no status ${agentStatus}` };
    }
    await request('PUT', '/api/v1/agent/status', { status });
    return new GenericResult({ success: true });
  }

  // Salesforce's transfer dialog: the number the agent typed, as a number to transfer to. callpop keeps no phone
  // book of its own; another agent is named by email (a contact of type Agent whose id is the email).
  async getPhoneContacts(filter) {
    const raw = typeof filter === 'string' ? filter : (filter && filter.contains) || '';
    const typed = String(raw).trim();
    const contacts = /^\+?[0-9 ().-]{3,}$/.test(typed)
      ? [new Contact({ type: Constants.CONTACT_TYPE.PHONENUMBER, phoneNumber: typed, name: typed })]
      : [];
    return new PhoneContactsResult({ contacts, contactTypes: [Constants.CONTACT_TYPE.PHONENUMBER] });
  }

  // A blind transfer, resolved once the telephony side has handed the call over: the library then tells
  // Salesforce the participant was added and the agent's call is over.
  async addParticipant(contact, call, isBlindTransfer) {
    if (!isBlindTransfer) {
      throw { type: Constants.ERROR_TYPE.INVALID_DESTINATION, message: 'callpop transfers calls blind only' };
    }
    const toAgent = contact.type === Constants.CONTACT_TYPE.AGENT && contact.id;
    const number = `${contact.prefix || ''}${contact.phoneNumber || ''}`;
    const body = toAgent ? { command: 'transfer', to_agent: contact.id } : { command: 'transfer', to_number: number };
    await command(call.callId, body, (next) => notPending(next) && Boolean(next.control.transferred_to));
    ended.add(call.callId);
    transferred.add(call.callId);
    return new ParticipantResult({
      initialCallHasEnded: true, callInfo: new CallInfo({ isOnHold: false }),
      phoneNumber: toAgent ? contact.id : number, callId: call.callId,
    });
  }

  async getAgentConfig() {
    return new AgentConfigResult({});
  }

  async getCapabilities() {
    return new CapabilitiesResult({
      hasMute: true, hasRecord: false, hasMerge: false, hasSwap: false, hasBlindTransfer: true,
      hasContactSearch: true, hasPhoneBook: false,
    });
  }

  async logout() {
    closeStream();
    await request('DELETE', '/api/v1/sessions/current').catch(() => {});
    token = null;
    return new LogoutResult({ success: true });
  }

  // Salesforce ends the wrap-up: Done with what the agent typed in the call's wrap-up if it is shown, else with what
  // the server holds, so that it clears nothing.
  async wrapUpCall(call) {
    const shown = !wrapUp.section.hidden && wrapUp.section.dataset.callId === call.callId;
    const typed = shown ? typedWrapUp() : savedWrapUps.get(call.callId) || { notes: '', disposition: null };
    await saveWrapUp(call.callId, typed, true);
    closeWrapUp(call.callId);
  }
}

show('waiting', 'Waiting for Salesforce');
initializeConnector(new CallpopConnector());
