// The match matrix of a large cluster as a heat map: one canvas, a cell per pair of actors coloured
// as the grid's cells are (equal, differ, not up), a label every few actors, a tooltip per cell.

import { h } from './dom.js';
import { pairState, pairTip } from './pairs.js';
import { snap } from './state.js';
import { hideTooltip, showTooltip } from './tooltip.js';

/** Room for the row labels (left) and the column labels (top), in CSS px. */
const GUTTER = 24;
/** Labels at least this far apart, in CSS px: a label every 1, 2, 4, 5, 8, 10, ... actors. */
const LABEL_SPACING = 18;
const LABEL_STEPS = [1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64, 100, 128, 250, 500];

let canvas = null;
/** How the canvas is drawn now, for the tooltip: cell size and the actors in order. */
let drawn = { key: '', cell: 1, actors: [] };

function colours() {
  const style = getComputedStyle(document.documentElement);
  const read = (name) => style.getPropertyValue(name).trim();
  return { eq: read('--match-eq'), ne: read('--match-ne'), na: read('--match-na'), label: read('--faint'), font: read('--mono') };
}

export function drawHeatmap(container, width) {
  if (canvas === null || canvas.parentElement !== container) {
    canvas = h('canvas', { class: 'heatmap', 'data-testid': 'match-heatmap', role: 'img', 'aria-label': 'match matrix: for every pair of actors, whether they hold the same genome' });
    canvas.addEventListener('mousemove', tip);
    canvas.addEventListener('mouseleave', hideTooltip);
    container.replaceChildren(canvas);
    drawn = { key: '', cell: 1, actors: [] };
  }
  const actors = snap.actors;
  const n = Math.max(1, actors.length);
  // As large as the panel allows; past 2 px a cell the wrapper scrolls.
  const cell = Math.max(2, Math.floor((width - GUTTER) / n));
  const dpr = window.devicePixelRatio || 1;
  const key = `${width}|${dpr}|${actors.map((a) => `${a.id}:${a.phase}:${a.digest}`).join(',')}`;
  drawn.actors = actors;
  if (key === drawn.key) return;
  drawn = { key, cell, actors };

  const size = GUTTER + n * cell;
  canvas.width = Math.round(size * dpr);
  canvas.height = Math.round(size * dpr);
  canvas.style.width = `${size}px`;
  canvas.style.height = `${size}px`;
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, size, size);
  const c = colours();
  // A pixel of gap between cells while cells are large enough to spare it.
  const gap = cell >= 4 ? 1 : 0;
  let equal = 0;
  for (const [i, a] of actors.entries()) {
    for (const [j, b] of actors.entries()) {
      const state = pairState(a, b);
      if (state === 'eq') equal++;
      ctx.fillStyle = c[state];
      ctx.fillRect(GUTTER + j * cell, GUTTER + i * cell, cell - gap, cell - gap);
    }
  }
  const every = LABEL_STEPS.find((k) => k * cell >= LABEL_SPACING) ?? n;
  ctx.fillStyle = c.label;
  ctx.font = `9px ${c.font}`;
  ctx.textBaseline = 'middle';
  for (let i = 0; i < actors.length; i += every) {
    const label = String(actors[i].id);
    const middle = GUTTER + i * cell + cell / 2;
    ctx.textAlign = 'right';
    ctx.fillText(label, GUTTER - 4, middle);
    ctx.textAlign = 'center';
    ctx.fillText(label, middle, GUTTER / 2);
  }
  // What the page's tests (and scripts) read: the geometry, and how many cells show equal genomes.
  Object.assign(canvas.dataset, { actors: String(actors.length), equal: String(equal), cell: String(cell), gutter: String(GUTTER) });
}

function tip(event) {
  const box = canvas.getBoundingClientRect();
  const col = Math.floor((event.clientX - box.left - GUTTER) / drawn.cell);
  const row = Math.floor((event.clientY - box.top - GUTTER) / drawn.cell);
  const a = drawn.actors[row];
  const b = drawn.actors[col];
  if (row < 0 || col < 0 || a === undefined || b === undefined) hideTooltip();
  else showTooltip(event, [pairTip(a, b)]);
}
