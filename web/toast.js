// Short messages in the corner that fade away by themselves (a failed control action, say).

import { byId, h } from './dom.js';

export function toast(text) {
  const el = h('div', { class: 'toast', role: 'status', text });
  byId('toasts').append(el);
  setTimeout(() => el.classList.add('leaving'), 5000);
  setTimeout(() => el.remove(), 5400);
}
