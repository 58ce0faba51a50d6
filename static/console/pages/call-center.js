// The call center page: download the call center definition (`GET /api/v1/call-center.xml`), see what it sets, and
// follow the Salesforce Setup steps that put the callpop softphone in front of agents, in Classic and in Lightning.
// The file is fetched with the session token and offered as a download from memory: a plain link could not send
// the token.

import { apiText } from '../api.js';
import { el, facts, pageHead, replace } from '../dom.js';

const FILE_NAME = 'callpop-call-center.xml';

// An item's value in the definition (Salesforce's import format: `<item name="…">value</item>`).
function itemValue(definition, name) {
  const item = [...definition.getElementsByTagName('item')].find((node) => node.getAttribute('name') === name);
  return item ? item.textContent : '';
}

function steps(...items) {
  return el('ol', { className: 'steps' }, items.map((item) => el('li', null, item)));
}

export async function render(main) {
  const xml = await apiText('/api/v1/call-center.xml', 'application/xml');
  const definition = new DOMParser().parseFromString(xml, 'application/xml');
  const download = el('a', {
    href: URL.createObjectURL(new Blob([xml], { type: 'application/xml' })),
    download: FILE_NAME,
    id: 'download-xml',
    className: 'button-primary',
  }, `Download ${FILE_NAME}`);
  const internalName = itemValue(definition, 'reqInternalName');
  const adapterUrl = itemValue(definition, 'reqAdapterUrl');
  const plainHttp = adapterUrl.startsWith('http://') && el('p', { className: 'note', id: 'adapter-url-http' },
    'This address is plain HTTP, which only a local test org accepts. A real org frames the softphone over HTTPS '
    + 'only: give the account its public HTTPS address before you import the file.');
  replace(main,
    pageHead('Call center',
      'Salesforce loads the callpop softphone for the users of a call center. The call center definition tells it '
      + 'where the softphone is; import it once in each Salesforce org, then add your agents to the call center.'),
    el('div', { className: 'detail' },
      el('section', { className: 'card', 'aria-labelledby': 'definition-heading' },
        el('h2', { id: 'definition-heading' }, 'The call center definition'),
        el('p', null, download),
        facts([
          ['Internal name', internalName],
          ['Display name', itemValue(definition, 'reqDisplayName')],
          ['CTI Adapter URL', el('code', { id: 'adapter-url' }, adapterUrl)],
          ['Softphone size', `${itemValue(definition, 'reqSoftphoneWidth')} × ${itemValue(definition, 'reqSoftphoneHeight')} px`],
          ['Works in', itemValue(definition, 'reqSalesforceCompatibilityMode') === 'Classic_and_Lightning'
            ? 'Salesforce Classic and Lightning Experience' : itemValue(definition, 'reqSalesforceCompatibilityMode')],
        ]),
        plainHttp,
        el('details', { className: 'xml-preview' },
          el('summary', null, 'Show the file'),
          el('pre', { id: 'call-center-xml', tabindex: '0' }, xml))),
      el('section', { className: 'card setup-steps', 'aria-labelledby': 'setup-heading' },
        el('h2', { id: 'setup-heading' }, 'Set it up in Salesforce'),
        el('h3', null, 'In both Salesforce Classic and Lightning Experience'),
        steps(
          ['In Setup, open ', el('strong', null, 'Call Centers'), ' and click ', el('strong', null, 'Import'),
            `. Choose ${FILE_NAME} and import it. Its internal name (${internalName}) cannot be changed afterwards; `
            + 'every other value can be edited on the call center.'],
          ['Open the imported call center and click ', el('strong', null, 'Manage Call Center Users'),
            ', then add the agents who take calls. A user belongs to one call center at a time.'],
          ['In Setup, open ', el('strong', null, 'Softphone Layouts'),
            ': create a layout (or edit the default one), choose Lead and Contact with their phone fields for '
            + 'Inbound calls, and assign the layout to your agents\' profiles. callpop asks Salesforce for the '
            + 'matching records without a pop and opens the record itself, so the layout\'s screen-pop settings do '
            + 'not change what agents see.']),
        el('h3', null, 'Lightning Experience'),
        steps(
          ['In Setup, open the ', el('strong', null, 'App Manager'),
            ' and edit the Lightning app your agents use (or create one).'],
          ['Under ', el('strong', null, 'Utility Items'), ', add ', el('strong', null, 'Open CTI Softphone'),
            ' and save. Agents then open the softphone from the phone item in the app\'s utility bar.']),
        el('h3', null, 'Salesforce Classic'),
        el('p', null,
          'Users of the call center see the softphone in the sidebar of standard apps, or in the footer of a console '
          + 'app. Prefer a console app: there the softphone stays loaded while agents move between records, while the '
          + 'sidebar softphone reloads with every page.'),
        el('p', { className: 'note' },
          'Salesforce frames the softphone only over HTTPS, so the CTI Adapter URL above must start with https:// in '
          + 'a real org. If the softphone area stays blank, check that clickjack protection in Session Settings does '
          + 'not stop Salesforce from framing it.'))));
}
