// One row per actor: its phase, figures, faults, controls (kill, restart, pause, drop rate) and genome.

import { act } from './api.js';
import { byId, h } from './dom.js';
import { DROP_RATES, fmtBytes, fmtInt, fmtRate, fmtVersion } from './format.js';
import { drawGenome, geneTooltip } from './genome.js';
import { large, snap } from './state.js';
import { hideTooltip } from './tooltip.js';

/** One row per actor id, built once and updated in place (keeps focus and open selects intact). */
export const rows = new Map();

/** Past this many actors, a partition chip names how many, and lists them on hover. */
const CHIP_IDS = 6;

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
  const [tombstonesField, tombstones] = field('tombstones');
  const [stableField, stable] = field('stable');
  const [storeField, store] = field('store');
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
    h('div', { class: 'actor-meta' }, phase, lengthField, digestField, pendingField, tombstonesField, stableField, storeField, mutationsField, versionField, faults),
    h('div', { class: 'actor-controls control' }, kill, restart, pause, drop),
    strip,
  );
  const row = { id, el, phase, length, digest, pending, tombstones, stable, store, mutations, version, faults, kill, restart, pause, drop, canvas, strip, drawn: '', layout: null, genome: '' };
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

export function ensureRows() {
  const container = byId('actors');
  // Before the page measures the strips: the large layout's scroll box narrows them.
  container.classList.toggle('many', large());
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

export function renderActors(stripWidth) {
  const many = large();
  const maxLength = snap.actors.reduce((max, a) => Math.max(max, a.genome === null ? 0 : a.genome.length / 2), 0);
  for (const actor of snap.actors) updateRow(rows.get(actor.id), actor, maxLength, stripWidth, many);
}

function updateRow(row, actor, maxLength, stripWidth, many) {
  row.actor = actor;
  row.el.dataset.phase = actor.phase;
  row.phase.textContent = actor.phase;
  row.phase.dataset.phase = actor.phase;
  row.length.textContent = actor.length === null ? '–' : fmtInt.format(actor.length);
  row.digest.textContent = actor.digest === null ? '–' : actor.digest.slice(0, 8);
  row.digest.title = actor.digest ?? '';
  row.pending.textContent = fmtInt.format(actor.pending);
  row.pending.classList.toggle('warn', actor.pending > 0);
  row.tombstones.textContent = fmtInt.format(actor.tombstones);
  // Ops every member holds, as far as this actor knows; by author on hover.
  row.stable.textContent = fmtInt.format(Object.values(actor.stable).reduce((a, n) => a + n, 0));
  row.stable.title = `stable version: ${fmtVersion(actor.stable) || 'nothing yet (not every member heard from)'}`;
  // Bytes on disk ('mem' with --memory), and the last compaction's snapshot on hover.
  row.store.textContent = actor.storeBytes === 0 ? 'mem' : fmtBytes(actor.storeBytes);
  const c = actor.lastCompaction;
  row.store.title = c === null ? 'not compacted since it started' : `last compacted ${c.at}: a snapshot of ${fmtInt.format(c.ops)} ops, ${fmtBytes(c.snapshotBytes)}`;
  row.mutations.textContent = fmtInt.format(actor.mutations);
  // A large cluster's vector would take lines of its own in every row: its total, the vector on hover.
  const version = fmtVersion(actor.version);
  row.version.textContent = version === '' ? '–' : many ? `${fmtInt.format(Object.values(actor.version).reduce((a, n) => a + n, 0))} ops` : version;
  row.version.title = many ? version : '';
  row.el.querySelector('.actor-id').title = actor.incarnation === null ? actor.url : `${actor.url}\nincarnation ${actor.incarnation}`;

  const f = actor.faults;
  const chips = [];
  if (f.dropRate > 0) chips.push(h('span', { class: 'chip drop', text: `drop ${fmtRate(f.dropRate)}` }));
  if (f.partition.length > 0) {
    const ids = f.partition.join(', ');
    chips.push(h('span', { class: 'chip partition', title: ids, text: `cut off from ${f.partition.length > CHIP_IDS ? `${f.partition.length} actors` : ids}` }));
  }
  if (f.pauseMutations) chips.push(h('span', { class: 'chip pause', text: 'paused' }));
  // Proof that an author signed two different ops at one position: someone should look.
  for (const e of actor.equivocations ?? []) chips.push(h('span', { class: 'chip equivocation', title: `author ${e.incarnation} signed two different ops at ${e.at}`, text: `equivocation: actor ${e.actor} at ${e.at}` }));
  row.faults.replaceChildren(...chips);

  const running = actor.phase === 'up' || actor.phase === 'starting';
  row.kill.disabled = !running;
  row.restart.textContent = actor.phase === 'held' ? 'start' : 'restart';
  row.pause.textContent = f.pauseMutations ? 'resume' : 'pause';
  row.pause.classList.toggle('active', f.pauseMutations);
  setSelectRate(row.drop, f.dropRate);

  drawGenome(row, actor, maxLength, stripWidth);
}
