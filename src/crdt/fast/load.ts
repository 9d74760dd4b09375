import { COLLECTABLE, RETIRED, type Piece } from './ContentTree.js';
import { GOOD_FLAGS, readWritten, type Origins, type SavedColumns } from './saved.js';
import { pieceFault, type ActorMarks, type Lookups, type Marks } from './state.js';
import { ValueColumn } from './ValueColumn.js';

/** An origin's actor until the walk down the tree takes the origin from the piece's parent (`walkTree`). */
const DERIVED = -2;
/**
 * Pieces shorter than this have their value bytes copied one by one: a `subarray` (an object)
 * and a `set` cost more than a few element copies, even before V8 optimises the loop (marking
 * their elements one by one rather than with `fill` gained nothing).
 */
const SHORT = 4;

/**
 * Pieces from saved columns, in one pass: each piece made, its elements marked in `marks`
 * (range-checked against the ops held first), its values put in its actor's column, its written
 * origins read (the others are its parent's, taken on `walkTree`); then linked into their tree
 * (children in sibling order, which is list order since the list is the tree's in-order walk).
 * Throws on an actor index, counter or parent out of range, an empty piece, bad flags or stage,
 * two pieces at one element, or values or origins that run short or are left over.
 *
 * All in one loop, with no call per piece that can be spared, each column and each actor's marks
 * in locals, flags' bits written as numbers (see `saved.ts`: 1 deleted, 2 left, 12 the other
 * origin's mode, 16 moved, 96 the stage; an imported constant is two more instructions each
 * time): this runs once per piece, mostly before V8 has optimised it, and what it calls V8
 * would compile apart as well as within it.
 */
export function makePieces<T>(s: SavedColumns<T>, marks: Marks): { pieces: Piece<T>[]; rootKid: Piece<T> | null; values: Map<number, ValueColumn<T>> } {
  const actors = s.actors;
  const counters = s.counters;
  const lengths = s.lengths;
  const ds = s.parents;
  const flags = s.flags;
  const table = s.actorTable;
  const values = s.values;
  // Values that are bytes are copied as bytes, into a column that keeps bytes (`bytesFor`).
  const from = values instanceof Uint8Array ? values : null;
  const total = values.length;
  const n = actors.length;
  const pieces = new Array<Piece<T>>(n);
  const parents = new Int32Array(n);
  const columns = new Map<number, ValueColumn<T>>();
  // Pieces of one actor come by the thousand in a row: keep its marks and column at hand, and
  // count its pieces and elements here until the next actor's come.
  let lastIndex = -1;
  let actor = -1;
  let m: ActorMarks | undefined;
  let owner: Int32Array = new Int32Array(0);
  let held = 0;
  let column: ValueColumn<T> | undefined;
  let bytes: Uint8Array | null = null;
  let elements = 0;
  let unnamed: Uint8Array = new Uint8Array(0);
  let v = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const a = actors[i] as number;
    if (a !== lastIndex) {
      if (m !== undefined) m.unsaved -= elements;
      elements = 0;
      lastIndex = a;
      const named = table === null ? a : table[a];
      if (named === undefined) throw new Error(`piece ${i} names no actor`);
      actor = named;
      m = marks.actors.get(actor);
      column = columns.get(actor);
      if (column === undefined && m !== undefined) columns.set(actor, (column = new ValueColumn<T>(m.owner.length)));
      owner = m === undefined ? owner : m.owner;
      unnamed = m === undefined ? unnamed : m.named;
      held = owner.length;
      bytes = column === undefined || from === null ? null : column.bytesFor(from);
    }
    // (Numbers are whole, or NaN, which every comparison here refuses: `savedOf`.)
    const counter = counters[i] as number;
    const length = lengths[i] as number;
    const d = ds[i] as number;
    const f = flags[i] as number;
    if (!(length >= 1)) throw new Error(`piece ${i} is empty`);
    if (m === undefined || !(counter >= 1 && counter + length <= held)) throw new Error(`piece a${actor}.${counter} is beyond the ops held`);
    if (!(v + length <= total)) throw new Error(`piece ${i} lacks values`);
    if (GOOD_FLAGS[f] !== 1) throw new Error(`bad piece flags ${f} of piece ${i}`);
    const parent = d === 0 ? -1 : i + d;
    if (d !== 0 && !(parent >= 0 && parent < n)) throw new Error(`piece ${i} has a bad parent ${parent}`);
    const left = (f & 2) !== 0;
    // The other origin is the parent's (mode 1).
    const predicted = (f & 12) === 4;
    if (parent === -1 && left) throw new Error(`piece ${i} is a left child of the root`);
    if (parent === -1 && predicted) throw new Error(`piece ${i} cannot hang off the root that way`);
    const deleted = (f & 1) !== 0;
    const gc = f >> 5;
    if (gc !== 0 && (!deleted || (gc !== RETIRED && gc !== COLLECTABLE))) throw new Error(`piece ${i} has a bad stage ${gc}`);
    if (owner[counter] !== 0) throw new Error(`element a${actor}.${counter} is in two pieces`);
    if (length === 1) owner[counter] = i + 1;
    else owner.fill(i + 1, counter, counter + length);
    if (bytes === null) (column as ValueColumn<T>).setRun(counter, values, v, length);
    else if (length < SHORT) for (let k = 0; k < length; k++) bytes[counter + k] = (from as Uint8Array)[v + k] as number;
    else bytes.set((from as Uint8Array).subarray(v, v + length), counter);
    parents[i] = parent;
    // The origin a piece hangs off is its parent's; the other one its parent's too, or none, or
    // written (`readOrigins`, as both are when it moved).
    const moved = (f & 16) !== 0;
    const p: Piece<T> = {
      actor,
      counter,
      length,
      values: column as ValueColumn<T>,
      deleted,
      gc,
      olA: moved ? -1 : !left || predicted ? DERIVED : -1,
      olC: 0,
      orA: moved ? -1 : left || predicted ? DERIVED : -1,
      orC: 0,
      leaf: undefined as never,
      parent: null,
      side: left ? 'L' : 'R',
      depth: 0,
      leftKid: null,
      rightKid: null,
      sibling: null,
    };
    pieces[i] = p;
    elements += length;
    // Tombstones but collectable ones must be named by a delete (`checkOps`).
    if (deleted && gc !== 2) {
      if (length === 1) unnamed[counter] = 1;
      else unnamed.fill(1, counter, counter + length);
    }
    // Origins written: a moved piece's (flags bit 4), or another origin written (bits 2-3: 2).
    if ((f & 28) >= 8) o = readOrigins(s, i, p, o);
    v += length;
  }
  if (m !== undefined) m.unsaved -= elements;
  if (v !== total) throw new Error(`${total - v} values belong to no piece`);
  if (s.given === null && o !== s.origins.length) throw new Error(`${s.origins.length - o} origin numbers belong to no piece`);
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
  return { pieces, rootKid, values: columns };
}

/**
 * The origins written for piece `i`, `p` (both when it moved, else the other one), from
 * `s.origins` at `o` (or all of them, given); returns where the next piece's start.
 */
function readOrigins<T>(s: SavedColumns<T>, i: number, p: Piece<T>, o: number): number {
  const q = p as Origins;
  const given = s.given;
  if (given === null) return readWritten(s.origins, o, i, p.counter, s.flags[i] as number, q);
  // Any actor below 0 is none, as the list reads it.
  q.olA = (given.olA[i] as number) < 0 ? -1 : (given.olA[i] as number);
  q.olC = given.olC[i] as number;
  q.orA = (given.orA[i] as number) < 0 ? -1 : (given.orA[i] as number);
  q.orC = given.orC[i] as number;
  return o;
}

/**
 * Walks the tree in order, with no stack (child, sibling and parent links), on its way down
 * setting each piece's depth and the origins it takes from its parent, then checking the piece
 * (`pieceFault`) and that it comes after its previous sibling in FugueMax's order (`rightFirst`,
 * `leftFirst`: `a` goes before `b`), which an in-order walk cannot see (it is the same whichever
 * of two sibling subtrees comes first, but inserts placed among them later are not). The list
 * must be this walk, else the saved links are not this list's tree; a cycle is never reached from
 * the root, so pieces are left over. Throws on the tree's first fault, else on the first piece's.
 *
 * Most pieces are passed here: both origins fine (`Lookups.origin`), the one they hang off taken
 * from the parent (so Fugue's rule holds), no stage; `pieceFault` sees the others. (Fields are
 * read once, into locals, with no destructuring: this runs once per piece before V8 has
 * optimised it.)
 */
export function walkTree<T>(pieces: readonly Piece<T>[], first: Piece<T> | null, look: Lookups, retired: ReadonlyMap<number, number>, collected: ReadonlyMap<number, number>, rightFirst: SiblingOrder<T>, leftFirst: SiblingOrder<T>): void {
  const place = look.place;
  const origin = look.origin;
  // The last piece's actor, kept at hand: where its ops held are one run of the order (`shift`
  // a number), an op's place is its counter shifted, and an origin of it is fine when it is an
  // element applied before the piece, all told without a call (as `origin` would tell it).
  let actor = NaN;
  let shift = NaN;
  let gone = 0;
  let owner: Int32Array | undefined;
  let found: Error | null = null;
  let i = 0;
  let p = first;
  // The sibling walked just before `p`, if any.
  let prev: Piece<T> | null = null;
  // Entering `p` (down), or coming back to it once its left subtrees are walked.
  let down = true;
  while (p !== null) {
    if (down) {
      // Depth of element 0: one below a left parent's element 0, or a right parent's last element.
      // Origins to derive: a right child's left one is its parent's last element (none under the
      // root), a left child's right one its parent's first; a predicted other one, its parent's
      // on that side (only pieces with a parent predict: `makePieces` refused the others).
      // (Each field read once, into a local, and each origin kept in locals as it is set: a named
      // read is an inline-cache call until V8 has optimised this loop.)
      const parent = p.parent;
      const q = p as Origins;
      const side = p.side;
      let olA = q.olA;
      let olC = 0;
      let orA = q.orA;
      let orC = 0;
      let hangs = false;
      if (side === 'R') {
        const length = parent === null ? 0 : parent.length;
        p.depth = parent === null ? 1 : parent.depth + length;
        if (olA === DERIVED) {
          hangs = true;
          q.olA = olA = parent === null ? -1 : parent.actor;
          q.olC = olC = parent === null ? 0 : parent.counter + length - 1;
        } else olC = q.olC;
        if (orA === DERIVED) {
          q.orA = orA = (parent as Piece<T>).orA;
          q.orC = orC = (parent as Piece<T>).orC;
        } else orC = q.orC;
      } else {
        const r = parent as Piece<T>;
        p.depth = r.depth + 1;
        if (orA === DERIVED) {
          hangs = true;
          q.orA = orA = r.actor;
          q.orC = orC = r.counter;
        } else orC = q.orC;
        if (olA === DERIVED) {
          q.olA = olA = r.olA;
          q.olC = olC = r.olC;
        } else olC = q.olC;
      }
      if (found === null) {
        const pActor = p.actor;
        const counter = p.counter;
        if (pActor !== actor) {
          actor = pActor;
          shift = look.shift(actor);
          gone = look.gone(actor);
          owner = look.owner(actor);
        }
        // Its first element still its own: no piece made later, nor a run of deletes, took it (a
        // piece or run starting among another's elements was refused where it was marked). So
        // no element is in two pieces, nor is a delete.
        const o = (owner as Int32Array)[counter] as number;
        if (pieces[o - 1] !== p) found = new Error(o < 0 ? `delete a${pActor}.${counter} is not a delete` : `element a${pActor}.${counter} is in two pieces`);
        const fast = shift === shift && counter > gone;
        const own = fast ? counter + shift : place(pActor, counter);
        // (An owner read past its end is undefined, which is not above 0.)
        const leftFine = olA < 0 || (fast && olA === actor && olC > gone && ((owner as Int32Array)[olC] as number) > 0 && olC + shift < own) || origin(olA, olC, own) === 0;
        const rightFine = orA < 0 || (fast && orA === actor && orC > gone && ((owner as Int32Array)[orC] as number) > 0 && orC + shift < own) || origin(orA, orC, own) === 0;
        if (found === null && (!leftFine || !rightFine || !hangs || p.gc !== 0)) found = pieceFault(p, look, retired, collected);
        // A collectable piece's children are never ranked again: collecting may leave them in any order.
        if (found === null && prev !== null && parent?.gc !== COLLECTABLE && !(side === 'L' ? leftFirst : rightFirst)(prev, p)) found = new Error(`a${pActor}.${counter} is out of its siblings' order`);
      }
      prev = null;
      const leftKid = p.leftKid;
      if (leftKid !== null) {
        p = leftKid;
        continue;
      }
    }
    if (pieces[i++] !== p) throw new Error(`piece ${i - 1} is out of its tree order`);
    down = true;
    const rightKid = p.rightKid;
    if (rightKid !== null) {
      p = rightKid;
      continue;
    }
    // `p`'s subtree is walked: up past last right children, then to a next sibling, or to the
    // parent of a last left child (its own turn), or to the end.
    let q = p;
    let next = q.sibling;
    let up = q.parent;
    while (next === null && up !== null && q.side === 'R') {
      q = up;
      next = q.sibling;
      up = q.parent;
    }
    if (next !== null) {
      prev = q;
      p = next;
    } else if (up !== null) {
      p = up;
      down = false;
    } else p = null;
  }
  if (i !== pieces.length) throw new Error(`${pieces.length - i} pieces are not reachable from the root (a cycle)`);
  if (found !== null) throw found;
}

type SiblingOrder<T> = (a: Piece<T>, b: Piece<T>) => boolean;
