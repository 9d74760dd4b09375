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
    // A first child gets a one-slot array (push would give an empty one sixteen).
    if (piece.side === 'L') {
      if (parent.leftKids === null) parent.leftKids = [piece];
      else parent.leftKids.push(piece);
    } else if (parent.rightKids === null) parent.rightKids = [piece];
    else parent.rightKids.push(piece);
  }
  for (let i = 0; i < n; i++) setDepth(pieces[i] as Piece<T>, n);
  checkInOrder(pieces, rootKids);
  return { pieces, rootKids };
}

/** The list must be the tree's in-order walk, else the saved links are not this list's tree. */
function checkInOrder<T>(pieces: readonly Piece<T>[], rootKids: readonly Piece<T>[]): void {
  let i = 0;
  // Frames: a piece whose left subtrees are still to walk, or (visited) one whose own turn has
  // come; in two parallel stacks, so that a frame allocates nothing.
  const stack: Array<Piece<T>> = [];
  const visited: boolean[] = [];
  const push = (piece: Piece<T>, v: boolean): void => {
    stack.push(piece);
    visited.push(v);
  };
  for (let k = rootKids.length - 1; k >= 0; k--) push(rootKids[k] as Piece<T>, false);
  while (stack.length > 0) {
    const piece = stack.pop() as Piece<T>;
    if (visited.pop() === true) {
      if (pieces[i++] !== piece) throw new Error(`piece ${i - 1} is out of its tree order`);
      continue;
    }
    const { leftKids, rightKids } = piece;
    if (rightKids !== null) for (let k = rightKids.length - 1; k >= 0; k--) push(rightKids[k] as Piece<T>, false);
    push(piece, true);
    if (leftKids !== null) for (let k = leftKids.length - 1; k >= 0; k--) push(leftKids[k] as Piece<T>, false);
  }
  if (i !== pieces.length) throw new Error(`${pieces.length - i} pieces are not reachable from the root`);
}

/**
 * Siblings must be in FugueMax's order (`first(a, b)`: `a` goes before `b`), which the in-order
 * walk cannot see: it is the same whichever of two sibling subtrees comes first, but inserts
 * placed among them later are not.
 */
export function checkSiblings<T>(pieces: readonly Piece<T>[], rootKids: readonly Piece<T>[], rightFirst: SiblingOrder<T>, leftFirst: SiblingOrder<T>): void {
  const sorted = (kids: readonly Piece<T>[] | null, first: SiblingOrder<T>): void => {
    if (kids === null) return;
    for (let k = 1; k < kids.length; k++) {
      const b = kids[k] as Piece<T>;
      if (!first(kids[k - 1] as Piece<T>, b)) throw new Error(`a${b.actor}.${b.counter} is out of its siblings' order`);
    }
  };
  sorted(rootKids, rightFirst);
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i] as Piece<T>;
    sorted(p.leftKids, leftFirst);
    sorted(p.rightKids, rightFirst);
  }
}

type SiblingOrder<T> = (a: Piece<T>, b: Piece<T>) => boolean;

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
  let [lastActor, lastKinds] = [-1, undefined as Uint8Array | undefined];
  const kind = (actor: number, counter: number): number => {
    if (actor !== lastActor) [lastActor, lastKinds] = [actor, kinds.get(actor)];
    return lastKinds?.[counter] ?? 0;
  };
  // The message is built only on failure: this runs once per delete and per piece.
  const after = (what: string, actor: number, counter: number, a: number, c: number): void => {
    if (a >= 0 && place(a, c) >= place(actor, counter)) throw new Error(`${what} a${actor}.${counter} is applied before a${a}.${c}, which it names`);
  };
  let tombstones = 0;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i] as Piece<T>;
    const k = kinds.get(p.actor);
    if (k === undefined || p.counter < 1 || p.counter + p.length > k.length) throw new Error(`piece a${p.actor}.${p.counter} is beyond the ops held`);
    k.fill(p.deleted ? ELEMENT | TOMBSTONE : ELEMENT, p.counter, p.counter + p.length);
    unsaved.set(p.actor, (unsaved.get(p.actor) as number) - p.length);
    if (p.deleted) tombstones += p.length;
  }
  for (const d of log.deletes) {
    const [deletes, first] = checkDeletes(d, kinds, place, after);
    unsaved.set(d.actor, (unsaved.get(d.actor) ?? 0) - deletes);
    tombstones -= first;
  }
  for (const [actor, n] of unsaved) if (n !== 0) throw new Error(`a${actor}'s ops held and saved differ by ${n}`);
  if (tombstones !== 0) throw new Error(`${tombstones} deleted elements are deleted by no op`);
  for (let i = 0; i < pieces.length; i++) checkOrigins(pieces[i] as Piece<T>, kind, after);
}

type Place = (actor: number, counter: number) => number;
type After = (what: string, actor: number, counter: number, a: number, c: number) => void;

/** Marks one actor's deletes and their targets; returns how many deletes, and how many deleted an element first. */
function checkDeletes(d: LogState['deletes'][number], kinds: Map<number, Uint8Array>, place: Place, after: After): [number, number] {
  const k = kinds.get(d.actor);
  const { runs } = d;
  let [deletes, first] = [0, 0];
  for (let r = 0; r < runs.length; r += 5) {
    const [c0, n, ta, tc0, step] = [runs[r] as number, runs[r + 1] as number, runs[r + 2] as number, runs[r + 3] as number, runs[r + 4] as number];
    const tk = kinds.get(ta);
    for (let i = 0; i < n; i++) {
      const c = c0 + i;
      const tc = tc0 + i * step;
      if (k === undefined || c < 1 || c >= k.length || k[c] !== 0) throw new Error(`delete a${d.actor}.${c} is not a delete`);
      k[c] = DELETE;
      const t = tk?.[tc] ?? 0;
      if ((t & TOMBSTONE) === 0) throw new Error(`delete a${d.actor}.${c} names no deleted element`);
      if ((t & TARGETED) === 0) {
        (tk as Uint8Array)[tc] = t | TARGETED;
        first++;
      }
    }
    // Each actor's places grow with its counters, so where the ends of both ranges are n - 1
    // places apart (stepped for the targets), places are linear in i between them, and so is
    // their difference: the ends decide for the whole run.
    const last = n - 1;
    const [d0, d1, t0, t1] = [place(d.actor, c0), place(d.actor, c0 + last), place(ta, tc0), place(ta, tc0 + last * step)];
    const linear = d1 - d0 === last && Math.abs(t1 - t0) === Math.abs(last * step);
    if (!linear || t0 >= d0 || t1 >= d1) for (let i = 0; i < n; i++) after('delete', d.actor, c0 + i, ta, tc0 + i * step);
    deletes += n;
  }
  return [deletes, first];
}

/** Origins are elements applied before the piece, and the piece hangs in the tree off one of them. */
function checkOrigins<T>(p: Piece<T>, kind: (actor: number, counter: number) => number, after: After): void {
  if ((p.olA >= 0 && (kind(p.olA, p.olC) & ELEMENT) === 0) || (p.orA >= 0 && (kind(p.orA, p.orC) & ELEMENT) === 0)) throw new Error(`insert a${p.actor}.${p.counter} has an unknown origin`);
  after('insert', p.actor, p.counter, p.olA, p.olC);
  after('insert', p.actor, p.counter, p.orA, p.orC);
  // Fugue's rule: a right child of its left origin, or a left child of its right origin.
  const parent = p.parent;
  if (parent === null ? p.olA >= 0 : p.side === 'R' ? p.olA !== parent.actor || p.olC !== parent.counter + parent.length - 1 : p.orA !== parent.actor || p.orC !== parent.counter) {
    throw new Error(`insert a${p.actor}.${p.counter} does not hang off its origin`);
  }
}

/** An op's place in the order applied, found in its actor's runs of that order. */
function applyPlaces(log: LogState): Place {
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
  // Runs of one actor are looked up by the thousand in a row: keep the last actor's at hand.
  let [last, firsts, places]: [number, number[], number[]] = [-1, [], []];
  return (actor, counter) => {
    if (actor !== last) {
      const r = runs.get(actor) as { firsts: number[]; places: number[] };
      [last, firsts, places] = [actor, r.firsts, r.places];
    }
    let lo = 0;
    let hi = firsts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((firsts[mid] as number) <= counter) lo = mid;
      else hi = mid - 1;
    }
    return (places[lo] as number) + counter - (firsts[lo] as number);
  };
}
