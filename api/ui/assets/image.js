// The page of one spec: its state, containers (with CPU, memory and
// liveness), the spec as YAML beside what runs, its last 100 events, live
// logs of a chosen container, and the actions.
import { ready, call, get } from './api.js';
import { $, el, announce, clock, debounce, imagePath, patch, pct, replace, shortRev } from './dom.js';
import { follow } from './stream.js';
import { renderSpec, renderDiff } from './specview.js';
import { setupActions } from './actions.js';
import { setupLogs } from './logs.js';
import { eventText } from './eventtext.js';

const image = document.body.dataset.image;
const base = '/images/' + imagePath(image);
const healthEvery = 5000; // ms: the sampler's own round is 2 s
const maxEvents = 100;

const state = { detail: null, etag: '', status: null, containers: [], health: new Map(), missing: '' };
const actions = setupActions({ image, current: () => state, reload: () => loadAll() });
const logs = setupLogs();

async function loadSpec() {
  try {
    const { data, etag } = await call('GET', base);
    state.detail = data;
    state.etag = etag || '';
    state.missing = '';
    if (data.status) state.status = data.status;
  } catch (err) {
    state.detail = null;
    state.missing = err.message;
  }
}

async function loadContainers() {
  try {
    state.containers = (await get(base + '/containers')).containers || [];
  } catch (err) {
    announce(`Could not list the containers: ${err.message}`, 'error');
  }
  renderContainers();
  renderDiff(state.detail, state.status, state.containers);
}

async function loadHealth() {
  try {
    const h = await get(base + '/health');
    state.health = new Map((h.health || []).map((c) => [c.container_id, c]));
    renderContainers();
  } catch {
    // The containers table keeps its last numbers; the next round retries.
  }
}

async function loadAll() {
  await Promise.all([loadSpec(), loadContainers()]);
  render();
}
const soonAll = debounce(loadAll, 150);
const soonContainers = debounce(loadContainers, 100);

function render() {
  renderState();
  renderSpec(state.detail);
  renderDiff(state.detail, state.status, state.containers);
  actions.fill(state.detail);
}

function renderState() {
  const st = state.status;
  if (!state.detail && state.missing) {
    replace($('state'), el('span', { className: 'err' }, state.missing));
    return;
  }
  if (!st) {
    $('state').textContent = 'Not reconciled yet.';
    return;
  }
  replace($('state'),
    el('span', { className: `badge health-${st.health}` }, st.health), ' ',
    el('span', { className: `badge sync-${st.synced ? 'Synced' : 'OutOfSync'}` }, st.synced ? 'Synced' : 'OutOfSync'),
    ` desired ${st.desired} · ready ${st.ready} · running ${st.running} · `,
    el('code', {}, st.source || ''), ' · revision ', el('code', { title: st.revision || '' }, shortRev(st.revision)),
    st.autoscale ? ` · CPU ${pct(st.autoscale.utilization_percent)} / ${st.autoscale.target_cpu_percent}% → ${st.autoscale.recommendation}${st.autoscale.reason ? ': ' + st.autoscale.reason : ''}` : '',
    st.last_error ? [el('br'), el('span', { className: 'err' }, st.last_error)] : null,
    st.message ? [el('br'), el('span', { className: 'muted' }, st.message)] : null);
}

// portLinks are a container's published ports, each a link to this host's
// port (the engine publishes on the host that serves this page).
function portLinks(ports) {
  const out = [];
  const host = location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname;
  for (const key of Object.keys(ports || {}).sort()) {
    const seen = new Set();
    for (const b of ports[key] || []) {
      if (!/^\d+$/.test(b.HostPort || '') || seen.has(b.HostPort)) continue;
      seen.add(b.HostPort);
      const text = `${key} → ${b.HostPort}`;
      out.push(key.endsWith('/udp') ? el('span', {}, text) : el('a', { href: `http://${host}:${b.HostPort}/`, rel: 'noopener noreferrer' }, text), ' ');
    }
    if (seen.size === 0) out.push(el('span', { className: 'muted' }, `${key} (not published)`), ' ');
  }
  return out;
}

function alive(h) {
  if (!h || h.server_alive === null || h.server_alive === undefined) return '–';
  return h.server_alive ? 'yes' : 'no';
}

function renderContainers() {
  const rows = state.containers.map((c) => {
    const h = state.health.get(c.container_id);
    return el('tr', { 'data-id': c.container_id },
      el('th', { scope: 'row', 'data-label': 'Name' }, c.name),
      el('td', { 'data-label': 'ID' }, el('code', { title: c.container_id }, c.container_id.slice(0, 12))),
      el('td', { 'data-label': 'Status' }, el('span', { className: `state state-${c.status}` }, c.status)),
      el('td', { 'data-label': 'Ports' }, portLinks(c.ports)),
      el('td', { 'data-label': 'CPU', className: 'num' }, h ? pct(h.cpu_percent) : '–'),
      el('td', { 'data-label': 'Memory', className: 'num' }, h ? pct(h.mem_percent) : '–'),
      el('td', { 'data-label': 'Alive' }, alive(h)),
      el('td', { className: 'buttons' },
        el('button', { type: 'button', 'data-logs': c.container_id, 'data-name': c.name, 'aria-label': `Logs of ${c.name}` }, 'Logs'),
        el('button', { type: 'button', className: 'danger', 'data-delete': c.container_id, 'data-name': c.name, 'aria-label': `Delete ${c.name}` }, 'Delete')));
  });
  patch($('containers'), rows);
  $('containers-note').textContent = rows.length ? '' : 'No containers.';
}

$('containers').addEventListener('click', (ev) => {
  const b = ev.target.closest('button[data-logs]');
  if (b) logs.follow(b.dataset.logs, b.dataset.name);
});

// An event of this image: listed, and the page reads what it changed. The
// stream starts with the events the server keeps (the list's history), so
// a status event may be old: the page reads the status again rather than
// taking the event's.
let seen = 0; // the highest event id listed: a resumed stream repeats none
function onEvent(type, data, id) {
  if (type === 'reset' || type === 'file' || type === 'git') {
    soonAll();
    return;
  }
  if (!data || data.image !== image) return;
  const n = Number(id) || 0;
  if (n && n <= seen) return;
  seen = Math.max(seen, n);
  addEvent(type, data);
  if (type === 'status') soonAll();
  else soonContainers();
}

function addEvent(type, data) {
  const list = $('events');
  list.prepend(el('li', { className: `ev ev-${type}${data.ok === false ? ' failed' : ''}` },
    el('time', {}, clock(data.time)), ' ', el('span', { className: 'tag' }, type), ' ', eventText(type, data)));
  while (list.children.length > maxEvents) list.lastChild.remove();
}

ready().then(() => {
  loadAll();
  loadHealth();
  setInterval(loadHealth, healthEvery);
  follow({ onEvent, resync: loadAll, replay: true });
});
