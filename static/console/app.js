// Starts every console page: finds the page for the URL, checks the session (`GET /api/v1/me`), draws the header
// and the navigation for the signed-in user, then lets the page's module draw `<main>`. A page whose data the server
// refuses gets the matching explanation here: sign in again (401), no access for this role (403), not in this plan
// (403 `plan_excludes_salesforce`), nothing there (404).

import { ApiFailure, api, sessionToken } from './api.js';
import { el, replace } from './dom.js';
import { roleName, sentence } from './format.js';
import { SECTIONS, findPage, moduleFor } from './pages.js';
import { goToSignIn, signOut } from './session.js';

const main = document.getElementById('main');

function slugFromPath() {
  return window.location.pathname.replace(/^\/console\/?/, '').replace(/\/+$/, '');
}

// Marks the page drawn: tests and screenshots wait for `data-ready`.
function ready(slug) {
  main.dataset.page = slug || 'overview';
  main.dataset.ready = '1';
  main.removeAttribute('aria-busy');
}

function drawHeader(me) {
  const who = document.getElementById('who');
  replace(who,
    el('span', { className: 'who-account' }, me.account_name,
      el('span', { className: 'who-plan' }, `${me.plan_name} plan`)),
    el('span', { className: 'who-user' },
      el('span', { className: 'who-name' }, me.display_name),
      el('span', { className: 'who-role' }, roleName(me.role))),
    el('button', { type: 'button', className: 'button-quiet', id: 'sign-out', onclick: signOut }, 'Sign out'));
  who.hidden = false;
}

function drawNavigation(me, current) {
  const nav = document.getElementById('nav');
  const sections = [];
  for (const section of SECTIONS) {
    const pages = section.pages.filter((page) => page.shows(me));
    if (pages.length === 0) continue;
    const excluded = section.heading === 'Salesforce' && !me.salesforce_included;
    sections.push(el('div', { className: 'nav-section' },
      section.heading && el('h2', { className: 'nav-heading' }, section.heading,
        excluded && el('span', { className: 'nav-note' }, 'not in your plan')),
      el('ul', null, pages.map((page) => el('li', null,
        el('a', {
          href: `/console/${page.slug}`,
          'aria-current': page === current ? 'page' : false,
        }, page.title))))));
  }
  replace(nav, sections);
  nav.hidden = false;
}

// What to show when the server refused the page's data (`me` is null when the session itself could not be read).
function drawRefusal(failure, page, me) {
  const title = page ? page.title : 'This page';
  if (failure.status === 403 && failure.code === 'plan_excludes_salesforce') {
    replace(main, el('section', { className: 'refusal', 'data-refusal': 'plan' },
      el('h1', null, 'Salesforce is not part of your plan'),
      el('p', { className: 'lead' }, sentence(failure.message)),
      el('p', null, `The ${title} page is part of the Salesforce integration. The call log and the text log work on every plan; `
        + 'to send calls to Salesforce, move the account to one of the plans above.'),
      el('p', null, el('a', { href: '/console/calls' }, 'Open the call log'))));
  } else if (failure.status === 403 && me) {
    replace(main, el('section', { className: 'refusal', 'data-refusal': 'forbidden' },
      el('h1', null, `You do not have access to ${title}`),
      el('p', { className: 'lead' },
        `You are signed in as ${me.display_name} (${roleName(me.role)}), and this page is not open to your role. `
        + `If you need it, ask an administrator of ${me.account_name}.`),
      el('p', { className: 'server-says' }, `The server answered 403: ${sentence(failure.message)}`),
      el('p', null, el('a', { href: '/console/' }, 'Back to the overview'))));
  } else if (failure.status === 404) {
    replace(main, el('section', { className: 'refusal', 'data-refusal': 'not-found' },
      el('h1', null, 'Not found'),
      el('p', { className: 'lead' }, `${sentence(failure.message)} It does not exist, or it is not one you can see.`),
      el('p', null, el('a', { href: page ? `/console/${page.slug}` : '/console/' }, `Back to ${title}`))));
  } else {
    replace(main, el('section', { className: 'refusal', 'data-refusal': 'error' },
      el('h1', null, 'Something went wrong'),
      el('p', { className: 'lead' }, sentence(failure.message)),
      el('p', null, el('a', { href: window.location.href }, 'Try again'))));
  }
}

function drawNoSuchPage() {
  document.title = 'Not found · callpop console';
  replace(main, el('section', { className: 'refusal', 'data-refusal': 'not-found' },
    el('h1', null, 'There is no such page'),
    el('p', { className: 'lead' }, 'The console has no page at this address.'),
    el('p', null, el('a', { href: '/console/' }, 'Go to the overview'))));
}

async function start() {
  const slug = slugFromPath();
  if (slug === 'sign-in') {
    const { render } = await import('./pages/sign-in.js');
    document.title = 'Sign in · callpop console';
    await render(main);
    ready(slug);
    return;
  }
  if (!sessionToken()) {
    goToSignIn();
    return;
  }
  let me;
  try {
    me = await api('/api/v1/me');
  } catch (failure) {
    if (failure instanceof ApiFailure && failure.status === 401) {
      goToSignIn();
      return;
    }
    drawRefusal(failure, null, null);
    ready(slug);
    return;
  }
  const page = findPage(slug);
  drawHeader(me);
  drawNavigation(me, page);
  if (!page) {
    drawNoSuchPage();
    ready(slug);
    return;
  }
  document.title = `${page.title} · callpop console`;
  try {
    const module = await import(moduleFor(page));
    await module.render(main, { me, page, params: new URLSearchParams(window.location.search) });
  } catch (failure) {
    if (!(failure instanceof ApiFailure)) throw failure;
    if (failure.status === 401) {
      goToSignIn();
      return;
    }
    drawRefusal(failure, page, me);
  }
  ready(slug);
}

start().catch((error) => {
  replace(main, el('section', { className: 'refusal', 'data-refusal': 'error' },
    el('h1', null, 'The console could not start'),
    el('p', { className: 'lead' }, 'Reload the page; if it persists, tell your callpop administrator.')));
  main.dataset.ready = '1';
  console.error(error);
});
