// Live logs of one container: GET /containers/{id}/logs?follow=1&tail=200
// as Server-Sent Events (events "log" {"line"}, "dropped" when the server's
// line or rate limit skipped lines, "end" when the container's stream
// ended). Lines are text nodes: nothing a container prints is parsed.
import { streamURL } from './api.js';
import { $, announce } from './dom.js';

const maxLines = 2000; // kept on the page; the oldest go first

export function setupLogs() {
  const pre = $('logs');
  const stopButton = $('logs-stop');
  let es = null;
  let following = '';

  const state = (text) => {
    $('logs-state').textContent = text;
  };
  const append = (text, cls) => {
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    const line = document.createElement('span');
    if (cls) line.className = cls;
    line.textContent = text + '\n';
    pre.append(line);
    while (pre.childNodes.length > maxLines) pre.firstChild.remove();
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  };
  const stop = (why) => {
    if (es) es.close();
    es = null;
    stopButton.hidden = true;
    if (why) state(why);
  };
  stopButton.addEventListener('click', () => {
    stop(`Stopped following ${following}.`);
    announce(`Stopped following the logs of ${following}.`);
  });
  addEventListener('pagehide', () => stop());

  return {
    follow(id, name) {
      stop();
      following = name;
      pre.replaceChildren();
      es = new EventSource(streamURL(`/containers/${encodeURIComponent(id)}/logs?follow=1&tail=200`));
      state(`Following ${name}: the last 200 lines, then live.`);
      announce(`Following the logs of ${name}.`);
      stopButton.hidden = false;
      es.addEventListener('log', (ev) => {
        try {
          append(JSON.parse(ev.data).line);
        } catch {
          append(ev.data);
        }
      });
      es.addEventListener('dropped', (ev) => {
        let n = '';
        try {
          const d = JSON.parse(ev.data);
          n = d && (d.lines ?? d.dropped ?? d.count);
        } catch {
          n = '';
        }
        append(`… ${n ? n + ' ' : ''}lines skipped (the server's line or rate limit)`, 'skipped');
      });
      // The end of the stream is final: without closing, the browser would
      // reconnect and show the last 200 lines again.
      es.addEventListener('end', () => stop(`The log of ${name} ended (the container stopped or went).`));
      es.onerror = () => {
        if (es && es.readyState === EventSource.CONNECTING) {
          stop(`The log stream of ${name} broke off; choose Logs again to follow it.`);
        } else if (es) {
          stop(`The logs of ${name} cannot be followed (the server refused).`);
        }
      };
    },
  };
}
