import type { Piece } from './ContentTree.js';

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
}

/** The op log as saved: ops held per actor, each actor's deletes, and the order ops applied in. */
export interface LogState {
  held: Array<[number, number]>;
  deletes: Array<{ actor: number; counters: number[]; targetActors: number[]; targetCounters: number[] }>;
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
}

/**
 * Pieces from saved ones, linked into their tree: parents, depths, and children in sibling order
 * (which is list order, since the list is the tree's in-order walk). Returns them in list order
 * with the root's children. Throws on a parent link that is out of range or makes a cycle.
 */
export function linkPieces<T>(saved: readonly PieceState<T>[]): { pieces: Piece<T>[]; rootKids: Piece<T>[] } {
  const n = saved.length;
  const pieces: Piece<T>[] = new Array<Piece<T>>(n);
  for (let i = 0; i < n; i++) {
    const s = saved[i] as PieceState<T>;
    if (s.values.length === 0) throw new Error(`piece ${i} is empty`);
    if (!Number.isInteger(s.parent) || s.parent < -1 || s.parent >= n || s.parent === i) throw new Error(`piece ${i} has a bad parent ${s.parent}`);
    if (s.parent === -1 && s.side !== 'R') throw new Error(`piece ${i} is a left child of the root`);
    pieces[i] = {
      actor: s.actor,
      counter: s.counter,
      length: s.values.length,
      values: s.values,
      deleted: s.deleted,
      olA: s.olA,
      olC: s.olC,
      orA: s.orA,
      orC: s.orC,
      leaf: undefined as never,
      parent: null,
      side: s.side,
      depth: 0,
      leftKids: null,
      rightKids: null,
    };
  }
  const rootKids: Piece<T>[] = [];
  for (let i = 0; i < n; i++) {
    const piece = pieces[i] as Piece<T>;
    const p = (saved[i] as PieceState<T>).parent;
    if (p === -1) {
      rootKids.push(piece);
      continue;
    }
    const parent = pieces[p] as Piece<T>;
    piece.parent = parent;
    if (piece.side === 'L') (parent.leftKids ??= []).push(piece);
    else (parent.rightKids ??= []).push(piece);
  }
  for (const piece of pieces) setDepth(piece, n);
  checkInOrder(pieces, rootKids);
  return { pieces, rootKids };
}

/** The list must be the tree's in-order walk, else the saved links are not this list's tree. */
function checkInOrder<T>(pieces: readonly Piece<T>[], rootKids: readonly Piece<T>[]): void {
  let i = 0;
  // Frames: a piece whose left subtrees are still to walk, or one whose own turn has come.
  const stack: Array<[Piece<T>, boolean]> = [];
  for (let k = rootKids.length - 1; k >= 0; k--) stack.push([rootKids[k] as Piece<T>, false]);
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const [piece, visited] = frame;
    if (visited) {
      if (pieces[i++] !== piece) throw new Error(`piece ${i - 1} is out of its tree order`);
      continue;
    }
    const { leftKids, rightKids } = piece;
    if (rightKids !== null) for (let k = rightKids.length - 1; k >= 0; k--) stack.push([rightKids[k] as Piece<T>, false]);
    stack.push([piece, true]);
    if (leftKids !== null) for (let k = leftKids.length - 1; k >= 0; k--) stack.push([leftKids[k] as Piece<T>, false]);
  }
  if (i !== pieces.length) throw new Error(`${pieces.length - i} pieces are not reachable from the root`);
}

/** Depth of element 0: one below a left parent's element 0, or a right parent's last element. */
function setDepth<T>(piece: Piece<T>, n: number): void {
  if (piece.depth > 0) return;
  const chain: Piece<T>[] = [];
  let p: Piece<T> | null = piece;
  while (p !== null && p.depth === 0) {
    if (chain.length > n) throw new Error('parent links form a cycle');
    chain.push(p);
    p = p.parent;
  }
  for (let i = chain.length - 1; i >= 0; i--) {
    const c = chain[i] as Piece<T>;
    const parent = c.parent;
    c.depth = parent === null ? 1 : c.side === 'L' ? parent.depth + 1 : parent.depth + parent.length;
  }
}

const ELEMENT = 1;
const DELETE = 2;
const TARGETED = 4;
const TOMBSTONE = 8;

/**
 * Each actor's counters 1..held are either an element of exactly one piece or a delete; each op
 * is applied after what it names (origins, targets); each piece hangs in the tree off its origin;
 * the deleted elements are exactly the deletes' targets. `log` passed `OpLog.of`'s checks and the
 * pieces `IdIndex.of`'s (no element in two pieces). Work is per piece and per delete, not per
 * element, where it can be: elements are marked by ranges, and coverage is checked by counting.
 */
export function checkState<T>(pieces: readonly Piece<T>[], log: LogState): void {
  const kinds = new Map<number, Uint8Array>();
  const unsaved = new Map<number, number>();
  for (const [actor, n] of log.held) {
    kinds.set(actor, new Uint8Array(n + 1));
    unsaved.set(actor, n);
  }
  const place = applyPlaces(log);
  const kind = (actor: number, counter: number): number => kinds.get(actor)?.[counter] ?? 0;
  const after = (what: string, actor: number, counter: number, a: number, c: number): void => {
    if (a >= 0 && place(a, c) >= place(actor, counter)) throw new Error(`${what} is applied before a${a}.${c}, which it names`);
  };
  let tombstones = 0;
  for (const p of pieces) {
    const k = kinds.get(p.actor);
    if (k === undefined || p.counter < 1 || p.counter + p.length > k.length) throw new Error(`piece a${p.actor}.${p.counter} is beyond the ops held`);
    k.fill(p.deleted ? ELEMENT | TOMBSTONE : ELEMENT, p.counter, p.counter + p.length);
    unsaved.set(p.actor, (unsaved.get(p.actor) as number) - p.length);
    if (p.deleted) tombstones += p.length;
  }
  for (const d of log.deletes) {
    unsaved.set(d.actor, (unsaved.get(d.actor) ?? 0) - d.counters.length);
    tombstones -= checkDeletes(d, kinds, after);
  }
  for (const [actor, n] of unsaved) if (n !== 0) throw new Error(`a${actor}'s ops held and saved differ by ${n}`);
  if (tombstones !== 0) throw new Error(`${tombstones} deleted elements are deleted by no op`);
  for (const p of pieces) checkOrigins(p, kind, after);
}

type After = (what: string, actor: number, counter: number, a: number, c: number) => void;

/** Marks one actor's deletes and their targets; returns how many elements it deleted first. */
function checkDeletes(d: LogState['deletes'][number], kinds: Map<number, Uint8Array>, after: After): number {
  const k = kinds.get(d.actor);
  let first = 0;
  for (let i = 0; i < d.counters.length; i++) {
    const c = d.counters[i] as number;
    const ta = d.targetActors[i] as number;
    const tc = d.targetCounters[i] as number;
    if (k === undefined || c < 1 || c >= k.length || k[c] !== 0) throw new Error(`delete a${d.actor}.${c} is not a delete`);
    k[c] = DELETE;
    const tk = kinds.get(ta);
    const t = tk?.[tc] ?? 0;
    if ((t & TOMBSTONE) === 0) throw new Error(`delete a${d.actor}.${c} names no deleted element`);
    if ((t & TARGETED) === 0) {
      (tk as Uint8Array)[tc] = t | TARGETED;
      first++;
    }
    after(`delete a${d.actor}.${c}`, d.actor, c, ta, tc);
  }
  return first;
}

/** Origins are elements applied before the piece, and the piece hangs in the tree off one of them. */
function checkOrigins<T>(p: Piece<T>, kind: (actor: number, counter: number) => number, after: After): void {
  const what = `insert a${p.actor}.${p.counter}`;
  if ((p.olA >= 0 && (kind(p.olA, p.olC) & ELEMENT) === 0) || (p.orA >= 0 && (kind(p.orA, p.orC) & ELEMENT) === 0)) throw new Error(`${what} has an unknown origin`);
  after(what, p.actor, p.counter, p.olA, p.olC);
  after(what, p.actor, p.counter, p.orA, p.orC);
  // Fugue's rule: a right child of its left origin, or a left child of its right origin.
  const parent = p.parent;
  if (parent === null ? p.olA >= 0 : p.side === 'R' ? p.olA !== parent.actor || p.olC !== parent.counter + parent.length - 1 : p.orA !== parent.actor || p.orC !== parent.counter) {
    throw new Error(`${what} does not hang off its origin`);
  }
}

/** An op's place in the order applied, found in its actor's runs of that order. */
function applyPlaces(log: LogState): (actor: number, counter: number) => number {
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
  return (actor, counter) => {
    const { firsts, places } = runs.get(actor) as { firsts: number[]; places: number[] };
    let [lo, hi] = [0, firsts.length - 1];
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((firsts[mid] as number) <= counter) lo = mid;
      else hi = mid - 1;
    }
    return (places[lo] as number) + counter - (firsts[lo] as number);
  };
}
