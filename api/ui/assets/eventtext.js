// eventText is one line for an event of GET /events, in words.
export function eventText(type, d) {
  switch (type) {
    case 'action': {
      const who = d.container || (d.id ? d.id.slice(0, 12) : '');
      const result = d.ok === false ? `failed: ${d.error || 'no reason given'}` : d.ok === true ? 'ok' : 'started';
      return `${d.kind} ${who}: ${result}${d.reason ? ` (${d.reason})` : ''}`;
    }
    case 'status':
      if (d.removed) return 'spec removed';
      return `${d.health}, ${d.synced ? 'Synced' : 'OutOfSync'}: desired ${d.desired}, ready ${d.ready}, running ${d.running}` +
        (d.last_error ? ` — ${d.last_error}` : d.message ? ` — ${d.message}` : '');
    case 'container':
      return `container ${d.name || (d.id || '').slice(0, 12)} ${d.action}`;
    case 'file':
      return `file ${d.path}`;
    case 'git':
      return `commit ${(d.commit || '').slice(0, 12)} ${d.subject || ''}`;
    default:
      return JSON.stringify(d);
  }
}
