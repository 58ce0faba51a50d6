// The console's DOM helpers. Every page builds its DOM with these: a value from the server or the URL becomes a
// text node or an attribute value, never markup. Nothing in the console uses innerHTML. `el` is the same helper as
// the local org's (sandbox/assets/common.js); the console keeps its own copy because the callpop server serves it,
// and the org's files are not part of a callpop deployment.

// Builds an element. Children that are not nodes become text nodes: nothing is ever parsed as HTML.
// Attributes: `onclick`-style names add listeners, `className` sets the class, `true` sets an empty attribute, and
// `false`, null and undefined leave the attribute out.
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'className') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Replaces everything inside `node` with `children`.
export function replace(node, ...children) {
  node.replaceChildren();
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A link to a console page with query parameters (empty values left out).
export function consoleHref(page, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
  }
  const search = query.toString();
  return `/console/${page}${search ? `?${search}` : ''}`;
}

// A `<dl>` of label/value pairs; pairs whose value is empty are left out.
export function facts(pairs, className) {
  const list = el('dl', { className: className || 'facts' });
  for (const [label, value] of pairs) {
    if (value === undefined || value === null || value === '') continue;
    list.append(el('dt', null, label), el('dd', null, value));
  }
  return list;
}

// A small status badge: `tone` picks its colours (ok, warn, error, info, muted).
export function badge(text, tone) {
  return el('span', { className: `badge badge-${tone || 'muted'}` }, text);
}

// A page's heading and its introduction (a muted paragraph; omitted when there is none).
export function pageHead(title, ...introduction) {
  return el('div', { className: 'page-head' },
    el('h1', null, title),
    introduction.length > 0 && el('p', { className: 'muted' }, ...introduction));
}
