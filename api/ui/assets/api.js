// The REST API, as any client calls it. With serve --token, the token is
// asked for once, kept in sessionStorage (this tab only), and sent as a
// bearer token; the event streams (EventSource cannot send headers) carry
// it as ?access_token=. No request is made before the token is given.
import { $, announce } from './dom.js';

const KEY = 'orchestrator.token';
export const tokenRequired = document.body.dataset.token === 'required';

export function token() {
  return sessionStorage.getItem(KEY) || '';
}

// ready resolves once the data may be asked for: at once without a token
// (or with one kept from before); else when the form has been filled in.
export function ready() {
  if (!tokenRequired) return Promise.resolve();
  if (token()) {
    showForget();
    return Promise.resolve();
  }
  announce('This server asks for a token: nothing is loaded until it is given.');
  return askToken();
}

function askToken() {
  const form = $('token-form');
  form.hidden = false;
  $('token').focus();
  return new Promise((resolve) => {
    const submit = (ev) => {
      ev.preventDefault();
      const v = $('token').value.trim();
      if (!v) return;
      sessionStorage.setItem(KEY, v);
      $('token').value = '';
      form.hidden = true;
      form.removeEventListener('submit', submit);
      showForget();
      announce('Token kept for this tab; loading.');
      resolve();
    };
    form.addEventListener('submit', submit);
  });
}

function showForget() {
  const b = $('forget-token');
  b.hidden = false;
  b.onclick = () => {
    sessionStorage.removeItem(KEY);
    location.reload();
  };
}

// refused is a 401: the token kept is wrong (or the server's changed). It
// is forgotten, and the page starts over once a new one is given.
function refused() {
  sessionStorage.removeItem(KEY);
  announce('The server refused the token. Give it again.', 'error');
  askToken().then(() => location.reload());
}

// ApiError is a failed call: the HTTP status, the API's error code, and a
// sentence that says why (the API's own detail).
export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

// detailText makes one sentence of an error body: a string detail, or a
// FastAPI 422 list, and a broken file's errors.
function detailText(body, status) {
  if (!body || typeof body !== 'object') return `HTTP ${status}`;
  let text = '';
  if (typeof body.detail === 'string') text = body.detail;
  else if (Array.isArray(body.detail)) {
    text = body.detail.map((d) => `${(d.loc || []).join('.')}: ${d.msg}`).join('; ');
  }
  if (Array.isArray(body.errors) && body.errors.length) {
    text += ': ' + body.errors.map((e) => (typeof e === 'string' ? e : `${e.file}:${e.line}: ${e.field ? e.field + ': ' : ''}${e.message}`)).join('; ');
  }
  return text || `HTTP ${status}`;
}

// call makes one request and returns {data, etag}; a failure throws ApiError.
export async function call(method, path, { body, ifMatch } = {}) {
  const headers = { Accept: 'application/json' };
  if (token()) headers.Authorization = 'Bearer ' + token();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (ifMatch) headers['If-Match'] = ifMatch;
  let resp;
  try {
    resp = await fetch(path, { method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, 'network', `the server cannot be reached (${err.message})`);
  }
  let data = null;
  const text = await resp.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (resp.status === 401 && tokenRequired) refused();
  if (!resp.ok) throw new ApiError(resp.status, data && data.code, detailText(data, resp.status), data);
  return { data, etag: resp.headers.get('ETag') };
}

export async function get(path) {
  return (await call('GET', path)).data;
}

// streamURL is an SSE endpoint's URL, with the token when there is one.
export function streamURL(path) {
  if (!token()) return path;
  return path + (path.includes('?') ? '&' : '?') + 'access_token=' + encodeURIComponent(token());
}
