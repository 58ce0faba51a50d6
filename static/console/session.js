// Signing in and out of the console: where to send someone whose session is missing or over, and where they go
// back to afterwards (only ever a console page of this server).

import { forgetSessionToken } from './api.js';

// A `next` target from the URL, if it is one of the console's own pages; otherwise the overview.
export function safeNext(raw) {
  if (typeof raw !== 'string' || !raw.startsWith('/console/') || raw.startsWith('/console/sign-in')) {
    return '/console/';
  }
  // Only a path and query on this origin: no scheme, no host, no backslashes that a browser might read as one.
  if (raw.includes('\\') || raw.startsWith('//')) return '/console/';
  return raw;
}

// Ends the session in this tab and opens the sign-in page, coming back here afterwards.
export function goToSignIn() {
  forgetSessionToken();
  const here = `${window.location.pathname}${window.location.search}`;
  const next = here.startsWith('/console/sign-in') ? '/console/' : here;
  window.location.assign(`/console/sign-in?next=${encodeURIComponent(next)}`);
}

export function signOut() {
  forgetSessionToken();
  window.location.assign('/console/sign-in');
}
