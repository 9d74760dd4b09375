// The stats along the top: distinct genomes, actors up, time since convergence, mutations, lab clock.

import { byId } from './dom.js';
import { fmtClock, fmtDuration, fmtInt } from './format.js';
import { labNow, snap } from './state.js';

export function renderSummary() {
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
export function tick() {
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
