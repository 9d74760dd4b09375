import { MAX_ACTOR } from '../ids.js';
import type { ListState, StateColumns, StateRest } from './state.js';

/** Bits of a piece's saved flags (see `encodeState`). */
export const DELETED = 1;
export const LEFT = 2;
/** Bits 2-3: how the other origin (the one the piece does not hang off) is saved. */
export const MODE_SHIFT = 2;
export const NONE = 0;
/** The parent's: its right origin for a right child, its left origin for a left child. */
export const PREDICTED = 1;
export const WRITTEN = 2;
/** Both origins written: the piece moved up when an origin was collected. */
export const MOVED = 16;
export const STAGE_SHIFT = 5;

/**
 * A saved state as its encoding gives it, for loading (`FastList.fromSaved`) with no pass per
 * column: one entry per piece, in list order, each column as read (an array, or a view of the
 * bytes). Origins are as saved, mostly not at all: loading takes them from the tree.
 */
export interface SavedColumns<T> extends StateRest<T> {
  /** The actors `actors` names by index; null: `actors` holds the actors themselves. */
  actorTable: readonly number[] | null;
  actors: ArrayLike<number>;
  counters: ArrayLike<number>;
  lengths: ArrayLike<number>;
  /** The parent's index less the piece's own; 0: the root. */
  parents: ArrayLike<number>;
  /** As saved: deleted, left child, how the other origin is saved, moved, stage. */
  flags: ArrayLike<number>;
  /** The numbers saved for origins (see `encodeState`), piece after piece, for the pieces whose flags say so. */
  origins: ArrayLike<number>;
  /** Instead of `origins`, every piece's origins as they are (a state of objects, `savedOf`, whose flags say moved). */
  given: { olA: number[]; olC: number[]; orA: number[]; orC: number[] } | null;
}

/** A state of objects as saved columns (what `FastList.fromState` loads), its origins given. */
export function savedOf<T>(state: ListState<T>): SavedColumns<T> {
  const { pieces } = state;
  const values: T[] = [];
  for (const p of pieces) for (const v of p.values) values.push(v);
  // Loading reads whole numbers, as decoded ones are, and refuses NaN: any other number is NaN here.
  const whole = (x: number): number => (Number.isSafeInteger(x) ? x : NaN);
  return {
    actorTable: null,
    actors: pieces.map((p) => p.actor),
    counters: pieces.map((p) => whole(p.counter)),
    lengths: pieces.map((p) => p.values.length),
    // A parent that is the piece itself or below the root is NaN here too.
    parents: pieces.map((p, i) => (p.parent === -1 ? 0 : p.parent === i || !(p.parent >= 0) ? NaN : whole(p.parent - i))),
    flags: pieces.map((p) => (p.deleted ? DELETED : 0) | (p.side === 'L' ? LEFT : 0) | MOVED | ((p.gc ?? 0) << STAGE_SHIFT)),
    origins: [],
    given: { olA: pieces.map((p) => p.olA), olC: pieces.map((p) => p.olC), orA: pieces.map((p) => p.orA), orC: pieces.map((p) => p.orC) },
    values,
    log: state.log,
    retired: state.retired ?? [],
    collected: state.collected ?? [],
  };
}

/**
 * Saved columns with every piece's actor, counter, parent and origins spelled out (what merging
 * a state reads, `readStateOps`). Throws on what a saved state cannot hold: an actor index, a
 * parent or flags out of range, origins that run short or past their pieces.
 */
export function resolveColumns<T>(s: SavedColumns<T>): StateColumns<T> {
  const n = s.actors.length;
  const [actors, counters, lengths, parents, flags] = [new Array<number>(n), Array.from(s.counters), Array.from(s.lengths), new Array<number>(n), new Array<number>(n)];
  const [olA, olC, orA, orC] = [new Array<number>(n).fill(-1), new Array<number>(n).fill(0), new Array<number>(n).fill(-1), new Array<number>(n).fill(0)];
  const modes = new Uint8Array(n);
  const moved = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < n; i++) {
    const a = s.actors[i] as number;
    const actor = s.actorTable === null ? a : s.actorTable[a];
    if (actor === undefined) throw new Error(`piece ${i} names no actor`);
    actors[i] = actor;
    const d = s.parents[i] as number;
    const p = d === 0 ? -1 : i + d;
    if (d !== 0 && !(p >= 0 && p < n)) throw new Error(`piece ${i} has a parent out of range`);
    parents[i] = p;
    const f = s.flags[i] as number;
    if (badFlags(f)) throw new Error(`bad piece flags ${f} of piece ${i}`);
    flags[i] = (f & (DELETED | LEFT)) | ((f >> STAGE_SHIFT) << 2);
    modes[i] = (f >> MODE_SHIFT) & 3;
    moved[i] = f & MOVED ? 1 : 0;
    if (s.given !== null) {
      [olA[i], olC[i], orA[i], orC[i]] = [s.given.olA[i] as number, s.given.olC[i] as number, s.given.orA[i] as number, s.given.orC[i] as number];
    } else if (moved[i] === 1 || modes[i] === WRITTEN) {
      const q: Origins = { olA: -1, olC: 0, orA: -1, orC: 0 };
      o = readWritten(s.origins, o, i, counters[i] as number, f, q);
      [olA[i], olC[i], orA[i], orC[i]] = [q.olA, q.olC, q.orA, q.orC];
    }
  }
  if (s.given === null && o !== s.origins.length) throw new Error(`${s.origins.length - o} origin numbers belong to no piece`);
  // Deletes as plain runs, as a state of objects has them (decoded, they are columns: `SavedDeletes`).
  const log = { ...s.log, deletes: s.log.deletes.map((d) => ({ actor: d.actor, runs: d.runs })) };
  const cols: StateColumns<T> = { actors, counters, lengths, parents, flags, olA, olC, orA, orC, values: s.values, log, retired: s.retired, collected: s.collected };
  if (s.given === null) resolveOrigins(cols, modes, moved);
  return cols;
}

/** A piece's origins (actor -1: none). */
export type Origins = { olA: number; olC: number; orA: number; orC: number };

/**
 * The origins written for piece `i` (at `counter`, with flags `f`) into `q`, from `nums` at `o`:
 * both when it moved, else the other one (a right child's right origin, a left child's left
 * one); returns where the next piece's start. Throws where they run short or name a bad actor.
 */
export function readWritten(nums: ArrayLike<number>, o: number, i: number, counter: number, f: number, q: Origins): number {
  const next = (): number => {
    if (o >= nums.length) throw new Error(`the origins saved run short at piece ${i}`);
    return nums[o++] as number;
  };
  if ((f & MOVED) !== 0) {
    const l = next();
    if (l > 0) [q.olA, q.olC] = [actorOf(l - 1), counter + unzigzag(next())];
    const r = next();
    if (r > 0) [q.orA, q.orC] = [actorOf(r - 1), counter + unzigzag(next())];
    return o;
  }
  const a = actorOf(next());
  const c = counter + unzigzag(next());
  if ((f & LEFT) === 0) [q.orA, q.orC] = [a, c];
  else [q.olA, q.olC] = [a, c];
  return o;
}

/** Flags no saved piece has: bits above the stage, a mode of 3, a stage of 3, a moved piece with a mode. */
export const badFlags = (f: number): boolean => !(f >= 0 && f < 128) || ((f >> MODE_SHIFT) & 3) > WRITTEN || f >> STAGE_SHIFT > 2 || ((f & MOVED) !== 0 && ((f >> MODE_SHIFT) & 3) !== NONE);

/** Per flags byte below 128, 1 where `badFlags` is false: one load where loading checks a piece's. */
export const GOOD_FLAGS = Uint8Array.from({ length: 128 }, (_, f) => (badFlags(f) ? 0 : 1));

const unzigzag = (v: number): number => (v % 2 === 0 ? v / 2 : -(v + 1) / 2);

export function actorOf(n: number): number {
  if (n > MAX_ACTOR) throw new Error(`bad actor ${n}`);
  return n;
}

/** Fill in each piece's origins from its parent: the one it hangs off (unless written), and a predicted other one. */
function resolveOrigins<T>(cols: StateColumns<T>, modes: Uint8Array, moved: Uint8Array): void {
  const { actors, counters, lengths, parents, flags, olA, olC, orA, orC } = cols;
  const done = new Uint8Array(parents.length);
  const chain: number[] = [];
  for (let k = 0; k < parents.length; k++) {
    // Parents first: walk up to the first resolved ancestor, then resolve down. (A cycle stops
    // the walk where it closes; loading refuses it.)
    for (let j = k; j >= 0 && done[j] === 0; j = parents[j] as number) {
      done[j] = 1;
      chain.push(j);
    }
    while (chain.length > 0) {
      const i = chain.pop() as number;
      const p = parents[i] as number;
      const left = ((flags[i] as number) & LEFT) !== 0;
      if (moved[i] === 1) {
        if (p < 0 && left) throw new Error(`piece ${i} cannot hang off the root that way`);
        continue;
      }
      if (p < 0) {
        if (left || modes[i] === PREDICTED) throw new Error(`piece ${i} cannot hang off the root that way`);
      } else if (!left) {
        olA[i] = actors[p] as number;
        olC[i] = (counters[p] as number) + (lengths[p] as number) - 1;
        if (modes[i] === PREDICTED) {
          orA[i] = orA[p] as number;
          orC[i] = orC[p] as number;
        }
      } else {
        orA[i] = actors[p] as number;
        orC[i] = counters[p] as number;
        if (modes[i] === PREDICTED) {
          olA[i] = olA[p] as number;
          olC[i] = olC[p] as number;
        }
      }
    }
  }
}
