// The crdt-genome lab dashboard: renders every LabSnapshot from /events; the controls call /api/*
// with the token that the URL printed by `crdt-genome cluster` carries. No framework, no build step.
'use strict';

const DROP_RATES = [0, 0.1, 0.25, 0.5, 0.9, 1];
const EVENT_KINDS = ['kill', 'restart', 'start', 'partition', 'heal', 'drop', 'pause', 'resume', 'converged', 'exit'];
const SVG_NS = 'http://www.w3.org/2000/svg';

const token = takeToken();

/** Latest snapshot, and when (performance.now()) it arrived, to tick the clocks between snapshots. */
let snap = null;
let receivedAt = 0;
let renderQueued = false;

const byId = (id) => document.getElementById(id);

/** The token lives in memory only: it leaves the address bar (and screenshots, and history). */
function takeToken() {
  const url = new URL(location.href);
  const value = url.searchParams.get('token');
  if (value === null) return null;
  url.searchParams.delete('token');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  return value === '' ? null : value;
}

/** A DOM element: `h('span', {class: 'x', 'data-testid': 'y'}, 'text', child)`. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else el.setAttribute(key, value);
  }
  el.append(...children);
  return el;
}

function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  return el;
}

// ---------------------------------------------------------------------------------------------
// Formatting

function fmtDuration(ms) {
  if (ms < 0) ms = 0;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} m`;
}

function fmtClock(ms) {
  const s = Math.max(0, ms) / 1000;
  const m = Math.floor(s / 60);
  const rest = (s % 60).toFixed(1).padStart(4, '0');
  return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

const fmtInt = new Intl.NumberFormat('en-US');

function fmtVersion(version) {
  return Object.entries(version)
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([actor, n]) => `${actor}:${n}`)
    .join(' ');
}

const fmtRate = (rate) => `${Math.round(rate * 100)}%`;

/** Gene value 0–255 → a hue around the colour wheel (as in the legend): [r, g, b] per value. */
const PALETTE = Array.from({ length: 256 }, (_, v) => hslToRgb((v / 256) * 360, 0.72, 0.58));
/** The same colours as canvas pixels (RGBA bytes read as one little-endian 32-bit word). */
const PIXELS = Uint32Array.from(PALETTE, ([r, g, b]) => ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0);

function hslToRgb(hue, sat, light) {
  const a = sat * Math.min(light, 1 - light);
  const channel = (n) => {
    const k = (n + hue / 30) % 12;
    return Math.round(255 * (light - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [channel(0), channel(8), channel(4)];
}

/** Lab time now, extrapolated from the last snapshot. */
const labNow = () => (snap === null ? 0 : snap.t + (performance.now() - receivedAt));

// ---------------------------------------------------------------------------------------------
// Talking to the server

function connect() {
  const source = new EventSource('/events');
  setConnection('connecting', 'connecting…');
  source.addEventListener('open', () => setConnection('live', 'live'));
  source.addEventListener('snapshot', (event) => {
    snap = JSON.parse(event.data);
    receivedAt = performance.now();
    if (!renderQueued) {
      renderQueued = true;
      requestAnimationFrame(() => {
        renderQueued = false;
        render();
      });
    }
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      // The browser gave up (the server answered with an error): try again ourselves.
      setConnection('down', 'disconnected, retrying…');
      setTimeout(connect, 3000);
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

async function api(path, body) {
  const init = { method: 'POST', headers: { authorization: `Bearer ${token}` } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new Error('the lab is not answering');
  }
  if (res.ok) return;
  let message = `${res.status} ${res.statusText}`;
  try {
    const answer = await res.json();
    message = answer.message ?? answer.error ?? message;
  } catch {
    // Not JSON: keep the status line.
  }
  throw new Error(message);
}

/** Runs a control action: the control is disabled while it runs, a failure becomes a toast. */
async function act(control, label, path, body) {
  if (token === null) return;
  control.disabled = true;
  try {
    await api(path, body);
  } catch (err) {
    toast(`${label}: ${err.message}`);
  } finally {
    control.disabled = false;
    // Re-apply the per-phase enabling the action may have changed meanwhile.
    if (snap !== null) render();
  }
}

function toast(text) {
  const el = h('div', { class: 'toast', role: 'status', text });
  byId('toasts').append(el);
  setTimeout(() => el.classList.add('leaving'), 5000);
  setTimeout(() => el.remove(), 5400);
}

// ---------------------------------------------------------------------------------------------
// Rendering

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

function renderSummary() {
  const actors = snap.actors;
  const up = actors.filter((a) => a.phase === 'up').length;
  const distinct = byId('distinct');
  distinct.textContent = String(snap.distinct);
  distinct.dataset.distinct = String(snap.distinct);
  distinct.dataset.tone = up === 0 ? 'none' : snap.distinct <= 1 ? 'good' : 'bad';
  byId('distinct-sub').textContent = up === 0 ? 'no actor is up' : snap.distinct <= 1 ? 'every actor that is up agrees' : 'among actors that are up';
  byId('up').textContent = String(up);
  byId('total').textContent = String(actors.length);
  const others = ['starting', 'down', 'held']
    .map((phase) => [phase, actors.filter((a) => a.phase === phase).length])
    .filter(([, n]) => n > 0)
    .map(([phase, n]) => `${n} ${phase}`);
  byId('up-sub').textContent = others.length === 0 ? 'all running' : others.join(', ');
  byId('mutations').textContent = fmtInt.format(actors.reduce((sum, a) => sum + a.mutations, 0));
  const nemesis = byId('nemesis');
  nemesis.dataset.running = String(snap.nemesis);
  nemesis.textContent = snap.nemesis ? 'nemesis running' : 'nemesis idle';
  byId('events-count').textContent = `${snap.events.length} event${snap.events.length === 1 ? '' : 's'} logged`;
  tick();
}

/** The live clocks, every 100 ms between snapshots. */
function tick() {
  if (snap === null) return;
  const now = labNow();
  byId('clock').textContent = fmtClock(now);
  const since = byId('since');
  const converged = snap.distinct === 1;
  if (converged) {
    since.textContent = 'converged';
    byId('since-sub').textContent = 'all up actors hold one genome';
  } else if (snap.lastConvergedAt === null) {
    since.textContent = 'never';
    byId('since-sub').textContent = 'no full convergence yet';
  } else {
    since.textContent = fmtDuration(now - snap.lastConvergedAt);
    byId('since-sub').textContent = `last full convergence at ${fmtClock(snap.lastConvergedAt)}`;
  }
  since.dataset.tone = converged ? 'good' : 'bad';
}

// --- actors ------------------------------------------------------------------------------------

/** One row per actor id, built once and updated in place (keeps focus and open selects intact). */
const rows = new Map();

function dropSelect(label) {
  const select = h('select', { class: 'drop-select', 'aria-label': label });
  for (const rate of DROP_RATES) select.append(h('option', { value: String(rate), text: `drop ${fmtRate(rate)}` }));
  return select;
}

function setSelectRate(select, rate) {
  // While its own request runs, the select shows what the user chose, not the stale state.
  if (select.disabled) return;
  const value = String(rate);
  if (![...select.options].some((o) => o.value === value)) select.append(h('option', { value, text: `drop ${fmtRate(rate)}` }));
  select.value = value;
}

function buildRow(actor) {
  const id = actor.id;
  const field = (label, cls = '') => {
    const value = h('span', { class: `v ${cls}` });
    return [h('span', { class: 'field' }, h('span', { class: 'k', text: label }), value), value];
  };
  const [lengthField, length] = field('len');
  const [digestField, digest] = field('digest', 'mono');
  const [pendingField, pending] = field('pending');
  const [mutationsField, mutations] = field('mutations');
  const [versionField, version] = field('version', 'mono');
  versionField.classList.add('version');
  const phase = h('span', { class: 'phase' });
  const faults = h('span', { class: 'faults' });
  const kill = h('button', { type: 'button', class: 'bad', 'data-testid': `kill-${id}`, text: 'kill' });
  const restart = h('button', { type: 'button', 'data-testid': `restart-${id}`, text: 'restart' });
  const pause = h('button', { type: 'button', text: 'pause' });
  const drop = dropSelect(`drop rate of actor ${id}`);
  const canvas = h('canvas', { class: 'genome', 'aria-label': `genome of actor ${id}` });
  const strip = h('div', { class: 'strip' }, canvas);
  const el = h(
    'div',
    { class: 'actor', 'data-testid': `actor-${id}`, 'data-phase': actor.phase },
    h('div', { class: 'actor-id', title: actor.url }, h('span', { class: 'hash', text: '#' }), String(id)),
    h('div', { class: 'actor-meta' }, phase, lengthField, digestField, pendingField, mutationsField, versionField, faults),
    h('div', { class: 'actor-controls control' }, kill, restart, pause, drop),
    strip,
  );
  const row = { id, el, phase, length, digest, pending, mutations, version, faults, kill, restart, pause, drop, canvas, strip, drawn: '', layout: null, genome: '' };
  kill.addEventListener('click', () => act(kill, `kill ${id}`, `/api/actors/${id}/kill`));
  restart.addEventListener('click', () => act(restart, `restart ${id}`, `/api/actors/${id}/restart`));
  pause.addEventListener('click', () => {
    const paused = row.actor.faults.pauseMutations;
    act(pause, `${paused ? 'resume' : 'pause'} ${id}`, '/api/pause', { actor: id, paused: !paused });
  });
  drop.addEventListener('change', () => act(drop, `drop rate of ${id}`, '/api/drop-rate', { actor: id, rate: Number(drop.value) }));
  canvas.addEventListener('mousemove', (event) => geneTooltip(row, event));
  canvas.addEventListener('mouseleave', hideTooltip);
  return row;
}

function ensureRows() {
  const container = byId('actors');
  const ids = snap.actors.map((a) => a.id).join(',');
  if (container.dataset.ids !== ids) {
    rows.clear();
    container.replaceChildren(...snap.actors.map((a) => {
      const row = buildRow(a);
      rows.set(a.id, row);
      return row.el;
    }));
    container.dataset.ids = ids;
  }
}

function renderActors(stripWidth) {
  const maxLength = snap.actors.reduce((max, a) => Math.max(max, a.genome === null ? 0 : a.genome.length / 2), 0);
  for (const actor of snap.actors) updateRow(rows.get(actor.id), actor, maxLength, stripWidth);
}

function updateRow(row, actor, maxLength, stripWidth) {
  row.actor = actor;
  row.el.dataset.phase = actor.phase;
  row.phase.textContent = actor.phase;
  row.phase.dataset.phase = actor.phase;
  row.length.textContent = actor.length === null ? '–' : fmtInt.format(actor.length);
  row.digest.textContent = actor.digest === null ? '–' : actor.digest.slice(0, 8);
  row.digest.title = actor.digest ?? '';
  row.pending.textContent = fmtInt.format(actor.pending);
  row.pending.classList.toggle('warn', actor.pending > 0);
  row.mutations.textContent = fmtInt.format(actor.mutations);
  row.version.textContent = fmtVersion(actor.version) || '–';

  const f = actor.faults;
  const chips = [];
  if (f.dropRate > 0) chips.push(h('span', { class: 'chip drop', text: `drop ${fmtRate(f.dropRate)}` }));
  if (f.partition.length > 0) chips.push(h('span', { class: 'chip partition', text: `cut off from ${f.partition.join(', ')}` }));
  if (f.pauseMutations) chips.push(h('span', { class: 'chip pause', text: 'paused' }));
  row.faults.replaceChildren(...chips);

  const running = actor.phase === 'up' || actor.phase === 'starting';
  row.kill.disabled = !running;
  row.restart.textContent = actor.phase === 'held' ? 'start' : 'restart';
  row.pause.textContent = f.pauseMutations ? 'resume' : 'pause';
  row.pause.classList.toggle('active', f.pauseMutations);
  setSelectRate(row.drop, f.dropRate);

  drawGenome(row, actor, maxLength, stripWidth);
}

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

function drawGenome(row, actor, maxLength, width) {
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

function geneTooltip(row, event) {
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

// --- match matrix ------------------------------------------------------------------------------

let matrixIds = '';
/** "a-b" → the cell of actors a and b. */
const matrixCells = new Map();

function renderMatrix(width) {
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

// --- timeline ----------------------------------------------------------------------------------

const TIMELINE_HEIGHT = 168;
const PAD = { left: 34, right: 12, top: 12, bottom: 24 };

function renderTimeline(width) {
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

// --- event log ---------------------------------------------------------------------------------

let eventsKey = '';

function renderEvents() {
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

// ---------------------------------------------------------------------------------------------
// Tooltip: one floating element for gene cells, matrix cells and timeline ticks

function showTooltip(event, content) {
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

function hideTooltip() {
  byId('tooltip').hidden = true;
}

document.addEventListener('mousemove', (event) => {
  if (event.target instanceof HTMLCanvasElement) return;
  const target = event.target instanceof Element ? event.target.closest('[data-tip]') : null;
  if (target === null) hideTooltip();
  else showTooltip(event, [target.dataset.tip]);
});

// ---------------------------------------------------------------------------------------------
// Global controls

function parseGroups(text) {
  const groups = text.split('|').map((part) => part.split(/[\s,]+/).filter((s) => s !== '').map(Number));
  if (groups.length < 2 || groups.some((g) => g.length === 0 || g.some((id) => !Number.isInteger(id) || id < 0))) {
    throw new Error('write at least two groups of actor ids separated by |, e.g. 0,1|2');
  }
  return groups;
}

function setUpControls() {
  document.body.classList.toggle('readonly', token === null);
  byId('readonly-note').hidden = token !== null;
  if (token === null) {
    for (const control of document.querySelectorAll('.control button, .control select, .control input')) control.disabled = true;
    return;
  }
  const dropAll = byId('drop-all');
  dropAll.replaceChildren(h('option', { value: '', text: 'set…' }), ...DROP_RATES.map((r) => h('option', { value: String(r), text: fmtRate(r) })));
  dropAll.addEventListener('change', async () => {
    if (dropAll.value === '') return;
    await act(dropAll, 'drop rate', '/api/drop-rate', { actor: 'all', rate: Number(dropAll.value) });
    dropAll.value = '';
  });
  const split = byId('split');
  split.addEventListener('click', () => {
    if (snap === null) return;
    const ids = snap.actors.map((a) => a.id);
    const half = Math.ceil(ids.length / 2);
    act(split, 'split in two', '/api/partition', { groups: [ids.slice(0, half), ids.slice(half)] });
  });
  const partition = byId('partition');
  const groups = byId('groups');
  const applyGroups = () => {
    try {
      act(partition, 'partition', '/api/partition', { groups: parseGroups(groups.value) });
    } catch (err) {
      toast(`partition: ${err.message}`);
    }
  };
  partition.addEventListener('click', applyGroups);
  groups.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') applyGroups();
  });
  const heal = byId('heal');
  heal.addEventListener('click', () => act(heal, 'heal', '/api/heal'));
  const pauseAll = byId('pause-all');
  pauseAll.addEventListener('click', () => act(pauseAll, 'pause all', '/api/pause', { actor: 'all', paused: true }));
  const resumeAll = byId('resume-all');
  resumeAll.addEventListener('click', () => act(resumeAll, 'resume all', '/api/pause', { actor: 'all', paused: false }));
}

setUpControls();
connect();
setInterval(tick, 100);
// Canvases and the chart follow the page width (heights change with every render: ignore those).
let observedWidth = 0;
new ResizeObserver((entries) => {
  const width = entries[0].contentRect.width;
  if (width === observedWidth) return;
  observedWidth = width;
  if (snap !== null) render();
}).observe(byId('main'));
