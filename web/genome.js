// Each actor's genome as a strip of coloured cells on a canvas, with a tooltip per gene.

import { h } from './dom.js';
import { fmtInt } from './format.js';
import { PALETTE, PIXELS } from './palette.js';
import { hideTooltip, showTooltip } from './tooltip.js';

/**
 * Cells are laid out the same way in every row (from the longest genome), so equal genomes look
 * equal and a difference stands out. Cells stay at least 2 px wide: past that the strip wraps into
 * evenly filled lines, and the strip keeps about the same height whatever the length.
 */
function stripLayout(maxLength, width) {
  if (maxLength === 0 || width <= 0) return { cols: 1, cellW: Math.max(width, 1), cellH: 24, height: 24 };
  const lines = Math.max(1, Math.ceil((maxLength * 2) / width));
  const cols = Math.ceil(maxLength / lines);
  const cellH = Math.max(4, Math.round(24 / lines));
  return { cols, cellW: width / cols, cellH, height: lines * cellH };
}

/** One pixel per gene, scaled up onto each row's canvas: far cheaper than a rectangle per gene. */
const scratch = document.createElement('canvas');

export function drawGenome(row, actor, maxLength, width) {
  const dpr = window.devicePixelRatio || 1;
  const genome = actor.genome ?? '';
  const key = `${actor.digest}|${width}|${dpr}|${maxLength}`;
  if (key === row.drawn) return;
  row.drawn = key;
  const layout = stripLayout(maxLength, width);
  row.layout = layout;
  row.genome = genome;
  const canvas = row.canvas;
  canvas.width = Math.max(1, Math.round(width * dpr));
  canvas.height = Math.round(layout.height * dpr);
  canvas.style.height = `${layout.height}px`;
  const lines = Math.max(1, Math.ceil(maxLength / layout.cols));
  const image = new ImageData(layout.cols, lines);
  const pixels = new Uint32Array(image.data.buffer);
  for (let i = 0; i < genome.length / 2; i++) pixels[i] = PIXELS[parseInt(genome.substr(i * 2, 2), 16)];
  scratch.width = layout.cols;
  scratch.height = lines;
  scratch.getContext('2d').putImageData(image, 0, 0);
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  // Nearest neighbour: crisp cells, never blurred into their neighbours.
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(scratch, 0, 0, layout.cols, lines, 0, 0, canvas.width, canvas.height);
}

export function geneTooltip(row, event) {
  const layout = row.layout;
  if (layout === null) return;
  const box = row.canvas.getBoundingClientRect();
  const col = Math.floor((event.clientX - box.left) / layout.cellW);
  const line = Math.floor((event.clientY - box.top) / layout.cellH);
  const index = line * layout.cols + col;
  if (col < 0 || col >= layout.cols || index < 0 || index >= row.genome.length / 2) {
    hideTooltip();
    return;
  }
  const hex = row.genome.substr(index * 2, 2);
  const swatch = h('i', { class: 'swatch' });
  swatch.style.background = `rgb(${PALETTE[parseInt(hex, 16)].join(' ')})`;
  showTooltip(event, [swatch, h('b', { text: `0x${hex}` }), ` gene ${fmtInt.format(index)} of actor ${row.id}`]);
}
