// Renders ../openapi.json: every operation with its parameters, request body
// and responses ($refs resolved), and a form to try it. No framework, no
// external resources; the token lives only in its input box.
'use strict';
(function () {
  const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
  let doc = null;

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else e.setAttribute(k, v);
    }
    for (const k of kids.flat()) {
      if (k !== null && k !== undefined && k !== false) e.append(k instanceof Node ? k : String(k));
    }
    return e;
  }

  // text turns `code` spans into <code> and blank lines into paragraphs.
  function text(s) {
    return (s || '').split(/\n\n+/).map((para) =>
      el('p', null, para.split('`').map((part, i) => (i % 2 ? el('code', null, part) : part))));
  }

  function setStatus(msg, isError) {
    const s = document.getElementById('status');
    s.textContent = msg;
    s.className = isError ? 'error' : '';
  }

  function authHeaders() {
    const t = document.getElementById('token').value.trim();
    return t ? { Authorization: 'Bearer ' + t } : {};
  }

  function lookup(ref) {
    if (!ref.startsWith('#/')) return undefined;
    return ref.slice(2).split('/').reduce((o, k) => (o ? o[k.replace(/~1/g, '/').replace(/~0/g, '~')] : o), doc);
  }

  function deref(x) {
    for (let i = 0; x && x.$ref && i < 20; i++) x = lookup(x.$ref);
    return x || {};
  }

  function refName(ref) { return ref.split('/').pop(); }

  function typeOf(s) {
    if (s.$ref) return refName(s.$ref);
    const alts = s.anyOf || s.oneOf;
    let t = s.type || (alts ? alts.map(typeOf).join(s.oneOf ? ' or ' : ' | ') : 'any');
    if (t === 'array') t = 'array of ' + (s.items ? typeOf(s.items) : 'any');
    if (t === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') {
      t = 'map of string → ' + typeOf(s.additionalProperties);
    }
    if (s.format) t += ' (' + s.format + ')';
    if (s.nullable) t += ' | null';
    return t;
  }

  function facts(s) {
    const out = [];
    const j = (v) => JSON.stringify(v);
    if (s.enum) out.push('one of ' + s.enum.map(j).join(', '));
    if (s.default !== undefined) out.push('default ' + j(s.default));
    if (s.minimum !== undefined) out.push('≥ ' + s.minimum);
    if (s.maximum !== undefined) out.push('≤ ' + s.maximum);
    if (s.minLength !== undefined) out.push('length ≥ ' + s.minLength);
    if (s.pattern) out.push('matches ' + s.pattern);
    if (s.example !== undefined && typeof s.example !== 'object') out.push('e.g. ' + j(s.example));
    if (s.additionalProperties === false) out.push('no other fields');
    return out.length ? el('span', { class: 'note' }, ' — ' + out.join('; ')) : null;
  }

  // schemaView shows a schema's structure, following $refs once per branch.
  function schemaView(s, seen, depth) {
    if (!s || depth > 8) return null;
    if (s.$ref) {
      const name = refName(s.$ref);
      if (seen.has(name)) return el('span', { class: 'note' }, ' (' + name + ', as above)');
      return schemaView(deref(s), new Set([...seen, name]), depth);
    }
    const parts = [];
    if (s.description && depth === 0) parts.push(el('div', { class: 'note' }, s.description));
    if (s.properties) {
      const req = new Set(s.required || []);
      parts.push(el('ul', { class: 'schema' }, Object.entries(s.properties).map(([name, p]) => {
        const r = deref(p);
        return el('li', null, el('code', null, name), req.has(name) ? el('span', { class: 'req' }, 'required') : null,
          ' ', el('span', { class: 'type' }, typeOf(p)), facts(r),
          r.description ? el('div', { class: 'note' }, r.description) : null,
          nested(p, seen, depth));
      })));
    } else {
      parts.push(el('div', null, el('span', { class: 'type' }, typeOf(s)), facts(s)), nested(s, seen, depth));
    }
    return el('div', null, parts);
  }

  // nested is the structure inside a property: an object, items, or map values.
  function nested(p, seen, depth) {
    const r = deref(p);
    if (r.properties) return schemaView(p, seen, depth + 1);
    let inner = r.items || (typeof r.additionalProperties === 'object' ? r.additionalProperties : null);
    while (inner && !inner.$ref && inner.items) inner = inner.items; // an array of arrays, a map of arrays
    if (inner && deref(inner).properties) return schemaView(inner, seen, depth + 1);
    const alts = r.anyOf || r.oneOf;
    if (alts) return el('ul', { class: 'schema' }, alts.map((a) => el('li', null, el('span', { class: 'type' }, typeOf(a)), schemaView(a, seen, depth + 1))));
    return null;
  }

  function paramsView(params) {
    if (!params.length) return null;
    return [el('h4', null, 'Parameters'), el('table', null,
      el('tr', null, el('th', null, 'name'), el('th', null, 'in'), el('th', null, 'type'), el('th', null, 'description')),
      params.map((p) => el('tr', null,
        el('td', null, el('code', null, p.name), p.required ? el('span', { class: 'req' }, 'required') : null),
        el('td', null, p.in),
        el('td', null, el('span', { class: 'type' }, typeOf(p.schema || {})), facts(deref(p.schema))),
        el('td', null, text(p.description), p.example !== undefined ? el('span', { class: 'note' }, 'e.g. ' + p.example) : null))))];
  }

  function contentView(content) {
    return Object.entries(content || {}).map(([type, media]) => el('div', null,
      el('div', { class: 'note' }, type), schemaView(media.schema, new Set(), 0),
      media.example !== undefined ? el('details', null, el('summary', { class: 'note' }, 'example'),
        el('pre', null, JSON.stringify(media.example, null, 2))) : null));
  }

  function responsesView(responses) {
    return [el('h4', null, 'Responses'), el('table', null,
      Object.entries(responses).map(([code, r0]) => {
        const r = deref(r0);
        const headers = Object.entries(r.headers || {}).map(([h, v]) =>
          el('div', { class: 'note' }, 'header ', el('code', null, h), ': ', deref(v).description || ''));
        return el('tr', null, el('td', { class: 'code' }, code),
          el('td', null, text(r.description), headers, contentView(r.content)));
      }))];
  }

  function tryIt(path, method, op, params) {
    const inputs = params.map((p) => {
      const input = el('input', { name: p.name, placeholder: p.example !== undefined ? String(p.example) : '' });
      return { p, input, label: el('label', null, el('span', null, p.name + ' (' + p.in + ')'), input) };
    });
    const media = op.requestBody && (deref(op.requestBody).content || {})['application/json'];
    const body = media ? el('textarea', { spellcheck: 'false' }, JSON.stringify(media.example || {}, null, 2)) : null;
    const out = el('pre', { hidden: '' });
    const form = el('form', { class: 'try' }, inputs.map((i) => i.label),
      body ? el('label', null, el('span', null, 'body (JSON)'), body) : null,
      el('button', { type: 'submit' }, 'Send ' + method.toUpperCase()), out);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      let url = path;
      const query = new URLSearchParams();
      const headers = authHeaders();
      for (const { p, input } of inputs) {
        const v = input.value.trim();
        if (p.in === 'path') {
          if (!v) { out.hidden = false; out.textContent = p.name + ' is required'; return; }
          url = url.replace('{' + p.name + '}', encodeURIComponent(v));
        } else if (v && p.in === 'query') query.set(p.name, v);
        else if (v && p.in === 'header') headers[p.name] = v;
      }
      if (query.toString()) url += '?' + query;
      const init = { method: method.toUpperCase(), headers };
      if (body) { init.body = body.value; headers['Content-Type'] = 'application/json'; }
      out.hidden = false;
      out.textContent = 'Sending…';
      try {
        const res = await fetch('..' + url, init);
        let txt = await res.text();
        try { txt = JSON.stringify(JSON.parse(txt), null, 2); } catch (_) { /* not JSON: as is */ }
        const shown = ['content-type', 'etag', 'allow', 'www-authenticate'].filter((h) => res.headers.get(h))
          .map((h) => h + ': ' + res.headers.get(h));
        out.textContent = [res.status + ' ' + res.statusText, ...shown, '', txt].join('\n');
      } catch (e) {
        out.textContent = 'Request failed: ' + e.message;
      }
    });
    return [el('h4', null, 'Try it'), form];
  }

  function operationView(path, method, op) {
    const params = (op.parameters || []).map(deref);
    const secured = (op.security || doc.security || []).length > 0;
    return el('details', { class: 'op', id: op.operationId || '' },
      el('summary', null, el('span', { class: 'method ' + method }, method), el('span', { class: 'path' }, path),
        el('span', { class: 'summary' }, op.summary || ''), secured ? el('span', { class: 'lock' }, 'token') : null),
      el('div', null, text(op.description),
        op.operationId ? el('div', { class: 'note' }, 'operationId: ', el('code', null, op.operationId)) : null,
        paramsView(params),
        op.requestBody ? [el('h4', null, 'Request body' + (deref(op.requestBody).required ? ' (required)' : '')),
          text(deref(op.requestBody).description), contentView(deref(op.requestBody).content)] : null,
        responsesView(op.responses || {}),
        tryIt(path, method, op, params)));
  }

  function render() {
    const info = doc.info || {};
    const title = document.getElementById('title');
    title.replaceChildren(info.title || 'API', el('small', null, 'version ' + (info.version || '?') + ' · OpenAPI ' + doc.openapi));
    document.title = (info.title || 'API') + ' API';
    document.getElementById('info').replaceChildren(...text(info.description));
    const byTag = new Map((doc.tags || []).map((t) => [t.name, { tag: t, ops: [] }]));
    for (const path of Object.keys(doc.paths || {}).sort()) {
      for (const m of METHODS) {
        const op = doc.paths[path][m];
        if (!op) continue;
        const name = (op.tags || ['other'])[0];
        if (!byTag.has(name)) byTag.set(name, { tag: { name }, ops: [] });
        byTag.get(name).ops.push(operationView(path, m, op));
      }
    }
    const sections = [];
    for (const { tag, ops } of byTag.values()) {
      if (ops.length) sections.push(el('h2', null, tag.name), tag.description ? el('p', null, tag.description) : null, ops);
    }
    document.getElementById('ops').replaceChildren(...sections.flat().filter(Boolean));
  }

  async function load() {
    setStatus('Loading openapi.json…');
    try {
      const res = await fetch('../openapi.json', { headers: authHeaders(), cache: 'no-store' });
      if (res.status === 401) throw new Error('401: this server needs its token; type it above and press Load');
      if (!res.ok) throw new Error(res.status + ' ' + res.statusText);
      doc = await res.json();
      render();
      setStatus(Object.keys(doc.paths || {}).length + ' paths. Click an operation to see it and try it.');
    } catch (e) {
      setStatus('Could not load the document: ' + e.message, true);
    }
  }

  document.getElementById('auth').addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  load();
})();
