// DOM helpers. Every text that comes from a file, the engine or the API is
// set with textContent (or as a property), never parsed as HTML: a value
// like <img src=x onerror=alert(1)> shows as those characters.

// el makes an element. attrs are properties (className, href, title, …) or,
// for names with a dash (data-*, aria-*), attributes; children are nodes or
// strings (text nodes). null and undefined children are skipped.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.includes('-')) node.setAttribute(k, v === true ? '' : String(v));
    else node[k] = v;
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// replace puts nodes in place of parent's children.
export function replace(parent, ...nodes) {
  parent.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined));
}

// patch makes parent's children equal to nodes, keeping each child that is
// equal already (and with it the focus of a person tabbing through).
export function patch(parent, nodes) {
  const old = [...parent.children];
  nodes.forEach((node, i) => {
    if (!old[i]) parent.append(node);
    else if (!old[i].isEqualNode(node)) old[i].replaceWith(node);
  });
  old.slice(nodes.length).forEach((n) => n.remove());
}

export const $ = (id) => document.getElementById(id);

// announce says what happened in the page's live region: screen readers
// read it, and it stays on screen until the next action.
export function announce(text, kind) {
  const live = $('announce');
  live.className = 'announce' + (kind ? ' ' + kind : '');
  live.textContent = text;
}

// connState shows how the page gets its updates (live, polling, …).
export function connState(text, kind) {
  const c = $('conn');
  c.textContent = text;
  c.className = 'conn ' + (kind || '');
}

export function pct(v) {
  return v === null || v === undefined ? '–' : `${Math.round(v)}%`;
}

export function shortRev(rev) {
  return rev && rev.length > 12 ? rev.slice(0, 12) : rev || '';
}

// clock is a time as hh:mm:ss in the browser's zone.
export function clock(t) {
  const d = t ? new Date(t) : new Date();
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour12: false });
}

// imageURL is an image's page (each path segment escaped, ":" and "@" kept,
// as the server renders it).
export function imageURL(image) {
  return '/ui/images/' + imagePath(image);
}

// imagePath is an image as a path of the API: /images/{image}/…
export function imagePath(image) {
  return image.split('/').map((p) => encodeURIComponent(p).replace(/%3A/g, ':').replace(/%40/g, '@')).join('/');
}

// debounce runs fn once, wait ms after the last of a burst of calls.
export function debounce(fn, wait) {
  let timer = 0;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, wait);
  };
}
