// One floating tooltip for gene cells, matrix cells and timeline ticks.

import { byId } from './dom.js';

export function showTooltip(event, content) {
  const tip = byId('tooltip');
  tip.replaceChildren(...content);
  tip.hidden = false;
  const margin = 14;
  const box = tip.getBoundingClientRect();
  const left = Math.min(event.clientX + margin, window.innerWidth - box.width - 8);
  const top = event.clientY + margin + box.height > window.innerHeight ? event.clientY - box.height - margin : event.clientY + margin;
  tip.style.left = `${Math.max(8, left)}px`;
  tip.style.top = `${Math.max(8, top)}px`;
}

export function hideTooltip() {
  byId('tooltip').hidden = true;
}

/** Shows the `data-tip` of whatever the mouse is over (gene canvases show their own). */
export function followTips() {
  document.addEventListener('mousemove', (event) => {
    if (event.target instanceof HTMLCanvasElement) return;
    const target = event.target instanceof Element ? event.target.closest('[data-tip]') : null;
    if (target === null) hideTooltip();
    else showTooltip(event, [target.dataset.tip]);
  });
}
