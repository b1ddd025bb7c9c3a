// The overview's rows, built from GET /status and GET /images exactly as
// the server renders them (rows.go, templates/overview.html): the broken
// files first, then one row per spec by image.
import { el, imageURL, pct, shortRev } from './dom.js';

// overviewRows mirrors rows.go's overviewRows.
export function overviewRows(list, images) {
  const stale = new Map((images || []).map((img) => [img.image, !!img.stale]));
  const errors = list.errors || [];
  const claimed = new Set();
  const specs = [...(list.specs || [])].sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0));
  const rows = specs.map((st) => {
    const r = {
      image: st.image, sync: st.synced ? 'Synced' : 'OutOfSync', health: st.health, counts: true,
      desired: st.desired, ready: st.ready, running: st.running,
      source: st.source, revision: st.revision, error: st.last_error || '', message: st.message || '',
      stale: !!stale.get(st.image), broken: false, cpu: '', scale: '',
    };
    for (const e of errors) {
      if (r.error && r.error.includes(e)) {
        r.broken = true;
        claimed.add(e);
      }
    }
    r.broken = r.broken || r.stale;
    const as = st.autoscale;
    if (as) {
      r.cpu = `${pct(as.utilization_percent)} / ${as.target_cpu_percent}%`;
      r.scale = `→ ${as.recommendation}` + (as.reason ? ': ' + as.reason : '');
    }
    return r;
  });
  const broken = errors.filter((e) => !claimed.has(e)).map((e) => ({ broken: true, source: errorSource(e), error: e, image: '' }));
  return broken.concat(rows);
}

// errorSource is the file:line that starts a directory error.
export function errorSource(e) {
  const m = /^(.+?:\d+): /.exec(e);
  if (m) return m[1];
  const i = e.indexOf(': ');
  return i > 0 ? e.slice(0, i) : '';
}

const badge = (kind, word) => (word ? el('span', { className: `badge ${kind}-${word}` }, word) : null);

// rowElement is one <tr>, as templates/overview.html renders it.
export function rowElement(r) {
  const image = r.image
    ? [el('a', { href: imageURL(r.image) }, r.image), r.stale ? [' ', el('span', { className: 'tag' }, 'last good version')] : null]
    : [el('span', { className: 'tag bad' }, 'broken file')];
  const cpu = r.cpu
    ? [el('span', { className: 'cpu' }, r.cpu), ' ', el('span', { className: 'scale' }, r.scale)]
    : [el('span', { className: 'muted' }, 'not autoscaled')];
  return el('tr', { className: 'spec' + (r.broken ? ' broken' : ''), 'data-image': r.image || '' },
    el('th', { scope: 'row', 'data-label': 'Image' }, image),
    el('td', { 'data-label': 'Sync' }, badge('sync', r.sync)),
    el('td', { 'data-label': 'Health' }, badge('health', r.health)),
    el('td', { 'data-label': 'Desired / ready / running', className: 'num' }, r.counts ? `${r.desired} / ${r.ready} / ${r.running}` : ''),
    el('td', { 'data-label': 'CPU vs target' }, cpu),
    el('td', { 'data-label': 'Source' }, el('code', {}, r.source || '')),
    el('td', { 'data-label': 'Revision' }, el('code', { title: r.revision || '' }, shortRev(r.revision))),
    el('td', { 'data-label': 'Last error', className: 'err' }, r.error || '', r.message ? [' ', el('span', { className: 'muted' }, r.message)] : null),
  );
}
