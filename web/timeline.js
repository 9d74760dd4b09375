// The timeline chart: distinct genomes and actors up over lab time, with a tick per event.

import { byId, h, svg } from './dom.js';
import { fmtClock } from './format.js';
import { snap } from './state.js';

/** The legend lists the kinds of event shown, in this order. */
const EVENT_KINDS = ['kill', 'restart', 'start', 'partition', 'heal', 'drop', 'pause', 'resume', 'converged', 'exit'];

const TIMELINE_HEIGHT = 168;
const PAD = { left: 34, right: 12, top: 12, bottom: 24 };

export function renderTimeline(width) {
  const host = byId('timeline');
  const history = snap.history;
  const start = history.length > 0 ? history[0].t : snap.t;
  const end = Math.max(snap.t, start + 1000);
  const yMax = Math.max(1, ...history.map((p) => Math.max(p.distinct, p.up)), snap.actors.length);
  const x = (t) => PAD.left + ((t - start) / (end - start)) * (width - PAD.left - PAD.right);
  const y = (v) => PAD.top + (1 - v / yMax) * (TIMELINE_HEIGHT - PAD.top - PAD.bottom);
  const chart = svg('svg', { width, height: TIMELINE_HEIGHT, viewBox: `0 0 ${width} ${TIMELINE_HEIGHT}`, class: 'chart', role: 'img', 'aria-label': 'distinct genomes and actors up over time' });

  for (const v of yTicks(yMax)) {
    chart.append(svg('line', { class: 'grid', x1: PAD.left, x2: width - PAD.right, y1: y(v), y2: y(v) }));
    const label = svg('text', { class: 'axis', x: PAD.left - 8, y: y(v) + 4, 'text-anchor': 'end' });
    label.textContent = String(v);
    chart.append(label);
  }
  for (const t of timeTicks(start, end, width)) {
    const label = svg('text', { class: 'axis', x: x(t), y: TIMELINE_HEIGHT - 6, 'text-anchor': 'middle' });
    label.textContent = fmtClock(t).replace(/\.\d$/, '');
    chart.append(label);
  }

  if (history.length > 0) {
    const points = [...history, { ...history[history.length - 1], t: end }];
    chart.append(svg('path', { class: 'line-up', d: stepPath(points, (p) => p.up, x, y) }));
    const distinct = stepPath(points, (p) => p.distinct, x, y);
    chart.append(svg('path', { class: 'area-distinct', d: `${distinct} L${x(end)},${y(0)} L${x(start)},${y(0)} Z` }));
    chart.append(svg('path', { class: 'line-distinct', d: distinct }));
  }

  const kinds = new Set();
  for (const event of snap.events) {
    if (event.t < start || event.t > end) continue;
    kinds.add(event.kind);
    const ex = x(event.t);
    const tick = svg('g', { class: `event-tick kind-${event.kind}`, 'data-tip': `${fmtClock(event.t)} · ${event.kind}: ${event.text}` });
    tick.append(svg('line', { class: 'tick', x1: ex, x2: ex, y1: PAD.top, y2: TIMELINE_HEIGHT - PAD.bottom }));
    tick.append(svg('rect', { class: 'hit', x: ex - 4, y: PAD.top, width: 8, height: TIMELINE_HEIGHT - PAD.top - PAD.bottom }));
    chart.append(tick);
  }
  host.replaceChildren(chart);

  const legend = [
    h('span', { class: 'key' }, h('i', { class: 'line distinct' }), 'distinct genomes'),
    h('span', { class: 'key' }, h('i', { class: 'line up' }), 'actors up'),
    ...EVENT_KINDS.filter((k) => kinds.has(k)).map((k) => h('span', { class: 'key' }, h('i', { class: `tick-key kind-${k}` }), k)),
  ];
  byId('timeline-legend').replaceChildren(...legend);
}

function stepPath(points, value, x, y) {
  let d = '';
  for (const [i, p] of points.entries()) {
    d += i === 0 ? `M${x(p.t)},${y(value(p))}` : ` H${x(p.t)} V${y(value(p))}`;
  }
  return d;
}

function yTicks(max) {
  const step = Math.max(1, Math.ceil(max / 4));
  const ticks = [];
  for (let v = 0; v <= max; v += step) ticks.push(v);
  return ticks;
}

function timeTicks(start, end, width) {
  const span = end - start;
  const wanted = Math.max(2, Math.floor(width / 110));
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600].map((s) => s * 1000).find((s) => span / s <= wanted) ?? 7_200_000;
  const ticks = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) ticks.push(t);
  return ticks;
}
