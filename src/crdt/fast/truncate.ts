import { COLLECTABLE } from './ContentTree.js';
import type { ListState, LogState, PieceState } from './state.js';

/**
 * `state` without each actor's ops from `cut(actor)` on: what a replica that collected keeps
 * when a proven fork drops ops it holds (see INTERNALS.md, "Equivocation"). The ops dropped are
 * a suffix of each actor's counters, none of them collected, and every op naming one is dropped
 * too; so no piece kept hangs off an element dropped. Elements they inserted go; elements only
 * they deleted (none collectable: a collected delete is no longer in the log, but its target is
 * collectable) are visible again (a deleted piece splits where that changes); the op log loses
 * their counters. The result is checked on load as any state, so a cut that is not causally
 * closed is refused there, not here.
 */
export function truncateState<T>(state: ListState<T>, cut: (actor: number) => number): ListState<T> {
  const { deletes, undeleted } = cutDeletes(state.log, cut);
  const pieces: PieceState<T>[] = [];
  // Old piece index → new index of its first part (left children hang there) and its last (right children).
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  state.pieces.forEach((p, i) => {
    const length = Math.max(0, Math.min(p.values.length, cut(p.actor) - p.counter));
    if (length === 0) return;
    const parts = p.deleted ? splitByVisibility(p, length, undeleted) : [{ from: 0, to: length, deleted: false }];
    first.set(i, pieces.length);
    parts.forEach((part, k) => {
      const counter = p.counter + part.from;
      const head = k === 0;
      // A later part is the right child of the part before it, as an element of a run is of the one before.
      pieces.push({
        actor: p.actor,
        counter,
        values: p.values.slice(part.from, part.to),
        deleted: part.deleted,
        olA: head ? p.olA : p.actor,
        olC: head ? p.olC : counter - 1,
        orA: p.orA,
        orC: p.orC,
        parent: head ? p.parent : pieces.length - 1,
        side: head ? p.side : 'R',
        gc: part.deleted ? (p.gc ?? 0) : 0,
      });
    });
    last.set(i, pieces.length - 1);
  });
  // The first part of each piece kept still names its parent by its old index.
  for (const h of first.values()) {
    const p = pieces[h] as PieceState<T>;
    if (p.parent < 0) continue;
    const parent = (p.side === 'L' ? first : last).get(p.parent);
    if (parent === undefined) throw new Error(`piece ${p.actor}.${p.counter} is kept, but hangs off one that is dropped`);
    p.parent = parent;
  }
  const held = state.log.held.map(([a, n]): [number, number] => [a, Math.min(n, cut(a) - 1)]).filter(([, n]) => n > 0);
  const order: number[] = [];
  for (let i = 0; i < state.log.order.length; i += 3) {
    const [a, c, n] = [state.log.order[i] as number, state.log.order[i + 1] as number, state.log.order[i + 2] as number];
    const length = Math.min(n, cut(a) - c);
    if (length > 0) order.push(a, c, length);
  }
  const under = (v: Array<[number, number]> | undefined): Array<[number, number]> | undefined => v?.map(([a, n]): [number, number] => [a, Math.min(n, cut(a) - 1)]).filter(([, n]) => n > 0);
  const out: ListState<T> = { pieces, log: { held, deletes, order } };
  const retired = under(state.retired);
  const collected = under(state.collected);
  if (retired !== undefined) out.retired = retired;
  if (collected !== undefined) out.collected = collected;
  return out;
}

/** The delete runs kept, and the elements only dropped deletes targeted (as `actor.counter` keys). */
function cutDeletes(log: LogState, cut: (actor: number) => number): { deletes: LogState['deletes']; undeleted: Set<string> } {
  const dropped = new Set<string>();
  const still = new Set<string>();
  const deletes = log.deletes.map(({ actor, runs }) => {
    const keep: number[] = [];
    for (let i = 0; i < runs.length; i += 5) {
      const [c, n, ta, tc, step] = runs.slice(i, i + 5) as [number, number, number, number, number];
      const length = Math.max(0, Math.min(n, cut(actor) - c));
      for (let k = 0; k < n; k++) (k < length ? still : dropped).add(`${ta}.${tc + k * step}`);
      if (length > 0) keep.push(c, length, ta, tc, step);
    }
    return { actor, runs: keep };
  }).filter((d) => d.runs.length > 0);
  for (const key of still) dropped.delete(key);
  return { deletes, undeleted: dropped };
}

/** A deleted piece's first `length` elements as runs of one visibility. */
function splitByVisibility<T>(p: PieceState<T>, length: number, undeleted: ReadonlySet<string>): Array<{ from: number; to: number; deleted: boolean }> {
  const parts: Array<{ from: number; to: number; deleted: boolean }> = [];
  for (let k = 0; k < length; k++) {
    // A collectable element had a delete that was collected (so is no longer in the log): it stays deleted.
    const deleted = p.gc === COLLECTABLE || !undeleted.has(`${p.actor}.${p.counter + k}`);
    const prev = parts[parts.length - 1];
    if (prev !== undefined && prev.deleted === deleted) prev.to = k + 1;
    else parts.push({ from: k, to: k + 1, deleted });
  }
  return parts;
}
