// The match matrix: for every pair of actors, whether both are up and hold the same genome.

import { byId, h } from './dom.js';
import { snap } from './state.js';

let matrixIds = '';
/** "a-b" → the cell of actors a and b. */
const matrixCells = new Map();

export function renderMatrix(width) {
  const matrix = byId('matrix');
  const actors = snap.actors;
  const ids = actors.map((a) => a.id).join(',');
  if (`${ids}@${width}` !== matrixIds) {
    matrixIds = `${ids}@${width}`;
    // Cells as large as the panel allows (up to 44 px), so 3 and 32 actors both fit.
    const n = Math.max(1, actors.length);
    const gap = n > 8 ? 2 : 3;
    const cell = Math.max(8, Math.min(44, Math.floor((width - 28) / n) - gap));
    matrix.style.setProperty('--cell', `${cell}px`);
    matrix.style.setProperty('--gap', `${gap}px`);
    matrix.style.setProperty('--label', `${Math.min(11, cell)}px`);
    matrix.style.gridTemplateColumns = `auto repeat(${n}, var(--cell))`;
    const children = [h('span', { class: 'corner' })];
    for (const a of actors) children.push(h('span', { class: 'label col', text: String(a.id) }));
    matrixCells.clear();
    for (const a of actors) {
      children.push(h('span', { class: 'label row', text: String(a.id) }));
      for (const b of actors) {
        const cell = h('span', { class: 'cell', 'data-testid': `match-${a.id}-${b.id}`, 'data-equal': 'false' });
        matrixCells.set(`${a.id}-${b.id}`, cell);
        children.push(cell);
      }
    }
    matrix.replaceChildren(...children);
  }
  for (const a of actors) {
    for (const b of actors) {
      const cell = matrixCells.get(`${a.id}-${b.id}`);
      const live = a.phase === 'up' && b.phase === 'up' && a.digest !== null && b.digest !== null;
      const equal = live && a.digest === b.digest;
      cell.dataset.equal = String(equal);
      cell.dataset.state = !live ? 'na' : equal ? 'eq' : 'ne';
      cell.dataset.tip = !live
        ? `${a.id} ↔ ${b.id}: not both up (${a.phase}, ${b.phase})`
        : equal
          ? `${a.id} ↔ ${b.id}: identical (${a.digest.slice(0, 8)})`
          : `${a.id} ↔ ${b.id}: differ (${a.digest.slice(0, 8)} vs ${b.digest.slice(0, 8)})`;
    }
  }
}
