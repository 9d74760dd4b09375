// The crdt-genome lab dashboard: renders every LabSnapshot from /events; the controls call /api/*
// with the token that the URL printed by `crdt-genome cluster` carries. No framework, no build step:
// the browser loads these ES modules as they are.

import { ensureRows, renderActors, rows } from './actors.js';
import { connect } from './connection.js';
import { setUpControls } from './controls.js';
import { byId } from './dom.js';
import { renderEvents } from './event-log.js';
import { renderMatrix } from './matrix.js';
import { redraw, setRenderer, setSnapshot } from './state.js';
import { renderSummary, tick } from './summary.js';
import { renderTimeline } from './timeline.js';
import { followTips } from './tooltip.js';

let renderQueued = false;

function render() {
  ensureRows();
  // Read every width before writing anything: one layout per render, not one per row.
  const first = rows.values().next().value;
  const widths = {
    strip: first === undefined ? 0 : first.strip.clientWidth,
    matrix: byId('matrix').parentElement.clientWidth,
    timeline: byId('timeline').clientWidth,
  };
  renderSummary();
  renderActors(widths.strip);
  renderMatrix(widths.matrix);
  renderTimeline(widths.timeline);
  renderEvents();
}

/** A new snapshot: drawn at the next frame, however many more come before it. */
function receive(snapshot) {
  setSnapshot(snapshot);
  if (!renderQueued) {
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      render();
    });
  }
}

setRenderer(render);
followTips();
setUpControls();
connect(receive);
setInterval(tick, 100);
// Canvases and the chart follow the page width (heights change with every render: ignore those).
let observedWidth = 0;
new ResizeObserver((entries) => {
  const width = entries[0].contentRect.width;
  if (width === observedWidth) return;
  observedWidth = width;
  redraw();
}).observe(byId('main'));
