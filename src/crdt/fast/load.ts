import { COLLECTABLE, RETIRED, type Piece } from './ContentTree.js';
import type { ActorMarks, Marks, StateColumns } from './state.js';
import { ValueColumn } from './ValueColumn.js';

/** Bits of `StateColumns.flags`. */
const DELETED = 1;
const LEFT = 2;
const STAGE_SHIFT = 2;

/**
 * Pieces from a saved state's columns, in one pass: each piece made, its elements marked in
 * `marks` (range-checked against the ops held first) and its values put in its actor's
 * column; then linked into their tree (parents, depths, children in sibling order, which is list
 * order since the list is the tree's in-order walk). Throws on an empty piece, a counter beyond
 * the ops held, two pieces starting at one element, or parent links out of range, in a cycle, or
 * disagreeing with the list order.
 */
export function linkPieces<T>(cols: StateColumns<T>, marks: Marks): { pieces: Piece<T>[]; rootKid: Piece<T> | null; values: Map<number, ValueColumn<T>> } {
  const { actors, counters, lengths, parents, flags, values } = cols;
  const n = actors.length;
  const pieces = new Array<Piece<T>>(n);
  const columns = new Map<number, ValueColumn<T>>();
  // Pieces of one actor come by the thousand in a row: keep its marks and column at hand.
  // (No destructuring in this loop: it runs before V8 has optimised it, where that is slow.)
  let lastActor = -1;
  let m: ActorMarks | undefined;
  let column: ValueColumn<T> | undefined;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const actor = actors[i] as number;
    const counter = counters[i] as number;
    const length = lengths[i] as number;
    const parent = parents[i] as number;
    const f = flags[i] as number;
    if (!Number.isInteger(length) || length < 1) throw new Error(`piece ${i} is empty`);
    if (!Number.isInteger(parent) || parent < -1 || parent >= n || parent === i) throw new Error(`piece ${i} has a bad parent ${parent}`);
    if (parent === -1 && (f & LEFT) !== 0) throw new Error(`piece ${i} is a left child of the root`);
    if (actor !== lastActor) {
      lastActor = actor;
      m = marks.actors.get(actor);
      column = columns.get(actor);
      if (column === undefined && m !== undefined) columns.set(actor, (column = new ValueColumn<T>(m.owner.length)));
    }
    if (m === undefined) throw new Error(`piece a${actor}.${counter} is beyond the ops held`);
    if (v + length > values.length) throw new Error(`piece ${i} lacks values`);
    pieces[i] = newPiece(cols, i, m, column as ValueColumn<T>, marks, v);
    v += length;
  }
  if (v !== values.length) throw new Error(`${values.length - v} values belong to no piece`);
  // Children in list order, which is sibling order: prepended, last piece first.
  let rootKid: Piece<T> | null = null;
  for (let i = n - 1; i >= 0; i--) {
    const piece = pieces[i] as Piece<T>;
    const p = parents[i] as number;
    if (p === -1) {
      piece.sibling = rootKid;
      rootKid = piece;
      continue;
    }
    const parent = pieces[p] as Piece<T>;
    piece.parent = parent;
    if (piece.side === 'L') {
      piece.sibling = parent.leftKid;
      parent.leftKid = piece;
    } else {
      piece.sibling = parent.rightKid;
      parent.rightKid = piece;
    }
  }
  walkInOrder(pieces, rootKid);
  return { pieces, rootKid, values: columns };
}

/**
 * Piece `i` of `cols` (its values from `v` on), its elements marked in `m`, its values
 * put in `column`. A function of its own rather than the loop's body: V8 optimises a small
 * function after some calls, where a loop in a large one runs in the interpreter until its
 * on-stack replacement is compiled, which on a cold load came too late to help.
 */
function newPiece<T>(cols: StateColumns<T>, i: number, m: ActorMarks, column: ValueColumn<T>, marks: Marks, v: number): Piece<T> {
  const actor = cols.actors[i] as number;
  const counter = cols.counters[i] as number;
  const length = cols.lengths[i] as number;
  const f = cols.flags[i] as number;
  const owner = m.owner;
  if (!Number.isInteger(counter) || counter < 1 || counter + length > owner.length) throw new Error(`piece a${actor}.${counter} is beyond the ops held`);
  const deleted = (f & DELETED) !== 0;
  const gc = f >> STAGE_SHIFT;
  if (gc !== 0 && (!deleted || (gc !== RETIRED && gc !== COLLECTABLE))) throw new Error(`piece ${i} has a bad stage ${gc}`);
  if (owner[counter] !== 0) throw new Error(`element a${actor}.${counter} is in two pieces`);
  owner.fill(i + 1, counter, counter + length);
  m.pieces++;
  m.unsaved -= length;
  if (deleted && gc !== COLLECTABLE) marks.tombstones += length;
  column.setRun(counter, cols.values, v, length);
  return {
    actor,
    counter,
    length,
    values: column,
    deleted,
    gc,
    olA: cols.olA[i] as number,
    olC: cols.olC[i] as number,
    orA: cols.orA[i] as number,
    orC: cols.orC[i] as number,
    leaf: undefined as never,
    parent: null,
    side: (f & LEFT) !== 0 ? 'L' : 'R',
    depth: 0,
    leftKid: null,
    rightKid: null,
    sibling: null,
  };
}

/**
 * The list must be the tree's in-order walk, else the saved links are not this list's tree. The
 * walk follows child, sibling and parent links, with no stack, and sets depths on the way down.
 * A cycle is never reached from the root, so pieces are left over.
 */
function walkInOrder<T>(pieces: readonly Piece<T>[], first: Piece<T> | null): void {
  let i = 0;
  let p = first;
  // Entering `p` (down), or coming back to it once its left subtrees are walked.
  let down = true;
  while (p !== null) {
    if (down) {
      // Depth of element 0: one below a left parent's element 0, or a right parent's last element.
      const parent = p.parent;
      p.depth = parent === null ? 1 : p.side === 'L' ? parent.depth + 1 : parent.depth + parent.length;
      if (p.leftKid !== null) {
        p = p.leftKid;
        continue;
      }
    }
    if (pieces[i++] !== p) throw new Error(`piece ${i - 1} is out of its tree order`);
    down = true;
    if (p.rightKid !== null) {
      p = p.rightKid;
      continue;
    }
    // `p`'s subtree is walked: up past last right children, then to a next sibling, or to the
    // parent of a last left child (its own turn), or to the end.
    let q = p;
    while (q.sibling === null && q.parent !== null && q.side === 'R') q = q.parent;
    if (q.sibling !== null) p = q.sibling;
    else if (q.parent !== null) {
      p = q.parent;
      down = false;
    } else p = null;
  }
  if (i !== pieces.length) throw new Error(`${pieces.length - i} pieces are not reachable from the root (a cycle)`);
}

/**
 * Siblings must be in FugueMax's order (`first(a, b)`: `a` goes before `b`), which the in-order
 * walk cannot see: it is the same whichever of two sibling subtrees comes first, but inserts
 * placed among them later are not.
 */
export function checkSiblings<T>(pieces: readonly Piece<T>[], rootKid: Piece<T> | null, rightFirst: SiblingOrder<T>, leftFirst: SiblingOrder<T>): void {
  const sorted = (kid: Piece<T> | null, first: SiblingOrder<T>): void => {
    for (let a = kid; a !== null && a.sibling !== null; a = a.sibling) {
      if (!first(a, a.sibling)) throw new Error(`a${a.sibling.actor}.${a.sibling.counter} is out of its siblings' order`);
    }
  };
  sorted(rootKid, rightFirst);
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i] as Piece<T>;
    // A collectable piece's children are never ranked again: collecting may leave them in any order.
    if (p.gc === COLLECTABLE) continue;
    sorted(p.leftKid, leftFirst);
    sorted(p.rightKid, rightFirst);
  }
}

type SiblingOrder<T> = (a: Piece<T>, b: Piece<T>) => boolean;
