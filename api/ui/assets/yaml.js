// toYAML renders a JSON value as block YAML, keys in the order the API
// gives them (the spec's own field order). A string that YAML would read as
// something else (a number, a boolean, null, one with ": " or " #") is
// quoted, in JSON's quoting, which is valid YAML.
export function toYAML(value) {
  return block(value, 0).join('\n') + '\n';
}

const plain = /^[A-Za-z0-9_./$][A-Za-z0-9_ ./:@$,=()+-]*$/;
const reserved = /^(true|false|yes|no|on|off|y|n|null|~)$/i;

export function scalar(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const s = String(v);
  const quote = s === '' || !plain.test(s) || reserved.test(s) || !Number.isNaN(Number(s)) || /:\s|\s#|\s$/.test(s) || s.endsWith(':');
  return quote ? JSON.stringify(s) : s;
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const empty = (v) => (Array.isArray(v) ? v.length === 0 : isObject(v) && Object.keys(v).length === 0);
const inline = (v) => (Array.isArray(v) ? '[]' : isObject(v) ? '{}' : scalar(v));

// block is v's lines at indent.
function block(v, indent) {
  const pad = ' '.repeat(indent);
  if (Array.isArray(v)) {
    if (v.length === 0) return [pad + '[]'];
    const out = [];
    for (const item of v) {
      if ((isObject(item) || Array.isArray(item)) && !empty(item)) {
        const inner = block(item, indent + 2);
        out.push(pad + '- ' + inner[0].slice(indent + 2), ...inner.slice(1));
      } else {
        out.push(pad + '- ' + inline(item));
      }
    }
    return out;
  }
  if (isObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 0) return [pad + '{}'];
    const out = [];
    for (const k of keys) {
      const item = v[k];
      if ((isObject(item) || Array.isArray(item)) && !empty(item)) {
        out.push(`${pad}${scalar(k)}:`, ...block(item, indent + 2));
      } else {
        out.push(`${pad}${scalar(k)}: ${inline(item)}`);
      }
    }
    return out;
  }
  return [pad + scalar(v)];
}
