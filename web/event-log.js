// The event log beside the matrix, newest first.

import { byId, h } from './dom.js';
import { fmtClock } from './format.js';
import { snap } from './state.js';

let eventsKey = '';

export function renderEvents() {
  const events = snap.events;
  const last = events[events.length - 1];
  const key = last === undefined ? '' : `${events.length}|${last.t}|${last.text}`;
  if (key === eventsKey) return;
  eventsKey = key;
  const items = [];
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    items.push(h('li', { class: `event kind-${e.kind}` },
      h('span', { class: 'when mono', text: fmtClock(e.t) }),
      h('span', { class: 'kind', text: e.kind }),
      h('span', { class: 'what', text: e.text })));
  }
  byId('events').replaceChildren(...items);
  byId('events-empty').hidden = events.length > 0;
}
