// The snapshot stream (/events), and the connection pill that tells how it is doing.

import { byId } from './dom.js';

/** Listens to /events for good: every snapshot goes to `onSnapshot`, parsed. */
export function connect(onSnapshot) {
  const source = new EventSource('/events');
  setConnection('connecting', 'connecting…');
  source.addEventListener('open', () => setConnection('live', 'live'));
  source.addEventListener('snapshot', (event) => onSnapshot(JSON.parse(event.data)));
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      // The browser gave up (the server answered with an error): try again ourselves.
      setConnection('down', 'disconnected, retrying…');
      setTimeout(() => connect(onSnapshot), 3000);
    } else {
      setConnection('down', 'reconnecting…');
    }
  });
}

function setConnection(state, text) {
  byId('conn').dataset.state = state;
  byId('conn-text').textContent = text;
  byId('main').classList.toggle('stale', state === 'down');
}
