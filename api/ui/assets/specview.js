// The spec as YAML, and the file beside what runs: the desired state (GET
// /images/{image}) against the spec's status (GET /status) and its
// containers. Only what the API says is compared; nothing is guessed.
import { $, el, replace, shortRev } from './dom.js';
import { toYAML } from './yaml.js';

// apiKeys are what GET /images/{image} adds to the spec's own fields.
const apiKeys = ['revision', 'source', 'stale', 'errors', 'status'];

// specOf is the spec alone: what PUT /images/{image} takes back.
export function specOf(detail) {
  const out = {};
  for (const [k, v] of Object.entries(detail || {})) {
    if (!apiKeys.includes(k)) out[k] = v;
  }
  return out;
}

export function renderSpec(detail) {
  if (!detail) {
    $('spec-source').textContent = 'No spec for this image in the state directory.';
    $('spec-yaml').textContent = '';
    return;
  }
  const where = detail.stale
    ? `The file ${detail.source} has errors; this is its last good version, which serve keeps in force.`
    : `As serve reads it from ${detail.source} (revision ${shortRev(detail.revision)}).`;
  $('spec-source').textContent = where;
  $('spec-yaml').textContent = toYAML(specOf(detail));
}

// diffRows compares the file with what runs, one aspect a row; same is
// false where they differ, null where there is nothing to compare.
export function diffRows(detail, status, containers) {
  const rows = [];
  const spec = detail ? specOf(detail) : null;
  const states = {};
  for (const c of containers || []) states[c.status] = (states[c.status] || 0) + 1;
  const stateText = Object.entries(states).map(([s, n]) => `${n} ${s}`).join(', ') || 'no containers';

  if (detail && detail.stale) {
    rows.push(['File', `broken: ${(detail.errors || []).join('; ')}`, `the last good version (revision ${shortRev(detail.revision)})`, false]);
  }
  rows.push(['Revision', detail ? shortRev(detail.revision) : 'none',
    status ? shortRev(status.revision) || 'none' : 'not reconciled yet',
    detail && status ? detail.revision === status.revision : null]);
  if (spec) {
    const running = spec.resources && spec.resources.status === 'stopped' ? 'stopped' : 'running';
    rows.push(['Replicas', `min ${spec.min_replicas}, max ${spec.max_replicas}`,
      status ? `desired ${status.desired}, running ${status.running}, ready ${status.ready}` : '',
      status ? status.running === status.desired && status.ready >= status.desired : null]);
    const stopped = running === 'stopped';
    const active = (states.running || 0) + (states.restarting || 0);
    rows.push(['Run state', running, stateText, stopped ? active === 0 : (containers || []).length > 0 && active === (containers || []).length]);
  }
  if (status) {
    rows.push(['Converged', '', (status.synced ? 'Synced' : 'OutOfSync') + (status.message ? `: ${status.message}` : ''), status.synced]);
  }
  return rows;
}

export function renderDiff(detail, status, containers) {
  replace($('diff'), diffRows(detail, status, containers).map(([what, file, running, same]) =>
    el('tr', { className: same === false ? 'differs' : '' },
      el('th', { scope: 'row' }, what, same === false ? el('span', { className: 'mark' }, ' ≠') : null),
      el('td', {}, file),
      el('td', {}, running))));
}
