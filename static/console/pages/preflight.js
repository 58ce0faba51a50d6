// The preflight check (`GET /api/v1/salesforce/preflight`): before going live, the server checks the linked org
// (permissions, required fields, validation and duplicate rules, State/Country picklists, the Task's external id,
// and a dry run of the records callpop writes, rolled back) and lists every finding with its fix. Problems come
// first; "all good" is said plainly when there are none.

import { api } from '../api.js';
import { badge, el, pageHead, replace } from '../dom.js';
import { sentence } from '../format.js';

const STATUSES = {
  problem: ['Problem', 'error', 0],
  warning: ['Check this', 'warn', 1],
  ok: ['OK', 'ok', 2],
};

function statusOf(check) {
  return STATUSES[check.status] || [check.status, 'muted', 1];
}

function checkItem(check) {
  const [words, tone] = statusOf(check);
  return el('li', { className: `check check-${check.status}`, 'data-check': check.id },
    el('div', { className: 'check-head' },
      badge(words, tone),
      el('h3', { className: 'check-title' }, check.title)),
    check.detail && el('p', { className: 'check-detail' }, sentence(check.detail)),
    check.fix && el('p', { className: 'check-fix' }, el('strong', null, 'Fix: '), sentence(check.fix)));
}

function summary(checks) {
  const problems = checks.filter((check) => check.status === 'problem').length;
  const warnings = checks.filter((check) => check.status === 'warning').length;
  const worthALook = warnings === 0 ? ''
    : ` ${warnings} ${warnings === 1 ? 'finding is' : 'findings are'} worth a look, below.`;
  if (problems === 0) {
    return el('div', { className: 'result result-ok', id: 'preflight-summary', 'data-outcome': 'ok', tabindex: '-1' },
      el('p', null, el('strong', null, 'All good. '),
        `Nothing in the org would stop calls from syncing: callpop can write what it needs. You can go live.${worthALook}`));
  }
  return el('div', { className: 'form-error', id: 'preflight-summary', 'data-outcome': 'problems', tabindex: '-1' },
    el('p', null, el('strong', null, `${problems} ${problems === 1 ? 'problem' : 'problems'} would stop calls from syncing. `),
      'Each one says what to change in Salesforce Setup; run the check again afterwards.', worthALook));
}

export async function render(main) {
  const results = el('div', { id: 'preflight-results', 'aria-live': 'polite' });
  const runButton = el('button', { type: 'button', className: 'button-primary', id: 'run-preflight' }, 'Run the check again');

  async function run() {
    runButton.disabled = true;
    results.setAttribute('aria-busy', 'true');
    try {
      const { checks } = await api('/api/v1/salesforce/preflight');
      const ordered = [...checks].sort((a, b) => statusOf(a)[2] - statusOf(b)[2]);
      const notLinked = checks.some((check) => check.id === 'linked' && check.status !== 'ok');
      replace(results,
        summary(checks),
        notLinked && el('p', null, el('a', { href: '/console/salesforce' }, 'Go to the Salesforce connection')),
        el('ul', { className: 'checks', id: 'checks' }, ordered.map(checkItem)));
    } finally {
      runButton.disabled = false;
      results.removeAttribute('aria-busy');
    }
  }

  runButton.addEventListener('click', async () => {
    replace(results, el('p', { className: 'loading' }, 'Checking the org…'));
    try {
      await run();
    } catch (failure) {
      replace(results, el('p', { className: 'form-error', role: 'alert' }, sentence(failure.message)));
    }
    results.querySelector('#preflight-summary')?.focus();
  });

  await run();
  replace(main,
    pageHead('Preflight check',
      'Before going live, callpop checks the linked org: can the integration user create a Lead with the fields '
      + 'callpop writes, does the Task have the external-id field, and which validation rules, required fields, '
      + 'State/Country picklists or duplicate rules would block a write. The dry run is rolled back: nothing stays '
      + 'in the org.'),
    el('div', { className: 'form-actions preflight-actions' }, runButton),
    results);
}
