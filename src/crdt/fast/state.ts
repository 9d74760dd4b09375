import { stepped, type ActorId } from '../ids.js';
import { COLLECTABLE as COLLECTABLE_STAGE, type Piece } from './ContentTree.js';
import { lastAtOrBelow } from './IdIndex.js';
import { ranksByRightOrigin } from './siblings.js';
import { savedDeletes, type SavedDeletes } from './state-bytes.js';

/** One piece as saved: its elements, origins and place in the FugueMax tree. */
export interface PieceState<T> {
  actor: number;
  counter: number;
  values: T[];
  deleted: boolean;
  olA: number;
  olC: number;
  orA: number;
  orC: number;
  /** Index of the parent piece in `pieces` (list order); -1: the root. */
  parent: number;
  side: 'L' | 'R';
  /** How far the tombstone is on its way out: 0, RETIRED or COLLECTABLE (see `Piece.gc`); 0 when absent. */
  gc?: number;
}

/** The op log as saved: ops held per actor, each actor's deletes, and the order ops applied in. */
export interface LogState {
  held: Array<[number, number]>;
  /**
   * Each actor's deletes in counter order, as runs of five numbers: first counter, length, target
   * actor, first target counter, step (delete k of the run targets first target + k * step).
   */
  deletes: Array<{ actor: number; runs: number[] }>;
  /** The order ops were applied in, as runs of one actor's consecutive ops: (actor, first counter, length) triples. */
  order: number[];
}

/**
 * A FastList's whole state without pending ops: its pieces in list order, tombstones included,
 * and its op log. Loading it rebuilds the structure directly, with no op applied again.
 */
export interface ListState<T> {
  pieces: PieceState<T>[];
  log: LogState;
  /** The deletes whose targets are retired, and those whose targets are collectable (`FastList.retire`, `collect`); none when absent. */
  retired?: Array<[number, number]>;
  collected?: Array<[number, number]>;
}

/** What a state holds besides its pieces' columns, however those are kept. */
export interface StateRest<T> {
  /** Every element's value, piece after piece. */
  values: ArrayLike<T>;
  log: LogState;
  retired: Array<[number, number]>;
  collected: Array<[number, number]>;
}

/**
 * A state as columns, one entry per piece in list order, every origin spelled out: what merging
 * a state reads (`readStateOps`), without an object per piece.
 */
export interface StateColumns<T> extends StateRest<T> {
  actors: number[];
  counters: number[];
  lengths: number[];
  /** Index of the parent piece; -1: the root. */
  parents: number[];
  /** Bit 0: deleted; bit 1: a left child; bits 2-3: the tombstone's stage (`Piece.gc`). */
  flags: number[];
  olA: number[];
  olC: number[];
  orA: number[];
  orC: number[];
}

/** Columns back to pieces as objects (what `decodeState` gives). */
export function toListState<T>(cols: StateColumns<T>): ListState<T> {
  let v = 0;
  const pieces = cols.actors.map((actor, i): PieceState<T> => {
    const f = cols.flags[i] as number;
    const values = Array.from({ length: cols.lengths[i] as number }, () => cols.values[v++] as T);
    const [olA, olC, orA, orC] = [cols.olA[i] as number, cols.olC[i] as number, cols.orA[i] as number, cols.orC[i] as number];
    return { actor, counter: cols.counters[i] as number, values, deleted: (f & 1) !== 0, olA, olC, orA, orC, parent: cols.parents[i] as number, side: f & 2 ? 'L' : 'R', gc: f >> 2 };
  });
  return { pieces, log: cols.log, retired: cols.retired, collected: cols.collected };
}

/** A saved version (pairs of actor and count) as a version vector; throws on a repeated actor or a count below 1. */
export function versionOf(pairs: ReadonlyArray<readonly [number, number]>, what: string): Map<ActorId, number> {
  const out = new Map<ActorId, number>();
  for (const [actor, n] of pairs) {
    if (!Number.isInteger(n) || n < 1 || out.has(actor as ActorId)) throw new Error(`the ${what} version is malformed at a${actor}`);
    out.set(actor as ActorId, n);
  }
  return out;
}

/** What loading has seen of one actor's counters 1..held. */
export interface ActorMarks {
  /**
   * Per counter: 1 + the index of the piece holding that element, -1 for a delete (once
   * `checkOps` marked it), 0 for neither yet. Marked a range at a time, natively.
   */
  owner: Int32Array;
  /**
   * Per counter: 1 for a tombstone's element that a delete must name (all but collectable ones'),
   * 2 once a delete names an element. Marked a range at a time, natively; then a 1 left over is a
   * tombstone no delete names, found by one native search.
   */
  named: Uint8Array;
  /** Held ops no piece or delete has claimed yet. */
  unsaved: number;
}

/** Per actor held, its marks. */
export interface Marks {
  actors: Map<number, ActorMarks>;
}

export function marksOf(log: LogState): Marks {
  const actors = new Map<number, ActorMarks>();
  for (const [actor, n] of log.held) actors.set(actor, { owner: new Int32Array(n + 1), named: new Uint8Array(n + 1), unsaved: n });
  return { actors };
}

/**
 * Each actor's counters 1..held are either an element of exactly one piece, or a delete, or
 * collected (within `collected`: every replica held it, and the list let it go); each delete is
 * applied after what it names (a collected op names only collected ones); the deleted elements
 * are the deletes' targets, but for collectable ones, whose delete may be collected. `log` passed
 * `OpLog.of`'s checks (each actor's deletes in one list of runs), and `marks` has the pieces' elements
 * (`makePieces`; that none is in two pieces, nor a delete, `walkTree` checks after). Work
 * is per run of deletes, not per element, where it can be: elements are marked by ranges, and
 * coverage is checked by counting, and by searching the marks for a tombstone no delete named. Each piece's own checks are `pieceFault`'s.
 */
export function checkOps<T>(pieces: readonly Piece<T>[], log: LogState, marks: Marks, collected: ReadonlyMap<number, number>, look: Lookups): void {
  const { actors } = marks;
  for (const d of log.deletes) checkDeletes(savedDeletes(d), actors.get(d.actor), pieces, actors, collected, look.place, look.shift);
  for (const [actor, m] of actors) if (m.unsaved !== 0) checkCollected(actor, m, collected.get(actor) ?? 0);
  let unnamed = 0;
  for (const m of actors.values()) if (m.named.indexOf(1) >= 0) for (const x of m.named) if (x === 1) unnamed++;
  if (unnamed !== 0) throw new Error(`${unnamed} deleted elements are deleted by no op`);
}

/**
 * A tombstone retired (collectable) was deleted by a delete within the retired (collected)
 * version, and that version is causally closed (a meet and join of versions): so the element's
 * insert is within it too.
 */
function stageFault<T>(p: Piece<T>, retired: ReadonlyMap<number, number>, collected: ReadonlyMap<number, number>): Error | null {
  const upTo = (p.gc === COLLECTABLE_STAGE ? collected : retired).get(p.actor) ?? 0;
  return p.counter + p.length - 1 <= upTo ? null : new Error(`tombstone a${p.actor}.${p.counter} is ${p.gc === COLLECTABLE_STAGE ? 'collectable' : 'retired'} beyond the version that was`);
}

/** Counters of `actor` held but claimed by no piece and no delete must be collected ones. */
function checkCollected(actor: number, m: ActorMarks, upTo: number): void {
  const o = m.owner;
  for (let c = upTo + 1; c < o.length; c++) if (o[c] === 0) throw new Error(`a${actor}'s ops held and saved differ by ${m.unsaved}`);
}

type Place = (actor: number, counter: number) => number;

/**
 * Marks one actor's deletes (`d`: its runs as saved columns; `m`: its marks, whose unsaved ops
 * they claim) and their targets (`ActorMarks.named`). That no delete is an element, nor two deletes one op, is checked here at
 * each run's start (runs in counter order, none starting on an element) and by `walkTree` at each
 * piece's: a run's counters are marked at once. A run of targets inside one tombstone piece
 * (backspacing, deleting forward: nearly all of them) is checked and marked at once too; others,
 * element by element.
 */
function checkDeletes<T>(d: SavedDeletes, m: ActorMarks | undefined, pieces: readonly Piece<T>[], actors: Map<number, ActorMarks>, collected: ReadonlyMap<number, number>, place: Place, shift: (actor: number) => number): void {
  const own = m?.owner;
  const actor = d.actor;
  // The runs' columns as saved, each in a local: a run's counter and first target are differences
  // from the previous run's end and first target, its target's actor an index in `table`.
  const starts = d.starts;
  const lengths = d.lengths;
  const targetActors = d.targetActors;
  const firstTargets = d.targets;
  const steps = d.steps;
  const table = d.table;
  const count = d.n;
  let deletes = 0;
  // Runs name one actor's elements by the hundred in a row: keep its marks at hand.
  // (No destructuring, no Math, no call that can be spared: this runs once per run of deletes
  // before V8 has optimised it.)
  let lastT = -1;
  let ta = -1;
  let tm: ActorMarks | undefined;
  let tOwner: Int32Array | undefined;
  let gone = 0;
  const dShift = shift(actor);
  const dGone = collected.get(actor) ?? 0;
  let tShift = NaN;
  // Where the previous run ended (0 before the first), and its first target.
  let end = 0;
  let tc0 = 0;
  for (let r = 0; r < count; r++) {
    const start = starts[r] as number;
    const c0 = end + start;
    const n = lengths[r] as number;
    const t = targetActors[r] as number;
    tc0 += firstTargets[r] as number;
    const step = steps[r] as number;
    // Runs in counter order, after what was collected.
    if (!(start >= 0 && c0 > dGone && n >= 1)) throw new Error(`deletes of a${actor} are out of order`);
    end = c0 + n;
    if (t !== lastT) {
      lastT = t;
      ta = table === null ? t : (table[t] as number);
      tm = actors.get(ta);
      tOwner = tm?.owner;
      gone = collected.get(ta) ?? 0;
      tShift = shift(ta);
    }
    // Ranges checked at their ends (counters and targets move by a fixed step).
    const last = n - 1;
    const tLast = last === 0 ? tc0 : tc0 + last * step;
    const lo = step < 0 ? tLast : tc0;
    // (Written to refuse NaN too, which a state made of objects may hold.)
    // Its first op not an element (a piece starting among its ops is refused by `walkTree`).
    if (own === undefined || !(c0 >= 1 && c0 + n <= own.length) || own[c0] !== 0) throw new Error(`delete a${actor}.${c0} is not a delete`);
    if (tOwner === undefined || !(lo >= 1 && lo + (step < 0 ? -last * step : last * step) < tOwner.length)) throw new Error(`delete a${actor}.${c0} names no deleted element`);
    if (n === 1) own[c0] = -1;
    else own.fill(-1, c0, c0 + n);
    deletes += n;
    if ((step === 1 || step === -1) && n > 1) targetRange(actor, c0, n, tc0, step, lo, tm as ActorMarks, pieces, gone);
    else targets(actor, c0, n, tc0, step, tm as ActorMarks, pieces, gone);
    // Where both actors' ops held are one run of the order each (`Lookups.shift`) and nothing
    // here is collected (the deletes are not: see the order's check), places are counters
    // shifted: the ends decide, with no lookup.
    if (dShift === dShift && tShift === tShift && lo > gone) {
      if (tc0 + tShift < c0 + dShift && tLast + tShift < c0 + last + dShift) continue;
    }
    // Each actor's places grow with its counters, so where the ends of both ranges are n - 1
    // places apart (stepped for the targets), places are linear in i between them, and so is
    // their difference: the ends decide for the whole run. (Collected targets, placed at -1, are
    // a prefix of their actor's counters.)
    const d0 = place(actor, c0);
    const d1 = last === 0 ? d0 : place(actor, c0 + last);
    const t0 = place(ta, tc0);
    const t1 = last === 0 ? t0 : place(ta, tLast);
    const apart = last * step;
    const linear = d1 - d0 === last && (t1 - t0 === apart || t0 - t1 === apart) && (t0 >= 0) === (t1 >= 0);
    if (!linear || t0 >= d0 || t1 >= d1) {
      for (let i = 0; i < n; i++) {
        const tc = stepped(tc0, i, step);
        const at = place(actor, c0 + i);
        const named = place(ta, tc);
        if (at < 0 ? named >= 0 : named >= at) throw new Error(`delete a${actor}.${c0 + i} is applied before a${ta}.${tc}, which it names`);
      }
    }
  }
  if (m !== undefined) m.unsaved -= deletes;
}

/**
 * The targets of deletes `actor.c0..` (n of them, from `tc0` by `step`, 1 or -1; the lowest
 * `lo`): when one tombstone piece holds them all, checked and marked with one native call; else
 * element by element (`targets`), which also names the delete at fault.
 */
function targetRange<T>(actor: number, c0: number, n: number, tc0: number, step: number, lo: number, tm: ActorMarks, pieces: readonly Piece<T>[], gone: number): void {
  const o = tm.owner[lo] as number;
  if (o > 0 && tm.owner[lo + n - 1] === o && (pieces[o - 1] as Piece<T>).deleted) tm.named.fill(2, lo, lo + n);
  else targets(actor, c0, n, tc0, step, tm, pieces, gone);
}

/** As `targetRange`, element by element, for any step. */
function targets<T>(actor: number, c0: number, n: number, tc0: number, step: number, tm: ActorMarks, pieces: readonly Piece<T>[], gone: number): void {
  const owner = tm.owner;
  for (let i = 0; i < n; i++) {
    const tc = stepped(tc0, i, step);
    const o = owner[tc] as number;
    if (o > 0 && (pieces[o - 1] as Piece<T>).deleted) {
      tm.named[tc] = 2;
      continue;
    }
    // Or an element collected (deleted by another delete too, a collected one).
    if (o === 0 && tc <= gone) continue;
    throw new Error(`delete a${actor}.${c0 + i} names no deleted element`);
  }
}

/**
 * What is wrong with piece `p`, if anything (its tree links and origins set): its origins must be
 * elements applied before it (or collected), and it must hang in the tree off one of them (or,
 * one of them collected, it moved up in that one's place); a retired or collectable tombstone
 * must be within the version that was (`stageFault`). `walkTree` asks only of a piece it cannot
 * pass by itself (one whose origins are not both fine, that did not take the origin it hangs off
 * from its parent, or that has a stage).
 */
export function pieceFault<T>(p: Piece<T>, look: Lookups, retired: ReadonlyMap<number, number>, collected: ReadonlyMap<number, number>): Error | null {
  const { actor, counter, olA: la, olC: lc, orA: ra, orC: rc } = p;
  const own = look.place(actor, counter);
  const left = look.origin(la, lc, own);
  const right = look.origin(ra, rc, own);
  if (left === UNKNOWN || right === UNKNOWN) return new Error(`insert a${actor}.${counter} has an unknown origin`);
  if (left === LATE) return new Error(`insert a${actor}.${counter} is applied before a${la}.${lc}, which it names`);
  if (right === LATE) return new Error(`insert a${actor}.${counter} is applied before a${ra}.${rc}, which it names`);
  // Fugue's rule: a right child of its left origin, or a left child of its right origin; or it
  // moved up, in the place of an origin that was collected (`FastList.collect`).
  const parent = p.parent;
  const hangs = parent === null ? la < 0 : p.side === 'R' ? la === parent.actor && lc === parent.counter + parent.length - 1 : ra === parent.actor && rc === parent.counter;
  if (!hangs && left !== GONE && right !== GONE) return new Error(`insert a${actor}.${counter} does not hang off its origin`);
  // Collecting keeps every right origin a sibling order may still read.
  if (right === GONE && ranksByRightOrigin(p)) return new Error(`insert a${actor}.${counter} is ranked by a collected right origin`);
  return p.gc === 0 ? null : stageFault(p, retired, collected);
}

/**
 * What loading looks up of ops by id: `place`, an op's place in the order applied (-1: collected,
 * before every op held); `origin`, what an origin (actor -1: none) of an insert placed at `own`
 * names: FINE (none, or an element applied before it), GONE (collected, so before it), UNKNOWN
 * (no element held or collected), or LATE (an element applied after it). FINE is 0, so that a
 * piece both of whose origins are fine is told by one test.
 */
export interface Lookups {
  place: (actor: number, counter: number) => number;
  /** Where an actor's ops held (but collected ones) are one run of the order, place less counter; else NaN. */
  shift: (actor: number) => number;
  /** An actor's marks (`ActorMarks.owner`), if held, and the counter it collected up to. */
  owner: (actor: number) => Int32Array | undefined;
  gone: (actor: number) => number;
  origin: (actor: number, counter: number, own: number) => number;
}

/** What an origin names (`Lookups.origin`). */
const FINE = 0;
const GONE = 1;
const UNKNOWN = 2;
const LATE = 3;

/**
 * Lookups of ops by id (`Lookups`) in `log`'s order, `marks`' elements and what was collected.
 * They are made by the thousand in a row for one actor: its elements, what it collected and its
 * runs of the order are kept at hand (in the closures' own variables, which the interpreter reads
 * cheaper than properties), and looked up again when another actor's come. Most actors' ops are
 * one run of the order: their places are then their counters, moved by `base`.
 */
export function lookups(log: LogState, marks: Marks, collected: ReadonlyMap<number, number>): Lookups {
  const runs = new Map<number, { firsts: number[]; places: number[] }>();
  const { order } = log;
  for (let i = 0, at = 0; i < order.length; i += 3) {
    const actor = order[i] as number;
    let r = runs.get(actor);
    if (r === undefined) runs.set(actor, (r = { firsts: [], places: [] }));
    r.firsts.push(order[i + 1] as number);
    r.places.push(at);
    at += order[i + 2] as number;
  }
  const none: number[] = [];
  let last = NaN;
  let owner: Int32Array | undefined;
  let gone = 0;
  let firsts = none;
  let places = none;
  let single = false;
  let base = 0;
  const use = (actor: number): void => {
    last = actor;
    owner = marks.actors.get(actor)?.owner;
    gone = collected.get(actor) ?? 0;
    const r = runs.get(actor);
    firsts = r === undefined ? none : r.firsts;
    places = r === undefined ? none : r.places;
    single = firsts.length === 1;
    base = single ? (places[0] as number) - (firsts[0] as number) : 0;
  };
  const place = (actor: number, counter: number): number => {
    if (actor !== last) use(actor);
    if (counter <= gone) return -1;
    return single ? counter + base : placeIn(firsts, places, counter);
  };
  const origin = (actor: number, counter: number, own: number): number => {
    if (actor < 0) return FINE;
    if (actor !== last) use(actor);
    const o = owner === undefined ? 0 : (owner[counter] ?? 0);
    const kind = o > 0 ? FINE : o === 0 && counter >= 1 && counter <= gone ? GONE : UNKNOWN;
    if (kind === UNKNOWN) return UNKNOWN;
    const named = counter <= gone ? -1 : single ? counter + base : placeIn(firsts, places, counter);
    // Both collected: no order known, and none needed.
    return (own < 0 ? named < 0 : named < own) ? kind : LATE;
  };
  const shift = (actor: number): number => {
    const r = runs.get(actor);
    return r !== undefined && r.firsts.length === 1 ? (r.places[0] as number) - (r.firsts[0] as number) : NaN;
  };
  return { place, origin, shift, owner: (actor) => marks.actors.get(actor)?.owner, gone: (actor) => collected.get(actor) ?? 0 };
}

/** The place of `counter`, found in its actor's runs of the order (their first counters, and places). */
function placeIn(firsts: readonly number[], places: readonly number[], counter: number): number {
  const i = lastAtOrBelow(firsts, (first) => first, counter);
  return (places[i] as number) + counter - (firsts[i] as number);
}
