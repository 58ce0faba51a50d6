// The Salesforce Voice page: which host the agents take calls in (`GET/PUT /api/v1/settings/voice`), the contact
// center and the Telephony Integration URL, the key pair callpop signs its Telephony Integration requests with
// (`POST /api/v1/settings/voice/key-pair`), and the two files the administrator takes to Salesforce: the
// certificate (`GET /api/v1/settings/voice/certificate`) and the contact-center definition
// (`GET /api/v1/call-center.xml?host=salesforce_voice`). Files are fetched with the session token and offered as
// downloads from memory, as on the call center page.

import { api, apiText } from '../api.js';
import { el, pageHead, replace } from '../dom.js';
import { clearErrors, labelledInput, showFailure, whileBusy } from '../forms.js';
import { dateTime } from '../format.js';

const HOSTS = [
  ['open_cti', 'Open CTI', 'The callpop softphone in the utility bar (Lightning) or the sidebar (Classic).'],
  ['salesforce_voice', 'Salesforce Voice', 'Omni-Channel\'s softphone with callpop\'s connector; each call gets a '
    + 'VoiceCall record. Lightning only; needs the Partner Telephony add-on licence.'],
  ['both', 'Both, while you move', 'Agents on either host take calls; each call gets its Task and its VoiceCall.'],
];

// A link that downloads `text` as `fileName`.
function downloadLink(id, fileName, text, type) {
  return el('a', { id, href: URL.createObjectURL(new Blob([text], { type })), download: fileName,
    className: 'button-quiet' }, `Download ${fileName}`);
}

function hostChoice(saved) {
  return el('fieldset', { className: 'choices' },
    el('legend', null, 'Where agents take calls'),
    HOSTS.map(([value, label, hint]) => el('label', { className: 'choice' },
      el('input', { type: 'radio', name: 'host', value, checked: saved.host === value }),
      el('span', null, el('strong', null, label), ' ', el('span', { className: 'hint' }, hint)))));
}

function readForm(form) {
  const text = (name) => form.elements[name].value.trim() || null;
  return {
    host: form.elements.host.value,
    contact_center_api_name: text('contact_center_api_name'),
    telephony_base_url: text('telephony_base_url'),
  };
}

// What the key pair section says and offers, for the saved settings.
async function keyPairBody(saved) {
  if (!saved.key_pair_generated_at) {
    return [el('p', { id: 'key-pair-state' }, 'No key pair yet. Generate one, then upload its certificate to the '
      + 'contact center in Salesforce.')];
  }
  const certificate = await apiText('/api/v1/settings/voice/certificate', 'application/x-pem-file');
  const body = [
    el('p', { id: 'key-pair-state' }, `Key pair generated ${dateTime(saved.key_pair_generated_at)}. The private `
      + 'key never leaves callpop; Salesforce checks callpop\'s requests with the certificate.'),
    el('p', null, downloadLink('download-certificate', 'callpop-telephony-integration.crt', certificate,
      'application/x-pem-file')),
  ];
  if (saved.contact_center_api_name) {
    const xml = await apiText('/api/v1/call-center.xml?host=salesforce_voice', 'application/xml');
    body.push(el('p', null, downloadLink('download-contact-center', 'callpop-contact-center.xml', xml,
      'application/xml')));
  }
  return body;
}

export async function render(main) {
  let saved = await api('/api/v1/settings/voice');
  const result = el('div', { id: 'save-result', role: 'status', tabIndex: -1 });
  const form = el('form', { id: 'voice-form', novalidate: true },
    el('section', { className: 'card', 'aria-labelledby': 'host-heading' },
      el('h2', { id: 'host-heading' }, 'Host'),
      hostChoice(saved),
      labelledInput({
        id: 'contact_center_api_name', name: 'contact_center_api_name', label: 'Contact center API name',
        value: saved.contact_center_api_name || '',
        hint: 'The contact center\'s internal name in Salesforce (letters, digits, single underscores).',
      }),
      labelledInput({
        id: 'telephony_base_url', name: 'telephony_base_url', label: 'Telephony Integration URL',
        value: saved.telephony_base_url || '',
        hint: 'https://<My Domain>.my.salesforce-scrt.com/telephony/v1',
      })),
    el('div', { className: 'form-actions' }, el('button', { type: 'submit', className: 'button-primary' }, 'Save')),
    result);
  const keyPair = el('section', { className: 'card', id: 'key-pair', 'aria-labelledby': 'key-pair-heading' });
  const generate = el('button', { type: 'button', id: 'generate-key-pair', className: 'button-primary' },
    'Generate a key pair');
  const generated = el('div', { id: 'key-pair-result', role: 'status', tabIndex: -1 });
  const drawKeyPair = async () => replace(keyPair, el('h2', { id: 'key-pair-heading' }, 'Telephony Integration key'),
    ...(await keyPairBody(saved)), el('p', null, generate), generated);
  generate.addEventListener('click', async () => {
    if (saved.key_pair_generated_at && !window.confirm('Replace the key pair? Salesforce refuses callpop\'s '
      + 'VoiceCall writes until you upload the new certificate.')) return;
    try {
      const answer = await api('/api/v1/settings/voice/key-pair', { method: 'POST', body: {} });
      saved = await api('/api/v1/settings/voice');
      await drawKeyPair();
      replace(generated, el('div', { className: 'result result-ok' }, el('p', null, answer.next_step)));
      generated.focus();
    } catch (failure) {
      replace(generated, el('div', { className: 'field-error' }, el('p', null, failure.message)));
    }
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    replace(result);
    try {
      saved = await whileBusy(form, () => api('/api/v1/settings/voice', { method: 'PUT', body: readForm(form) }));
      const label = HOSTS.find(([value]) => value === saved.host)[1];
      replace(result, el('div', { className: 'result result-ok' }, el('p', null, `Saved: agents take calls in ${label}.`)));
      await drawKeyPair();
      result.focus();
    } catch (failure) {
      showFailure(form, failure);
    }
  });
  await drawKeyPair();
  replace(main,
    pageHead('Salesforce Voice',
      'Open CTI stops working on February 28, 2028, and new Agentforce Service orgs cannot use it. Salesforce Voice '
      + 'with Partner Telephony replaces it: the same calls, pops and logging, in Omni-Channel\'s softphone. Choose '
      + '"Both" while you move agents over; no call is lost or doubled.'),
    el('div', { className: 'detail' }, form, keyPair));
}
