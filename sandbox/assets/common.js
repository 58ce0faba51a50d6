// Helpers shared by the local org's Lightning and Classic pages: building DOM from text only, calling the page's
// private API (/__ui), logging Open CTI calls for tests, and the record fields each object shows.

export const PHONE_FIELDS = ['Phone', 'MobilePhone', 'HomePhone', 'OtherPhone'];

export const FIELD_LABELS = {
  FirstName: 'First Name', LastName: 'Last Name', Phone: 'Phone', MobilePhone: 'Mobile', HomePhone: 'Home Phone',
  OtherPhone: 'Other Phone', Email: 'Email', Company: 'Company', Title: 'Title', Status: 'Lead Status',
  LeadSource: 'Lead Source', City: 'City', State: 'State/Province', Country: 'Country', MailingCity: 'Mailing City',
  AccountId: 'Account', BillingCity: 'Billing City', BillingState: 'Billing State', BillingCountry: 'Billing Country',
  Description: 'Description',
};

export const DETAIL_FIELDS = {
  Contact: ['Title', 'Phone', 'MobilePhone', 'Email', 'AccountId', 'MailingCity'],
  Lead: ['Company', 'Title', 'Phone', 'MobilePhone', 'Email', 'Status', 'LeadSource', 'City', 'State', 'Country'],
  Account: ['Phone', 'BillingCity', 'BillingState', 'BillingCountry'],
};

// The fields a new or edited record's form shows, and which are required (as Salesforce requires them).
export const FORM_FIELDS = {
  Lead: [['FirstName'], ['LastName', true], ['Company', true], ['Title'], ['Phone'], ['MobilePhone'], ['Email'],
    ['LeadSource'], ['City'], ['State'], ['Country']],
  Contact: [['FirstName'], ['LastName', true], ['Title'], ['Phone'], ['MobilePhone'], ['Email']],
};

// Builds an element. Children that are not nodes become text nodes: nothing is ever parsed as HTML.
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'className') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function toast(message) {
  const note = el('div', { className: 'toast', role: 'status' }, message);
  document.body.append(note);
  setTimeout(() => note.remove(), 2500);
}

// Calls the page's private API; a failure throws with Salesforce's own message.
export async function api(path, options) {
  const response = await fetch(path, { headers: { 'Content-Type': 'application/json' }, ...options });
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const message = Array.isArray(body) && body[0] ? body[0].message : `The org answered ${response.status}`;
    const error = new Error(message);
    error.body = body;
    throw error;
  }
  return body;
}

export function formatDate(value) {
  if (!value) return '';
  const date = new Date(String(value).replace('+0000', 'Z'));
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
}

// Records every Open CTI call the page receives, in order: in `window.__openCtiLog` and the org's control API.
let logChain = Promise.resolve();
window.__openCtiLog = [];
export function logOpenCti(ui, method, args) {
  const entry = { ui, method, args: args === undefined ? {} : args };
  window.__openCtiLog.push(entry);
  logChain = logChain.then(() => fetch('/__control/opencti-log', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(entry),
  })).catch(() => {});
}

// A random nonce like the one Salesforce appends to the adapter URL.
export function nonce() {
  return crypto.getRandomValues(new Uint32Array(8)).reduce((hex, n) => hex + n.toString(16).padStart(8, '0'), '');
}

// What both pages start from: the org's configuration, the page's regions, and the softphone's origin (the
// call center's adapter URL), which every message to and from the softphone is checked against.
export function pageContext() {
  const config = JSON.parse(document.getElementById('org-config').textContent);
  return {
    config,
    main: document.getElementById('main'),
    panel: document.getElementById('softphone-panel'),
    frame: document.getElementById('softphone'),
    adapterOrigin: config.adapterUrl ? new URL(config.adapterUrl, location.href).origin : null,
  };
}

// Loads the softphone in its frame with the parameters Salesforce appends (opencti.md §2.1) and a fresh nonce.
export function frameSoftphone(frame, adapterUrl, parameters) {
  if (!adapterUrl) return;
  const source = new URL(adapterUrl, location.href);
  for (const [name, value] of Object.entries(parameters)) source.searchParams.set(name, value);
  source.searchParams.set('nonce', nonce());
  frame.src = source.href;
}

export function clamp(value, low, high) {
  return Math.min(high, Math.max(low, Number.isFinite(value) ? value : low));
}

// The list of records used by home and search pages. `phone` renders a phone value (click-to-dial or text),
// `link` a record's name as a link.
export function recordTable(hits, emptyText, { phone, link }) {
  if (!hits.length) return el('p', { className: 'empty' }, emptyText);
  return el('table', { className: 'list' },
    el('thead', {}, el('tr', {}, ['Name', 'Object', 'Phone', 'Company / Title', 'Last Modified'].map((title) => el('th', { scope: 'col' }, title)))),
    el('tbody', {}, hits.map((hit) => el('tr', { 'data-record-id': hit.Id },
      el('td', {}, link(hit)), el('td', {}, hit.RecordType), el('td', {}, phone(hit.Phone, hit)),
      el('td', {}, hit.Company || hit.Title || ''), el('td', {}, formatDate(hit.LastModifiedDate))))));
}

// The Activity History related list of a record view.
export function activityHistory(tasks, icon) {
  return el('section', { className: 'card', 'data-related': 'activity' },
    el('div', { className: 'card-header' }, icon, el('h2', {}, `Activity History (${tasks.length})`)),
    el('div', { className: 'card-body' }, tasks.length ? el('table', { className: 'list' },
      el('thead', {}, el('tr', {}, ['Subject', 'Type', 'Duration', 'Date', 'Comments'].map((title) => el('th', { scope: 'col' }, title)))),
      el('tbody', {}, tasks.map((task) => el('tr', { 'data-task-id': task.Id },
        el('td', {}, task.Subject || ''), el('td', {}, task.CallType || task.TaskSubtype || ''),
        el('td', {}, task.CallDurationInSeconds != null ? `${task.CallDurationInSeconds}s` : ''),
        el('td', {}, task.ActivityDate || ''), el('td', {}, task.Description || '')))))
      : el('p', { className: 'empty' }, 'No activities yet.')));
}

// Saves a record from a form: creates it (object) or updates it (existing id). Returns the record's id.
export async function saveRecord(object, existingId, values) {
  if (existingId) {
    await api(`/__ui/records/${encodeURIComponent(existingId)}`, { method: 'PATCH', body: JSON.stringify(values) });
    return existingId;
  }
  const created = await api(`/__ui/objects/${encodeURIComponent(object)}/records`, { method: 'POST', body: JSON.stringify(values) });
  return created.id;
}
