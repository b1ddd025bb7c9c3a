// The image page's actions. Each is one call of the REST API, the same as
// curl's, and so ends as a write of the spec's file (or a commit): scale
// (POST …/scale), stop or start the spec (PUT of the spec with its status),
// reconcile now (POST …/reconcile), delete a container (DELETE
// /containers/{id}). The live region says what happened after each.
import { call } from './api.js';
import { $, announce, imagePath } from './dom.js';
import { specOf } from './specview.js';

// ctx: image; current() → {detail, etag}; reload() reads the page's data again.
export function setupActions(ctx) {
  const base = '/images/' + imagePath(ctx.image);
  const min = $('scale-min');
  const max = $('scale-max');
  let dirty = false;
  min.addEventListener('input', () => (dirty = true));
  max.addEventListener('input', () => (dirty = true));

  const run = async (button, what, fn) => {
    button.disabled = true;
    announce(`${what}…`, 'busy');
    try {
      announce(await fn(), 'ok');
    } catch (err) {
      announce(`${what} failed: ${err.message}${err.code ? ` (${err.code})` : ''}`, 'error');
    } finally {
      button.disabled = false;
      ctx.reload();
    }
  };

  $('scale-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = { min_replicas: Number(min.value), max_replicas: Number(max.value) };
    run($('scale'), `Scaling ${ctx.image} to min ${body.min_replicas}, max ${body.max_replicas}`, async () => {
      const { data } = await call('POST', base + '/scale', { body });
      dirty = false;
      return `Scaled ${ctx.image}: min ${data.desired.min_replicas}, max ${data.desired.max_replicas} written to its file; ` +
        `${actionsText(data.actions)}; ${containersText(data.current)}.`;
    });
  });

  $('toggle').addEventListener('click', () => {
    const { detail, etag } = ctx.current();
    if (!detail) return;
    const spec = specOf(detail);
    const to = spec.resources.status === 'stopped' ? 'running' : 'stopped';
    spec.resources = { ...spec.resources, status: to };
    const what = to === 'stopped' ? `Stopping ${ctx.image}` : `Starting ${ctx.image}`;
    run($('toggle'), what, async () => {
      const { data } = await call('PUT', base, { body: spec, ifMatch: etag || undefined });
      const warn = (data.warnings || []).length ? ` Warning: ${data.warnings.join('; ')}` : '';
      return `status: ${to} written to ${data.source} (${data.result}); serve ${to === 'stopped' ? 'stops' : 'starts'} the containers now.${warn}`;
    });
  });

  $('reconcile').addEventListener('click', () => {
    run($('reconcile'), `Reconciling ${ctx.image}`, async () => {
      const { data } = await call('POST', base + '/reconcile');
      return `Reconciled ${ctx.image}: ${actionsText(data.actions)}; ${containersText(data.current)}.`;
    });
  });

  // Delete buttons are in the containers table, made again on each refresh.
  $('containers').addEventListener('click', (ev) => {
    const button = ev.target.closest('button[data-delete]');
    if (!button) return;
    const id = button.dataset.delete;
    const name = button.dataset.name;
    run(button, `Deleting container ${name}`, async () => {
      const { data } = await call('DELETE', '/containers/' + encodeURIComponent(id));
      return `Deleted container ${data.name}; serve replaces it on its next pass.`;
    });
  });

  // fill shows the spec's min and max, unless the person is typing.
  return {
    fill(detail) {
      if (!detail) return;
      if (!dirty && document.activeElement !== min && document.activeElement !== max) {
        min.value = detail.min_replicas;
        max.value = detail.max_replicas;
      }
      const stopped = detail.resources && detail.resources.status === 'stopped';
      const t = $('toggle');
      t.textContent = stopped ? 'Start spec' : 'Stop spec';
      t.disabled = !!detail.stale; // a broken file takes no write
    },
  };
}

function actionsText(actions) {
  if (!actions || actions.length === 0) return 'nothing needed doing';
  return actions.map((a) => `${a.action} ${a.name || a.container_id.slice(0, 12)} ${a.ok ? 'ok' : 'failed' + (a.error ? ': ' + a.error : '')}`).join(', ');
}

function containersText(current) {
  const n = (current || []).length;
  const running = (current || []).filter((c) => c.status === 'running').length;
  return `${n} container${n === 1 ? '' : 's'} now, ${running} running`;
}
