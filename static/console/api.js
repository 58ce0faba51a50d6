// The console's link to the callpop server's JSON API: the signed-in user's bearer token, and every error as an
// `ApiFailure` carrying the server's `{error, message, field}`.
//
// The session token is kept in sessionStorage, so it goes away with the tab. The console sends it itself, in the
// Authorization header; the browser never attaches it to a request on its own the way it does a cookie. A page on
// another site therefore cannot make a request as the signed-in admin, and the console's state-changing forms need
// no CSRF token.

const TOKEN_KEY = 'callpop.console.token';

export function sessionToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function keepSessionToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetSessionToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// A request the server refused, or that did not reach it (`status` 0).
export class ApiFailure extends Error {
  constructor(status, body) {
    const message = body && typeof body.message === 'string'
      ? body.message
      : `The callpop server answered ${status}. Try again; if it persists, tell your callpop administrator.`;
    super(message);
    this.status = status;
    this.code = body && typeof body.error === 'string' ? body.error : 'unknown';
    this.field = body && typeof body.field === 'string' ? body.field : null;
    // Every problem of a refused trigger rule, each `{path, message}` (the first is also `field` and `message`).
    this.problems = body && Array.isArray(body.problems) ? body.problems : [];
  }
}

// Sends a request with the session token and returns the Response, or throws an `ApiFailure`.
async function send(path, { method = 'GET', body, accept = 'application/json' } = {}) {
  const headers = { Accept: accept };
  const token = sessionToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiFailure(0, {
      error: 'network', message: 'The callpop server could not be reached. Check your connection and try again.',
    });
  }
  if (!response.ok) {
    let parsed = null;
    try {
      parsed = await response.json();
    } catch {
      parsed = null;
    }
    throw new ApiFailure(response.status, parsed);
  }
  return response;
}

// A JSON request; resolves to the parsed answer (null for an empty one: 204 No Content, or a 202 with no body).
export async function api(path, options) {
  const response = await send(path, options);
  if (response.status === 204) return null;
  const text = await response.text();
  return text.trim() ? JSON.parse(text) : null;
}

// A request whose answer is a file; resolves to its text.
export async function apiText(path, accept) {
  const response = await send(path, { accept });
  return response.text();
}
