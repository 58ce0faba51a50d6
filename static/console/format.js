// How the console words and formats what the API returns: dates, durations, roles, plans, call states and sync
// statuses. Pure functions returning strings; the pages put them in the DOM as text.

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const DATE_TIME_SECONDS = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

// A time from the API (RFC 3339), in the browser's time zone.
export function dateTime(value, withSeconds) {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return (withSeconds ? DATE_TIME_SECONDS : DATE_TIME).format(date);
}

// 184 → "3 min 4 s".
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '';
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  if (minutes === 0) return `${rest} s`;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

export const ROLE_NAMES = {
  call_agent: 'Call agent',
  call_manager: 'Call manager',
  report_manager: 'Report manager',
  administrator: 'Administrator',
};

export function roleName(role) {
  return ROLE_NAMES[role] || role;
}

export function directionName(direction) {
  return direction === 'outbound' ? 'Outbound' : 'Inbound';
}

export const CALL_STATES = { ringing: 'Ringing', answered: 'Answered', completed: 'Completed' };

// The sync status's words and the badge tone that goes with them.
export const SYNC_STATUSES = {
  pending: ['Pending', 'info'],
  synced: ['Synced', 'ok'],
  retrying: ['Retrying', 'warn'],
  parked: ['Needs attention', 'error'],
  failed: ['Failed', 'error'],
};

export const STEP_OUTCOMES = {
  ok: ['OK', 'ok'],
  retrying: ['Will retry', 'warn'],
  parked: ['Parked', 'error'],
  failed: ['Failed', 'error'],
};

export const SYNC_STEPS = {
  search: 'Search', match: 'Match', create: 'Create', update: 'Update', append: 'Append Task',
  campaign: 'Campaign',
};

export const CHOSEN_BY = {
  single_match: 'The only match',
  agent_choice: "The agent's choice",
  new_record: 'A record the agent created',
  click_to_dial: 'Click-to-dial',
};

// "a" or "an" before a word, for sentences such as "You are signed in as an administrator".
export function article(word) {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

// A URL safe to put in a link: http(s) only. Anything else (javascript:, data:) is shown as text instead.
export function safeHttpUrl(value) {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

// A server message as a sentence: capitalised, with a full stop (API messages have neither).
export function sentence(message) {
  const text = String(message || '').trim();
  if (!text) return '';
  const capitalised = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

// The address of a Salesforce record in the org (`{orgUrl}/{id}`), or null when either is not what it should be:
// the org's address comes from the server (only an org it sends credentials to), and the id must look like one.
export function recordHref(orgUrl, id) {
  const base = orgUrl ? safeHttpUrl(orgUrl) : null;
  if (!base || !/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(String(id || ''))) return null;
  return `${base.replace(/\/+$/, '')}/${id}`;
}
