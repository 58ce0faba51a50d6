// The local org's Salesforce Classic Service Console: primary tabs for the records the agent opens or the softphone
// pops, and the softphone in the console footer, where it stays alive while tabs change (in a standard Classic app
// the sidebar softphone reloads on every page). Classic pages are addressed by URL, as in Salesforce: `/<id>`,
// `/<id>/e` (edit), `/<prefix>/e?field=value…` (a new record, pre-filled), and the search page. The page answers the
// softphone's `sforce.interaction` calls (interaction.js), origin-checked, and logs each one for tests.
import {
  DETAIL_FIELDS, FIELD_LABELS, FORM_FIELDS, PHONE_FIELDS, activityHistory, api, clamp, el, frameSoftphone, logOpenCti,
  pageContext, recordTable, saveRecord, toast,
} from './common.js';

const { config, main, panel, frame, adapterOrigin } = pageContext();
const tabStrip = document.getElementById('tabs');
const phoneButton = document.getElementById('footer-phone');

// Classic page field ids for pre-filling new-record forms (the "URL hacking" convention, opencti.md §4.5).
const CLASSIC_FIELD_IDS = {
  Lead: { lea8: 'Phone', name_firstlea2: 'FirstName', name_lastlea2: 'LastName', lea3: 'Company', lea5: 'LeadSource', lea4: 'Title', lea9: 'MobilePhone', lea11: 'Email' },
  Contact: { con10: 'Phone', name_firstcon2: 'FirstName', name_lastcon2: 'LastName', con5: 'Title', con12: 'MobilePhone', con15: 'Email' },
};
const KEY_PREFIXES = { '00Q': 'Lead', '003': 'Contact', '001': 'Account' };
const SEARCH_PATH = '/_ui/search/ui/UnifiedSearchResults';

/* ---------- console tabs ---------- */

const tabs = [{ url: 'home', title: 'Home' }];
let active = 0;
let activeRecord = null;

function openTab(url) {
  const existing = tabs.findIndex((tab) => tab.url === url);
  if (existing >= 0) {
    active = existing;
  } else {
    tabs.push({ url, title: 'Loading…' });
    active = tabs.length - 1;
  }
  return showActiveTab();
}

function closeTab(index) {
  if (index === 0) return;
  tabs.splice(index, 1);
  if (active >= tabs.length) active = tabs.length - 1;
  showActiveTab();
}

function renderTabs() {
  tabStrip.replaceChildren(...tabs.map((tab, index) => el('div', { className: 'console-tab', role: 'tab', 'aria-selected': String(index === active), 'data-tab-url': tab.url },
    el('span', { onclick: () => { active = index; showActiveTab(); } }, tab.title),
    index === 0 ? null : el('button', { type: 'button', className: 'close', 'aria-label': `Close ${tab.title}`, onclick: () => closeTab(index) }, '×'))));
}

// Renders the active tab, then tells the softphone the focus changed (onFocus).
async function showActiveTab() {
  activeRecord = null;
  const tab = tabs[active];
  await renderUrl(tab);
  renderTabs();
  fireFocus();
}

// Replaces the active tab's URL (after a save) and re-renders it.
async function navigateActiveTab(url) {
  tabs[active].url = url;
  await showActiveTab();
}

/* ---------- pages ---------- */

function phoneCell(number, record) {
  if (!number) return '';
  return el('button', {
    type: 'button', className: 'click-to-dial', 'data-phone': number, disabled: !softphone.clickToDial,
    onclick: () => fireListener('onClickToDial', JSON.stringify({ number, objectId: record.Id, objectName: record.Name, object: record.RecordType || record.attributes?.type, displayName: record.RecordType || record.attributes?.type })),
  }, number);
}

function recordLink(hit) {
  return el('a', { href: '#', onclick: (event) => { event.preventDefault(); openTab(`/${hit.Id.slice(0, 15)}`); } }, hit.Name);
}

async function renderUrl(tab) {
  const [path, query] = tab.url.split('?');
  const params = new URLSearchParams(query || '');
  let match;
  if (tab.url === 'home') {
    tab.title = 'Home';
    const recent = await api('/__ui/recent');
    main.replaceChildren(el('section', { className: 'classic-page', 'data-page': 'home' },
      el('div', { className: 'classic-detail' }, el('h1', {}, 'Recent Items'),
        recordTable(recent, 'No records yet.', { phone: phoneCell, link: recordLink }))));
  } else if (path === SEARCH_PATH) {
    const term = params.get('str') || '';
    tab.title = `Search: ${term}`;
    const hits = term ? await api(`/__ui/search?term=${encodeURIComponent(term)}`) : [];
    main.replaceChildren(el('section', { className: 'classic-page', 'data-page': 'search', 'data-term': term },
      el('div', { className: 'classic-detail' }, el('h1', {}, `Search Results for “${term}”`),
        recordTable(hits, 'No matches found.', { phone: phoneCell, link: recordLink }))));
  } else if ((match = path.match(/^\/(00Q|003)\/e$/))) {
    const object = KEY_PREFIXES[match[1]];
    const defaults = {};
    for (const [fieldId, field] of Object.entries(CLASSIC_FIELD_IDS[object])) {
      if (params.has(fieldId)) defaults[field] = params.get(fieldId);
    }
    tab.title = `New ${object}`;
    renderForm(object, null, defaults);
  } else if ((match = path.match(/^\/(\w{15}|\w{18})(\/e)?$/))) {
    await renderRecord(tab, match[1], Boolean(match[2]));
  } else {
    tab.title = 'Not found';
    main.replaceChildren(el('p', { className: 'classic-page', 'data-page': 'missing' }, `The local org has no page at ${tab.url}.`));
  }
}

async function renderRecord(tab, id, editing) {
  let view;
  try {
    view = await api(`/__ui/records/${encodeURIComponent(id)}`);
  } catch {
    tab.title = 'Record not found';
    main.replaceChildren(el('p', { className: 'classic-page', 'data-page': 'missing' }, 'Data Not Available: the record you were trying to reach may have been deleted.'));
    return;
  }
  const { record, object, name } = view;
  activeRecord = Object.assign({}, record, { Name: name });
  tab.title = name;
  if (editing && FORM_FIELDS[object]) {
    renderForm(object, activeRecord, {});
    return;
  }
  const fields = (DETAIL_FIELDS[object] || []).map((field) => el('div', {}, el('dt', {}, FIELD_LABELS[field] || field),
    el('dd', { 'data-field': field }, PHONE_FIELDS.includes(field) ? phoneCell(record[field], activeRecord) : (record[field] ?? ''))));
  main.replaceChildren(
    el('section', { className: 'classic-page', 'data-page': 'record', 'data-record-id': record.Id, 'data-object': object },
      el('div', { className: 'classic-detail' },
        el('div', { className: 'page-type' }, object), el('h1', { 'data-record-name': true }, name),
        FORM_FIELDS[object] ? el('div', { className: 'buttons' }, el('button', { type: 'button', className: 'classic-button', onclick: () => navigateActiveTab(`/${record.Id.slice(0, 15)}/e`) }, 'Edit')) : null,
        el('dl', { className: 'fields' }, fields))),
    activityHistory(view.tasks, null));
}

// The Classic edit page: a new record (pre-filled from the URL) or an existing one. Nothing is saved until Save.
function renderForm(object, existing, defaults) {
  const fields = FORM_FIELDS[object];
  const errorBox = el('div', { className: 'form-error', role: 'alert', hidden: true });
  const inputs = fields.map(([field, required]) => el('label', {},
    el('span', { className: required ? 'required' : null }, FIELD_LABELS[field] || field),
    el('input', { name: field, value: existing ? (existing[field] ?? '') : (defaults[field] ?? ''), required: Boolean(required) })));
  const title = existing ? `${object} Edit: ${existing.Name}` : `New ${object}`;
  const form = el('form', { className: 'classic-detail', 'data-page': existing ? 'edit' : 'new', 'data-form-object': object, 'aria-label': title, novalidate: true },
    el('div', { className: 'page-type' }, `${object} Edit`), el('h1', {}, title), errorBox,
    el('div', { className: 'form-grid' }, inputs),
    el('div', { className: 'buttons' },
      el('button', { type: 'submit', className: 'classic-button', name: 'save' }, 'Save'),
      el('button', { type: 'button', className: 'classic-button', onclick: () => (existing ? navigateActiveTab(`/${existing.Id.slice(0, 15)}`) : closeTab(active)) }, 'Cancel')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = {};
    for (const [field] of fields) {
      const value = form.elements[field].value.trim();
      if (value || existing) values[field] = value;
    }
    try {
      const id = await saveRecord(object, existing && existing.Id, values);
      toast(`${object} saved.`);
      await navigateActiveTab(`/${id.slice(0, 15)}`);
    } catch (error) {
      errorBox.hidden = false;
      errorBox.textContent = `Error: Invalid Data. ${error.message}`;
    }
  });
  main.replaceChildren(el('section', { className: 'classic-page' }, form));
  form.querySelector('input').focus();
}

document.getElementById('classic-search').addEventListener('submit', (event) => {
  event.preventDefault();
  const term = event.target.term.value.trim();
  if (term) openTab(`${SEARCH_PATH}?str=${encodeURIComponent(term)}`);
});

/* ---------- the softphone in the footer, and the parent side of sforce.interaction ---------- */

const softphone = { clickToDial: false, listeners: new Set(), apiVersion: null };

function setPanelOpen(open) {
  panel.classList.toggle('open', open);
  phoneButton.setAttribute('aria-expanded', String(open));
}
phoneButton.addEventListener('click', () => setPanelOpen(!panel.classList.contains('open')));

// Classic appends no `mode` and spells the origin parameter sfdcIFrameOrigin.
frameSoftphone(frame, config.adapterUrl, { sfdcIFrameOrigin: location.origin });

function post(message) {
  if (frame.contentWindow && adapterOrigin) frame.contentWindow.postMessage({ apiType: 'interaction', apiVersion: softphone.apiVersion, ...message }, adapterOrigin);
}

function fireListener(methodName, resultJson) {
  if (softphone.listeners.has(methodName)) post({ methodName, shouldExecuteListener: true, response: { result: resultJson } });
}

function pageInfo() {
  const tab = tabs[active];
  const info = { url: `${location.origin}${tab.url === 'home' ? '/home/home.jsp' : tab.url}` };
  if (activeRecord) Object.assign(info, { objectId: activeRecord.Id, objectName: activeRecord.Name, object: activeRecord.attributes.type, displayName: activeRecord.attributes.type });
  return JSON.stringify(info);
}

function fireFocus() {
  fireListener('onFocus', pageInfo());
}

window.addEventListener('message', async (event) => {
  if (!adapterOrigin || event.origin !== adapterOrigin || event.source !== frame.contentWindow) return;
  const request = event.data;
  if (!request || request.apiType !== 'interaction' || typeof request.methodName !== 'string') return;
  softphone.apiVersion = request.apiVersion;
  const args = Array.isArray(request.args) ? request.args : [];
  logOpenCti('classic', request.methodName, args);
  let response;
  try {
    response = await handleInteraction(request.methodName, args, request);
  } catch (error) {
    response = { result: null, error: error.message };
  }
  if (request.isCallbackRegistered) post({ methodName: request.methodName, callId: request.callId, shouldExecuteCallback: true, response });
});

const ok = (result, extra) => ({ result, ...extra });
const failed = (message) => ({ result: null, error: message });

async function handleInteraction(method, args, request) {
  switch (method) {
    case 'setVisible':
      setPanelOpen(Boolean(args[0]));
      return ok(true);
    case 'isVisible':
      return ok(panel.classList.contains('open'));
    case 'isInConsole':
      return ok(true);
    case 'getPageInfo':
      return ok(pageInfo());
    case 'onFocus':
    case 'onClickToDial':
      softphone.listeners.add(method);
      return ok(true);
    case 'enableClickToDial':
    case 'disableClickToDial':
      softphone.clickToDial = method === 'enableClickToDial';
      for (const button of document.querySelectorAll('.click-to-dial')) button.disabled = !softphone.clickToDial;
      return ok(true);
    case 'notifyInitializationComplete':
      return ok(true);
    case 'getCallCenterSettings':
      return ok(JSON.stringify({ '/reqGeneralInfo/reqInternalName': 'callpop', '/reqGeneralInfo/reqAdapterUrl': config.adapterUrl }));
    case 'getSoftphoneLayout':
      return ok(JSON.stringify({ Inbound: { objects: { Contact: [], Lead: [], Account: [] }, screenPopSettings: { NoMatch: { screenPopType: 'DoNotPop' }, SingleMatch: { screenPopType: 'PopToEntity' }, MultipleMatches: { screenPopType: 'PopToSearch' } } } }));
    case 'setSoftphoneHeight':
      panel.style.height = `${clamp(Number(args[0]), 240, 2560)}px`;
      return ok(true);
    case 'setSoftphoneWidth':
      panel.style.width = `${clamp(Number(args[0]), 200, 1920)}px`;
      return ok(true);
    case 'refreshPage':
    case 'refreshRelatedList':
      await showActiveTab();
      return ok(true);
    case 'reloadFrame':
      frame.src = frame.src;
      return ok(true);
    case 'screenPop':
      return screenPop(args[0]);
    case 'searchAndScreenPop':
    case 'searchAndGetScreenPopUrl':
      return search(method === 'searchAndScreenPop', args[0], args[2]);
    case 'saveLog':
      return saveLog(args[0], args[1]);
    default:
      return failed(`The local org does not implement ${method}.`);
  }
}

async function screenPop(url) {
  if (typeof url !== 'string' || !url.startsWith('/') || url.startsWith('//')) return failed('The URL must be relative.');
  await openTab(url);
  return ok(true);
}

// Classic answers searches with a JSON string keyed by record id; the entries carry `object` and `displayName`.
async function search(pop, term, callType) {
  if (typeof term !== 'string') return failed('searchParams must be a string.');
  const hits = await api(`/__ui/phone-search?term=${encodeURIComponent(term)}`);
  const results = {};
  for (const hit of hits) {
    results[hit.Id] = { Name: hit.Name, object: hit.RecordType, displayName: hit.RecordType, Phone: hit.Phone, Company: hit.Company, Title: hit.Title, LastModifiedDate: hit.LastModifiedDate };
  }
  const inbound = !callType || callType === 'inbound';
  let popUrl = null;
  if (hits.length === 1) popUrl = `/${hits[0].Id.slice(0, 15)}`;
  if (hits.length > 1) popUrl = `${SEARCH_PATH}?str=${encodeURIComponent(term)}`;
  if (pop) {
    // "If callType is internal or outbound, no screen pops occur."
    if (inbound && popUrl) await openTab(popUrl);
    return ok(JSON.stringify(results));
  }
  return ok(JSON.stringify({ ...results, screenPopUrl: popUrl }));
}

// saveLog(object, 'Field=value&…'): creates the record, or updates it when the parameters include Id.
async function saveLog(object, saveParams) {
  if (typeof object !== 'string' || typeof saveParams !== 'string') return failed('saveLog takes an object name and URL-encoded parameters.');
  const fields = Object.fromEntries(new URLSearchParams(saveParams).entries());
  const { Id: id, ...values } = fields;
  const savedId = await saveRecord(object, id, values);
  if (tabs[active].url !== 'home') await showActiveTab();
  return ok(true, { id: savedId });
}

showActiveTab();
