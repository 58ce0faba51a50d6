// The local org's Lightning Experience page: it routes the main area (record pages, new-record modals, search),
// frames the softphone in the utility bar, and answers the softphone's Open CTI requests as Salesforce's parent
// window does (opencti.md §10). Every message is origin-checked both ways, every Open CTI call is logged to the
// org's control API for tests, and every value from a record or a caller is inserted as text, never as HTML.
import {
  DETAIL_FIELDS, FIELD_LABELS, FORM_FIELDS, PHONE_FIELDS, activityHistory, api, clamp, el, frameSoftphone, logOpenCti,
  pageContext, recordTable, saveRecord, toast,
} from './common.js';

const { config, main, panel, frame, adapterOrigin } = pageContext();
const modalRoot = document.getElementById('modal-root');
const utilityButton = document.getElementById('utility-phone');

/* ---------- the softphone frame and its utility-bar panel ---------- */

const softphone = {
  clickToDial: false,
  listeners: new Set(),
  initialized: false,
};

function setPanelOpen(open) {
  panel.classList.toggle('open', open);
  utilityButton.setAttribute('aria-expanded', String(open));
  if (open) utilityButton.classList.remove('ringing');
}

utilityButton.addEventListener('click', () => setPanelOpen(!panel.classList.contains('open')));
document.getElementById('panel-minimize').addEventListener('click', () => setPanelOpen(false));

frameSoftphone(frame, config.adapterUrl, { mode: 'Lightning', ltn_app_id: '06m5g0000000LoCAL', sfdcIframeOrigin: location.origin });

function postToSoftphone(message) {
  if (frame.contentWindow && adapterOrigin) frame.contentWindow.postMessage(message, adapterOrigin);
}

function reply(request, response) {
  if (!request.isCallbackRegistered) return;
  postToSoftphone({
    apiVersion: request.apiVersion, apiType: 'opencti', methodName: request.methodName, callId: request.callId,
    shouldExecuteCallback: true, response,
  });
}

function fireListener(methodName, payload) {
  if (!softphone.listeners.has(methodName)) return;
  postToSoftphone({ apiVersion: softphone.apiVersion, apiType: 'opencti', methodName, shouldExecuteListener: true, response: payload });
}

const ok = (returnValue = null) => ({ success: true, returnValue, errors: null });
const failed = (message) => ({ success: false, returnValue: null, errors: [message] });

window.addEventListener('message', async (event) => {
  // Only the framed softphone, from its own origin, may drive this page.
  if (!adapterOrigin || event.origin !== adapterOrigin || event.source !== frame.contentWindow) return;
  const request = event.data;
  if (!request || request.apiType !== 'opencti' || typeof request.methodName !== 'string') return;
  softphone.apiVersion = request.apiVersion;
  logOpenCti('lightning', request.methodName, request.args);
  let response;
  try {
    response = await handleOpenCti(request.methodName, request.args || {}, request);
  } catch (error) {
    response = failed(error.message);
  }
  reply(request, response);
});

async function handleOpenCti(method, args, request) {
  switch (method) {
    case 'setSoftphonePanelVisibility':
      setPanelOpen(Boolean(args.visible));
      return ok();
    case 'isSoftphonePanelVisible':
      return ok({ visible: panel.classList.contains('open') });
    case 'notifyInitializationComplete':
      softphone.initialized = true;
      return ok();
    case 'enableClickToDial':
      softphone.clickToDial = true;
      renderClickToDial();
      return ok();
    case 'disableClickToDial':
      softphone.clickToDial = false;
      renderClickToDial();
      return ok();
    case 'onClickToDial':
    case 'onNavigationChange':
      softphone.listeners.add(method);
      return ok();
    case 'setSoftphoneItemLabel':
      document.getElementById('utility-label').textContent = String(args.label || 'Phone');
      return ok();
    case 'setSoftphonePanelLabel':
      document.getElementById('panel-label').textContent = String(args.label || 'Phone');
      return ok();
    case 'setSoftphoneItemIcon':
      utilityButton.classList.toggle('ringing', args.key === 'incoming_call' || args.key === 'call');
      return ok();
    case 'setSoftphonePanelIcon':
      return ok();
    case 'setSoftphonePanelHeight':
      panel.style.height = `${clamp(Number(args.heightPX), 240, 2560)}px`;
      return ok();
    case 'setSoftphonePanelWidth':
      panel.style.width = `${clamp(Number(args.widthPX), 200, 1920)}px`;
      return ok();
    case 'getAppViewInfo':
      return ok(currentView());
    case 'getCallCenterSettings':
      return ok({ '/reqGeneralInfo/reqInternalName': 'callpop', '/reqGeneralInfo/reqAdapterUrl': config.adapterUrl });
    case 'getSoftphoneLayout':
      return ok(SOFTPHONE_LAYOUT);
    case 'refreshView':
      await route();
      return ok();
    case 'screenPop':
      return inOrder(() => screenPop(args.type, args.params || {}));
    case 'searchAndScreenPop':
      return searchAndScreenPop(args);
    case 'saveLog':
      return saveLog(args.object || {});
    default:
      return failed(`The local org does not implement ${method}.`);
  }
}

/* The softphone layout this org uses: Salesforce's defaults for inbound calls (opencti.md §5.1). */
const SOFTPHONE_LAYOUT = {
  Inbound: {
    callRelatedFields: ['ANI', 'DNIS'],
    objects: {
      Contact: [{ displayName: 'Name', apiName: 'Name' }, { displayName: 'Phone', apiName: 'Phone' }],
      Lead: [{ displayName: 'Name', apiName: 'Name' }, { displayName: 'Company', apiName: 'Company' }],
      Account: [{ displayName: 'Account Name', apiName: 'Name' }],
    },
    screenPopSettings: {
      NoMatch: { screenPopType: 'DoNotPop' },
      SingleMatch: { screenPopType: 'PopToEntity' },
      MultipleMatches: { screenPopType: 'PopToSearch' },
      screenPopsOpenWithin: 'ExistingWindow',
    },
  },
  Outbound: { callRelatedFields: ['DNIS'], objects: {}, screenPopSettings: {} },
};

async function searchAndScreenPop(args) {
  if (typeof args.searchParams !== 'string') return failed('searchParams must be a string.');
  const hits = await api(`/__ui/phone-search?term=${encodeURIComponent(args.searchParams)}`);
  const returnValue = {};
  for (const hit of hits) returnValue[hit.Id] = hit;
  const inbound = !args.callType || args.callType === 'inbound';
  let popData = null;
  if (inbound && hits.length === 1) popData = { type: 'sobject', params: { recordId: hits[0].Id } };
  if (inbound && hits.length > 1) popData = { type: 'search', params: { searchString: args.searchParams } };
  if (args.deferred) {
    if (popData) returnValue.SCREEN_POP_DATA = popData;
  } else if (popData) {
    await inOrder(() => screenPop(popData.type, popData.params));
  }
  return ok(returnValue);
}

// Lightning carries out screen pops one after the other, in the order they were asked for: a record's page, then
// its Edit form, ends on the Edit form (`/edit`), even though the first pop waits for the record to load.
let popsDone = Promise.resolve();
function inOrder(pop) {
  const result = popsDone.then(pop, pop);
  popsDone = result.catch(() => {});
  return result;
}

async function screenPop(type, params) {
  switch (type) {
    case 'sobject': {
      const view = await api(`/__ui/records/${encodeURIComponent(params.recordId || '')}`).catch(() => null);
      if (!view) return failed(`No record with id ${params.recordId}.`);
      await navigate(`/lightning/r/${view.object}/${view.record.Id}/view`);
      return ok();
    }
    case 'url':
      if (typeof params.url !== 'string' || !params.url.startsWith('/') || params.url.startsWith('//')) {
        return failed('The URL must be a relative parameter.');
      }
      await navigate(params.url);
      return ok();
    case 'newRecord':
      if (!FORM_FIELDS[params.entityName]) return failed(`The local org cannot create ${params.entityName} records.`);
      openRecordForm(params.entityName, null, params.defaultFieldValues || {});
      fireNavigation();
      return ok();
    case 'search':
      if (typeof params.searchString !== 'string' || params.searchString.length < 3) {
        return failed('The search string must be at least 3 characters in length.');
      }
      await navigate(`/lightning/search?term=${encodeURIComponent(params.searchString)}`);
      return ok();
    case 'objecthome':
      await navigate(`/lightning/o/${encodeURIComponent(params.scope || 'Contact')}/home`);
      return ok();
    default:
      return failed(`The local org does not implement ${type} screen pops.`);
  }
}

async function saveLog(value) {
  const { Id: id, entityApiName: object, ...fields } = value;
  if (id) {
    await api(`/__ui/records/${encodeURIComponent(id)}`, { method: 'PATCH', body: JSON.stringify(fields) });
    return ok({ recordId: id });
  }
  if (!object) return failed('To create using this method, include entityApiName.');
  const created = await api(`/__ui/objects/${encodeURIComponent(object)}/records`, { method: 'POST', body: JSON.stringify(fields) });
  return ok({ recordId: created.id });
}

/* ---------- navigation ---------- */

let currentRecord = null;

function currentView() {
  const view = { url: location.href };
  if (currentRecord) Object.assign(view, { recordId: currentRecord.Id, recordName: currentRecord.Name, objectType: currentRecord.attributes.type });
  return view;
}

function fireNavigation() {
  fireListener('onNavigationChange', currentView());
}

async function navigate(path) {
  history.pushState({}, '', path);
  await route();
  fireNavigation();
}

window.addEventListener('popstate', () => route().then(fireNavigation));
document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-nav]');
  if (!link || event.metaKey || event.ctrlKey) return;
  event.preventDefault();
  navigate(link.getAttribute('href'));
});
document.getElementById('global-search').addEventListener('submit', (event) => {
  event.preventDefault();
  const term = event.target.term.value.trim();
  if (term) navigate(`/lightning/search?term=${encodeURIComponent(term)}`);
});

async function route() {
  modalRoot.replaceChildren();
  currentRecord = null;
  const path = location.pathname;
  let match;
  if ((match = path.match(/^\/lightning\/r\/(\w+)\/(\w+)\/(view|edit)$/))) {
    await renderRecord(match[2]);
    if (match[3] === 'edit' && currentRecord) openRecordForm(currentRecord.attributes.type, currentRecord, {});
  } else if ((match = path.match(/^\/lightning\/o\/(\w+)\/new$/))) {
    await renderHome();
    const defaults = Object.fromEntries(new URLSearchParams(new URLSearchParams(location.search).get('defaultFieldValues') || '').entries());
    openRecordForm(match[1], null, defaults);
  } else if ((match = path.match(/^\/lightning\/o\/(\w+)\/home$/))) {
    await renderObjectHome(match[1]);
  } else if (path === '/lightning/search') {
    await renderSearch(new URLSearchParams(location.search).get('term') || '');
  } else {
    await renderHome();
  }
}

/* ---------- pages ---------- */

function objectIcon(object) {
  return el('span', { className: `object-icon ${object}`, 'aria-hidden': 'true' }, object.slice(0, 1));
}

function phoneCell(number, record) {
  if (!number) return '';
  return el('button', {
    type: 'button', className: 'click-to-dial', 'data-phone': number, disabled: !softphone.clickToDial,
    title: softphone.clickToDial ? `Call ${number}` : 'Click-to-dial is disabled',
    onclick: () => fireListener('onClickToDial', { number, recordId: record.Id, recordName: record.Name, objectType: record.RecordType || record.attributes?.type }),
  }, number);
}

function renderClickToDial() {
  for (const button of document.querySelectorAll('.click-to-dial')) {
    button.disabled = !softphone.clickToDial;
    button.title = softphone.clickToDial ? `Call ${button.dataset.phone}` : 'Click-to-dial is disabled';
  }
}

function recordLink(hit) {
  return el('a', { href: `/lightning/r/${hit.RecordType}/${hit.Id}/view`, 'data-nav': true }, hit.Name);
}

function listTable(hits, emptyText) {
  return recordTable(hits, emptyText, { phone: phoneCell, link: recordLink });
}

async function renderHome() {
  document.title = 'Home · Service';
  const recent = await api('/__ui/recent');
  main.replaceChildren(el('section', { className: 'card', 'data-page': 'home' },
    el('div', { className: 'card-header' }, el('h1', {}, 'Recent records')),
    el('div', { className: 'card-body' }, listTable(recent, 'No records yet.'))));
}

async function renderObjectHome(object) {
  document.title = `${object}s · Service`;
  const recent = (await api('/__ui/recent')).filter((hit) => hit.RecordType === object);
  main.replaceChildren(el('section', { className: 'card', 'data-page': 'object-home', 'data-object': object },
    el('div', { className: 'card-header' }, objectIcon(object), el('h1', {}, `${object}s`),
      FORM_FIELDS[object] ? el('div', { className: 'header-actions' }, el('button', {
        type: 'button', className: 'button', onclick: () => openRecordForm(object, null, {}),
      }, 'New')) : null),
    el('div', { className: 'card-body' }, listTable(recent, `No ${object}s yet.`))));
}

async function renderSearch(term) {
  document.title = `Search: ${term} · Service`;
  const hits = term ? await api(`/__ui/search?term=${encodeURIComponent(term)}`) : [];
  main.replaceChildren(el('section', { className: 'card', 'data-page': 'search', 'data-term': term },
    el('div', { className: 'card-header' }, objectIcon('Search'), el('h1', {}, `Top Results for “${term}”`)),
    el('div', { className: 'card-body' }, listTable(hits, 'No results.'))));
}

async function renderRecord(id) {
  let view;
  try {
    view = await api(`/__ui/records/${encodeURIComponent(id)}`);
  } catch {
    main.replaceChildren(el('section', { className: 'card', 'data-page': 'missing' },
      el('div', { className: 'card-body' }, 'This record was not found. It may have been deleted.')));
    return;
  }
  const { record, object, name } = view;
  currentRecord = Object.assign({}, record, { Name: name });
  document.title = `${name} | ${object} · Service`;
  const fields = (DETAIL_FIELDS[object] || Object.keys(record).filter((key) => key !== 'attributes'))
    .map((field) => el('div', {}, el('dt', {}, FIELD_LABELS[field] || field),
      el('dd', { 'data-field': field }, PHONE_FIELDS.includes(field) ? phoneCell(record[field], currentRecord) : (record[field] ?? ''))));
  main.replaceChildren(
    el('section', { className: 'card', 'data-page': 'record', 'data-record-id': record.Id, 'data-object': object },
      el('div', { className: 'record-header' }, objectIcon(object),
        el('div', {}, el('div', { className: 'object-label' }, object), el('h1', { 'data-record-name': true }, name)),
        FORM_FIELDS[object] ? el('div', { className: 'header-actions' }, el('button', {
          type: 'button', className: 'button', onclick: () => navigate(`/lightning/r/${object}/${record.Id}/edit`),
        }, 'Edit')) : null),
      el('div', { className: 'card-body' }, el('dl', { className: 'fields' }, fields))),
    activityHistory(view.tasks, objectIcon('Task')));
}

/* ---------- the new-record and edit modal ---------- */

function openRecordForm(object, existing, defaults) {
  const fields = FORM_FIELDS[object];
  if (!fields) return;
  // A new-record modal is a page of its own: navigation events while it is open name no record.
  if (!existing) currentRecord = null;
  const title = existing ? `Edit ${existing.Name}` : `New ${object}`;
  const errorBox = el('div', { className: 'form-error', role: 'alert', hidden: true });
  const inputs = fields.map(([field, required]) => el('label', {},
    el('span', { className: required ? 'required' : null }, FIELD_LABELS[field] || field),
    el('input', { name: field, value: existing ? (existing[field] ?? '') : (defaults[field] ?? ''), required: Boolean(required) })));
  const close = () => {
    modalRoot.replaceChildren();
    if (location.pathname.endsWith('/edit') || location.pathname.endsWith('/new')) history.back();
  };
  const form = el('form', { className: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-label': title, 'data-form-object': object, novalidate: true },
    el('header', {}, el('h2', {}, title)),
    el('div', { className: 'modal-body' }, errorBox, el('div', { className: 'form-grid' }, inputs)),
    el('footer', {}, el('button', { type: 'button', className: 'button', onclick: close }, 'Cancel'),
      el('button', { type: 'submit', className: 'button brand', name: 'save' }, 'Save')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const stale of form.querySelectorAll('.field-error')) stale.remove();
    for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
    const values = {};
    for (const [field] of fields) {
      const value = form.elements[field].value.trim();
      if (value || existing) values[field] = value;
    }
    try {
      const id = await saveRecord(object, existing && existing.Id, values);
      modalRoot.replaceChildren();
      toast(existing ? `${object} "${values.LastName || existing.Name}" was saved.` : `${object} was created.`);
      history.replaceState({}, '', `/lightning/r/${object}/${id}/view`);
      await route();
      fireNavigation();
    } catch (error) {
      errorBox.hidden = false;
      errorBox.textContent = `We hit a snag. ${error.message}`;
      // As Lightning does, each error that names fields is shown under them too.
      for (const problem of Array.isArray(error.body) ? error.body : []) {
        for (const name of problem.fields || []) {
          const input = form.elements[name];
          if (!input || input.nodeName !== 'INPUT') continue;
          input.setAttribute('aria-invalid', 'true');
          input.after(el('span', { className: 'field-error' }, problem.message));
        }
      }
    }
  });
  modalRoot.replaceChildren(el('div', { className: 'modal-backdrop' }, form));
  if (!existing && !location.pathname.endsWith('/new')) history.pushState({}, '', `/lightning/o/${object}/new`);
  (form.querySelector('input:not([value]), input[value=""]') || form.querySelector('input')).focus();
}

route().then(fireNavigation);
