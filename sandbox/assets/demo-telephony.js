// The demo's "Simulate a call" control, on the local org's Lightning and Classic pages when the org was started
// with `--demo-telephony` (as `cargo xtask demo` does). It is not part of Salesforce: it stands in for the caller
// and the phone system. Choosing a scenario asks callpop's demo telephony side (server/src/demo.rs) to ring the
// demo agent's softphone; "End call" reports the call answered and completed, as the phone system would when the
// caller hangs up. The agent can also hang up (or transfer) from the softphone's call controls, which the demo's
// telephony side obeys; the line then says the call is over by itself (it asks the demo's telephony side every
// 1.5 s while shown), and "End call" on a call that just ended says so too. Every value is inserted as text.
import { el } from './common.js';

const config = JSON.parse(document.getElementById('org-config').textContent);
const endpoint = config.demoTelephony ? config.demoTelephony.replace(/\/$/, '') : null;

async function telephony(path, body) {
  const options = body === undefined
    ? { method: 'POST' }
    : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(`${endpoint}${path}`, options);
  const text = await response.text();
  const answer = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error(answer && answer.message ? answer.message : `callpop answered ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return answer;
}

// The calls rung and not yet ended survive a page reload (the tab's session storage), so "End call" stays at hand.
const STORAGE_KEY = 'callpop-demo-calls';

function rememberedCalls() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY)) || [];
  } catch {
    return [];
  }
}

function remember(calls) {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(calls));
}

function showCall(calls, rung) {
  const line = el('li', { className: 'demo-call', 'data-call-id': rung.call_id });
  const endButton = el('button', { type: 'button', className: 'demo-end' }, 'End call');
  const words = el('span', {}, `Demo call from ${rung.caller_number} (${rung.label}). ${rung.expect}`);
  endButton.addEventListener('click', async () => {
    endButton.disabled = true;
    try {
      let ended = `Ended: ${rung.label}, ${rung.caller_number}.`;
      try {
        await telephony(`/calls/${encodeURIComponent(rung.call_id)}/end`);
      } catch (error) {
        // The demo's phone system no longer has the call: the agent hung up or transferred it from the softphone.
        if (error.status !== 404) throw error;
        ended = `Already over: ${rung.label}, ${rung.caller_number}.`;
      }
      remember(rememberedCalls().filter((call) => call.call_id !== rung.call_id));
      words.textContent = ended;
      endButton.remove();
      setTimeout(() => line.remove(), 6000);
    } catch (error) {
      words.textContent = `Could not end the call: ${error.message}`;
      endButton.disabled = false;
    }
  });
  line.append(words, endButton);
  calls.append(line);
  watchUntilOver(line, rung, words, endButton);
}

// How often a shown call asks whether it is still up.
const WATCH_MS = 1500;

// The agent may hang up or transfer the call from the softphone: the line then says so by itself, and goes.
async function watchUntilOver(line, rung, words, endButton) {
  while (line.isConnected && !endButton.disabled) {
    await new Promise((resolve) => setTimeout(resolve, WATCH_MS));
    let response;
    try {
      response = await fetch(`${endpoint}/calls/${encodeURIComponent(rung.call_id)}`);
    } catch {
      continue; // callpop is restarting: ask again.
    }
    if (response.status !== 404 || endButton.disabled) continue;
    remember(rememberedCalls().filter((call) => call.call_id !== rung.call_id));
    words.textContent = `Over: ${rung.label}, ${rung.caller_number} (ended from the softphone).`;
    endButton.remove();
    setTimeout(() => line.remove(), 6000);
    return;
  }
}

async function mount() {
  const header = document.querySelector('.global-header, .classic-header');
  if (!endpoint || !header) return;
  const status = el('p', { className: 'demo-status', role: 'status' });
  const calls = el('ul', { className: 'demo-calls', 'aria-label': 'Simulated calls' });
  const list = el('ul', { className: 'demo-scenarios' });
  const control = el(
    'details', { className: 'demo-telephony' },
    el('summary', {}, 'Simulate a call'),
    el(
      'div', { className: 'demo-menu' },
      el('p', { className: 'demo-help' },
        'Rings the demo agent\'s softphone, as the phone system would. Open Phone and sign in first.'),
      list,
      status,
    ),
  );
  header.querySelector('.org-badge').before(control);
  document.body.append(calls);
  for (const rung of rememberedCalls()) showCall(calls, rung);

  let scenarios;
  try {
    const response = await fetch(`${endpoint}/scenarios`);
    if (!response.ok) throw new Error(`callpop answered ${response.status}`);
    scenarios = await response.json();
  } catch (error) {
    status.textContent = `callpop's demo telephony did not answer (${error.message}). Is \`cargo xtask demo\` running?`;
    return;
  }
  for (const scenario of scenarios) {
    const button = el(
      'button', { type: 'button', 'data-scenario': scenario.id },
      el('strong', {}, scenario.label),
      el('span', {}, `${scenario.caller_number} · ${scenario.expect}`),
    );
    button.addEventListener('click', async () => {
      status.textContent = '';
      try {
        const rung = await telephony('/calls', { scenario: scenario.id });
        control.open = false;
        remember([...rememberedCalls(), rung]);
        showCall(calls, rung);
      } catch (error) {
        status.textContent = `Could not ring: ${error.message}`;
      }
    });
    list.append(el('li', {}, button));
  }
  control.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && control.open) {
      control.open = false;
      control.querySelector('summary').focus();
    }
  });
}

mount();
