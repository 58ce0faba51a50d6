// The Salesforce connection page (`GET/POST/DELETE /api/v1/salesforce/connection`): the org the account is linked
// to, the integration user callpop writes as, the org's daily API usage (from Salesforce's `Sforce-Limit-Info`) and
// the requests callpop spends per logged call. Linking and relinking go through Salesforce's OAuth page: the POST
// answers with the authorize URL, the browser goes there, and Salesforce sends it back to the server's callback,
// which returns here with `?linked=1` or `?error=<why>`. Unlinking asks first.

import { api } from '../api.js';
import { badge, el, facts, pageHead, replace } from '../dom.js';
import { dateTime, safeHttpUrl, sentence } from '../format.js';
import { clearErrors, labelledInput, showFailure, whileBusy } from '../forms.js';

const STATUSES = {
  connected: ['Connected', 'ok'],
  needs_relink: ['Needs relinking', 'error'],
  not_linked: ['Not linked', 'muted'],
};

const NUMBER = new Intl.NumberFormat();

function usage(connection) {
  const { api_used: used, api_max: max } = connection;
  if (used === null || used === undefined || !max) {
    return el('p', { className: 'muted', id: 'api-usage' },
      'Salesforce reports the org\'s API usage with every answer; it shows here after callpop\'s first request.');
  }
  const share = Math.round((used / max) * 100);
  return el('div', { className: 'usage', id: 'api-usage' },
    el('label', { for: 'api-usage-meter', className: 'usage-label' }, 'API requests today (the whole org)'),
    el('meter', {
      id: 'api-usage-meter', min: '0', max: String(max), value: String(used), low: String(Math.round(max * 0.7)),
      high: String(Math.round(max * 0.9)), optimum: '0',
    }, `${used} of ${max}`),
    el('p', { className: 'usage-numbers' },
      el('strong', null, `${NUMBER.format(used)} of ${NUMBER.format(max)}`), ` requests used (${share}%). `,
      el('span', { className: 'muted' },
        'Every integration and user of the org shares this daily allowance; callpop pauses its sync when it runs out.')));
}

function perCall(connection) {
  const value = connection.requests_per_logged_call;
  return el('p', { id: 'requests-per-call' },
    value === null || value === undefined
      ? el('span', { className: 'muted' }, 'No call or text was logged in Salesforce in the last 7 days.')
      : [el('strong', null, value.toFixed(1)),
        ' Salesforce requests per call or text logged, over the last 7 days (searches, records and Tasks together).']);
}

function orgFacts(connection) {
  const instance = safeHttpUrl(connection.instance_url);
  return facts([
    ['Integration user', connection.username],
    ['Salesforce user id', connection.user_id],
    ['Org id', connection.org_id],
    ['Instance', instance ? el('a', { href: instance, rel: 'noopener noreferrer', target: '_blank' }, connection.instance_url)
      : connection.instance_url],
    ['Login URL', connection.login_url],
    ['Time zone (Task dates)', connection.time_zone || 'unknown: Task dates are UTC until the preflight check reads it'],
    ['Linked', dateTime(connection.connected_at)],
    ['Sync paused until', connection.paused_until && dateTime(connection.paused_until)],
  ]);
}

// What came back from Salesforce's OAuth page, from the callback's redirect.
function arrival(params) {
  if (params.get('linked') === '1') {
    return el('div', { className: 'result result-ok', id: 'link-result', tabindex: '-1' },
      el('p', null, el('strong', null, 'Salesforce is linked. '),
        'callpop sends calls to this org from now on. Run the ', el('a', { href: '/console/preflight' }, 'preflight check'),
        ' before going live.'));
  }
  if (params.has('error')) {
    return el('div', { className: 'form-error', id: 'link-result', role: 'alert', tabindex: '-1' },
      el('p', null, el('strong', null, 'Salesforce was not linked. '), sentence(params.get('error'))),
      el('p', null, 'Nothing changed. Try again, or check the connected app\'s callback URL and scopes.'));
  }
  return null;
}

function linkForm(connection) {
  const relink = connection.status !== 'not_linked';
  const form = el('form', { id: 'link-form', className: 'inline-form', novalidate: true },
    labelledInput({
      id: 'login-url', name: 'login_url', label: 'Salesforce login URL (optional)', type: 'url',
      value: relink && connection.login_url ? connection.login_url : '',
      hint: 'Leave empty for the server\'s default. Use https://test.salesforce.com for a sandbox, or your My Domain URL.',
    }),
    el('button', { type: 'submit', className: 'button-primary', id: 'link-button' },
      relink ? 'Relink Salesforce' : 'Link Salesforce'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      const started = await whileBusy(form, () => api('/api/v1/salesforce/connection', {
        method: 'POST', body: { login_url: form.elements.login_url.value.trim() || null },
      }));
      const target = safeHttpUrl(started.authorize_url);
      if (!target) throw new Error('the server answered with an authorize URL that is not http(s)');
      window.location.assign(target);
    } catch (failure) {
      showFailure(form, failure);
    }
  });
  return form;
}

function unlinkControl(onUnlinked) {
  const area = el('div', { id: 'unlink-area', className: 'unlink' });
  const ask = () => {
    replace(area,
      el('p', { className: 'confirm-text', id: 'unlink-warning' },
        'callpop revokes its access to the org and stops sending calls and texts to Salesforce. They keep queueing '
        + 'and are sent once you link again.'),
      el('button', {
        type: 'button', className: 'button-danger', id: 'confirm-unlink', 'aria-describedby': 'unlink-warning',
        onclick: unlink,
      }, 'Unlink Salesforce'),
      ' ',
      el('button', { type: 'button', className: 'button-quiet', id: 'cancel-unlink', onclick: restore }, 'Cancel'));
    area.querySelector('#confirm-unlink').focus();
  };
  const restore = () => {
    replace(area, el('button', { type: 'button', className: 'button-quiet', id: 'unlink', onclick: ask }, 'Unlink…'));
  };
  async function unlink() {
    try {
      await api('/api/v1/salesforce/connection', { method: 'DELETE' });
    } catch (failure) {
      replace(area, el('p', { className: 'field-error', role: 'alert' }, sentence(failure.message)));
      return;
    }
    await onUnlinked();
  }
  restore();
  return area;
}

export async function render(main, { params }) {
  const notice = el('div', { id: 'connection-notice', role: 'status' });
  // Shown once: a reload or a later redraw does not repeat what Salesforce's page answered.
  let arrived = arrival(params);
  if (arrived) window.history.replaceState(null, '', '/console/salesforce');

  async function draw() {
    const connection = await api('/api/v1/salesforce/connection');
    const [words, tone] = STATUSES[connection.status] || [connection.status, 'muted'];
    const linked = connection.status !== 'not_linked';
    const connectionCard = el('section', { className: 'card', 'aria-labelledby': 'connection-heading', id: 'connection' },
      el('div', { className: 'panel-head' },
        el('h2', { id: 'connection-heading' }, 'Connection'),
        el('span', { id: 'connection-status', 'data-status': connection.status }, badge(words, tone))),
      connection.status === 'needs_relink' && el('p', { className: 'form-error', id: 'relink-reason' },
        'Salesforce refused callpop\'s access (the token was revoked or the user lost access). Calls are queueing: '
        + 'relink to send them.', connection.last_error ? ` Salesforce said: ${sentence(connection.last_error)}` : ''),
      linked ? orgFacts(connection)
        : el('p', { className: 'lead', id: 'not-linked' },
          'This account is not linked to a Salesforce org yet. Link it: Salesforce asks you to sign in and to allow '
          + 'callpop, then brings you back here.'),
      connection.linking_available ? linkForm(connection)
        : el('p', { className: 'note', id: 'linking-unavailable' },
          'This callpop server has no Salesforce connected app configured, so it cannot link an org. Its operator sets '
          + 'CALLPOP_SALESFORCE_CLIENT_ID and CALLPOP_SALESFORCE_CLIENT_SECRET (see the admin guide).'),
      linked && unlinkControl(async () => {
        arrived = null;
        await draw();
        replace(notice, el('p', { className: 'result result-ok', id: 'unlinked' },
          'Salesforce is unlinked. Calls and texts keep queueing until you link an org again.'));
        main.querySelector('#link-button')?.focus();
      }));
    const usageCard = linked && el('section', { className: 'card', 'aria-labelledby': 'usage-heading', id: 'usage' },
      el('h2', { id: 'usage-heading' }, 'API usage'),
      usage(connection),
      perCall(connection));
    const next = linked && el('section', { className: 'card', 'aria-labelledby': 'next-heading' },
      el('h2', { id: 'next-heading' }, 'Before going live'),
      el('p', null, 'The ', el('a', { href: '/console/preflight' }, 'preflight check'),
        ' tries what callpop writes against this org, rolled back, and lists anything that would block it: '
        + 'validation rules, required fields, picklists, duplicate rules.'));
    replace(main,
      pageHead('Salesforce connection',
        'The Salesforce org callpop writes calls and texts to, as which user, and how much of the org\'s API allowance '
        + 'it uses.'),
      arrived,
      notice,
      connectionCard,
      usageCard,
      next);
  }

  await draw();
  main.querySelector('#link-result')?.focus();
}
