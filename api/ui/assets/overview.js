// The overview: one row per spec (and per broken file), kept live from
// GET /events without a reload.
import { ready, get } from './api.js';
import { $, announce, clock, debounce, patch } from './dom.js';
import { follow } from './stream.js';
import { overviewRows, rowElement } from './rows.js';

let list = { specs: [], errors: [] };
let images = [];
const cpuEvery = 10000; // ms: CPU use moves without events

// refresh reads both answers again; a failure of one keeps its last value.
async function refresh() {
  const [st, im] = await Promise.allSettled([get('/status'), get('/images')]);
  if (st.status === 'fulfilled') list = st.value;
  if (im.status === 'fulfilled') images = im.value.images || [];
  const failed = [st, im].find((r) => r.status === 'rejected');
  if (failed) announce(`Could not read the state: ${failed.reason.message}`, 'error');
  render();
}
const soon = debounce(refresh, 150);

// render puts the rows in place, keeping every row that did not change (and
// with it the focus of a person who is tabbing through the links).
function render() {
  const rows = overviewRows(list, images);
  patch($('rows'), rows.map(rowElement));
  summarize(rows);
}

function summarize(rows) {
  const specs = rows.filter((r) => r.image);
  const byHealth = {};
  for (const r of specs) byHealth[r.health] = (byHealth[r.health] || 0) + 1;
  const parts = [`${specs.length} spec${specs.length === 1 ? '' : 's'}`];
  for (const [h, n] of Object.entries(byHealth).sort()) parts.push(`${n} ${h}`);
  const broken = rows.filter((r) => r.broken).length;
  if (broken) parts.push(`${broken} with file errors`);
  if (list.engine && !list.engine.available) {
    parts.push(`engine unreachable since ${clock(list.engine.since)}: ${list.engine.error || ''}`);
  }
  if (list.git && list.git.revision && list.git.revision.commit) {
    parts.push(`git ${list.git.revision.commit.slice(0, 12)} ${list.git.revision.subject || ''}`);
  }
  $('summary').textContent = parts.join(' · ');
}

// onEvent applies a spec's status at once; anything else (a file, a
// commit, an action) asks for the whole state again, shortly.
function onEvent(type, data) {
  if (type === 'status' && data && data.image) {
    const i = list.specs.findIndex((s) => s.image === data.image);
    if (data.removed) {
      if (i >= 0) list.specs.splice(i, 1);
    } else if (i >= 0) list.specs[i] = data;
    else list.specs.push(data);
    render();
  }
  soon();
}

ready().then(() => {
  refresh();
  follow({ onEvent, resync: refresh });
  setInterval(refresh, cpuEvery);
});
