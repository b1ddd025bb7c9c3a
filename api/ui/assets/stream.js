// The live updates: GET /events (Server-Sent Events), with the browser's
// own reconnect (it resumes with Last-Event-ID), a reconnect of our own
// when the server ends the stream for good, and polling meanwhile, so that
// the page is never silently stale.
import { streamURL } from './api.js';
import { connState } from './dom.js';

export const eventTypes = ['action', 'status', 'container', 'file', 'git', 'reset'];

const pollEvery = 2000; // ms, while the stream is down
const retryFirst = 1000; // ms, then doubling
const retryMax = 30000;

// follow opens the stream. onEvent(type, data, id) gets each event;
// resync() must fetch the whole state again: it is called on every
// (re)connect, since events may have been missed, and while polling. With
// replay, the stream starts with every event the server keeps (?since=0).
export function follow({ onEvent, resync, replay }) {
  let es = null;
  let poller = 0;
  let retry = retryFirst;
  let retryTimer = 0;
  let lastID = replay ? '0' : '';

  const startPolling = () => {
    if (!poller) poller = setInterval(resync, pollEvery);
  };
  const stopPolling = () => {
    clearInterval(poller);
    poller = 0;
  };

  const open = () => {
    // The browser resumes by itself with Last-Event-ID; a stream opened
    // again here resumes with ?since=.
    const url = lastID ? `/events?since=${encodeURIComponent(lastID)}` : '/events';
    es = new EventSource(streamURL(url));
    es.onopen = () => {
      retry = retryFirst;
      stopPolling();
      connState('live', 'live');
      resync();
    };
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) {
        // The server said no (or ended): poll, and try again later.
        connState('polling', 'polling');
        startPolling();
        clearTimeout(retryTimer);
        retryTimer = setTimeout(open, retry);
        retry = Math.min(retry * 2, retryMax);
      } else {
        connState('reconnecting…', 'polling'); // the browser retries by itself
        startPolling();
      }
    };
    for (const type of eventTypes) {
      es.addEventListener(type, (ev) => {
        if (ev.lastEventId) lastID = ev.lastEventId;
        let data = null;
        try {
          data = ev.data ? JSON.parse(ev.data) : null;
        } catch {
          data = null;
        }
        onEvent(type, data, ev.lastEventId);
      });
    }
  };

  connState('connecting…', 'polling');
  open();
  addEventListener('pagehide', () => {
    if (es) es.close();
    stopPolling();
    clearTimeout(retryTimer);
  });
}
