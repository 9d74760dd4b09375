// The match matrix: for every pair of actors, whether both are up and hold the same genome. A grid
// of cells for a small cluster; a heat map on one canvas for a large one (heatmap.js).

import { byId, h } from './dom.js';
import { drawHeatmap } from './heatmap.js';
import { pairState, pairTip } from './pairs.js';
import { large, snap } from './state.js';

let gridKey = '';
/** "a-b" → the cell of actors a and b. */
const gridCells = new Map();

export function renderMatrix(width) {
  const matrix = byId('matrix');
  const layout = large() ? 'heatmap' : 'grid';
  if (matrix.dataset.layout !== layout) {
    matrix.dataset.layout = layout;
    matrix.replaceChildren();
    matrix.style.gridTemplateColumns = '';
    gridKey = '';
  }
  if (layout === 'heatmap') drawHeatmap(matrix, width);
  else renderGrid(matrix, width);
}

function renderGrid(matrix, width) {
  const actors = snap.actors;
  const ids = actors.map((a) => a.id).join(',');
  if (`${ids}@${width}` !== gridKey) {
    gridKey = `${ids}@${width}`;
    // Cells as large as the panel allows (up to 44 px), so 3 and 16 actors both fit.
    const n = Math.max(1, actors.length);
    const gap = n > 8 ? 2 : 3;
    const cell = Math.max(8, Math.min(44, Math.floor((width - 28) / n) - gap));
    matrix.style.setProperty('--cell', `${cell}px`);
    matrix.style.setProperty('--gap', `${gap}px`);
    matrix.style.setProperty('--label', `${Math.min(11, cell)}px`);
    matrix.style.gridTemplateColumns = `auto repeat(${n}, var(--cell))`;
    const children = [h('span', { class: 'corner' })];
    for (const a of actors) children.push(h('span', { class: 'label col', text: String(a.id) }));
    gridCells.clear();
    for (const a of actors) {
      children.push(h('span', { class: 'label row', text: String(a.id) }));
      for (const b of actors) {
        const cell = h('span', { class: 'cell', 'data-testid': `match-${a.id}-${b.id}`, 'data-equal': 'false' });
        gridCells.set(`${a.id}-${b.id}`, cell);
        children.push(cell);
      }
    }
    matrix.replaceChildren(...children);
  }
  for (const a of actors) {
    for (const b of actors) {
      const cell = gridCells.get(`${a.id}-${b.id}`);
      const state = pairState(a, b);
      cell.dataset.equal = String(state === 'eq');
      cell.dataset.state = state;
      cell.dataset.tip = pairTip(a, b);
    }
  }
}
