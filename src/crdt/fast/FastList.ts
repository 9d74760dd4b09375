import { CausalList } from '../CausalList.js';
import type { ActorId, OpId } from '../ids.js';
import type { ListOptions } from '../list.js';
import type { DeleteOp, InsertOp, Op } from '../ops.js';
import { formatVersion, type VersionVector } from '../version.js';
import { ContentTree, continues, type Piece } from './ContentTree.js';
import { authorFirst, byAuthor, insertSibling, isAncestor, leftmost, rightmost } from './siblings.js';
import { IdIndex } from './IdIndex.js';
import { OpLog } from './OpLog.js';
import { ValueColumn } from './ValueColumn.js';
import { checkSiblings, linkPieces } from './load.js';
import { checkState, marksOf, toColumns, type ListState, type PieceState, type StateColumns } from './state.js';

/** An element: a piece and an offset in it. */
type At<T> = [Piece<T>, number];

/**
 * The fast list: same ops, same order as `ReferenceList` (FugueMax), different structure. Elements
 * live in runs ("pieces") in a B+tree in list order; an id index finds the piece of an element;
 * remote inserts are placed with the YjsMod scan over left/right origins, which gives FugueMax's
 * order (Weidner, Gentle, Kleppmann). Ops are not kept as objects: inserts are read back from the
 * pieces, deletes from a compact log (see INTERNALS.md).
 */
export class FastList<T> extends CausalList<T> {
  #tree = new ContentTree<T>();
  #ids = new IdIndex<T>();
  #log = new OpLog();
  /** Each actor's values, by counter. */
  #values = new Map<number, ValueColumn<T>>();
  /** The root's first right child; the rest follow by `sibling` (the root has no left children). */
  #rootKid: Piece<T> | null = null;
  /** The piece of the last local edit and the visible index of its first element: local edits cluster. */
  #cursor: Piece<T> | null = null;
  #cursorStart = 0;
  /** The last local insert: typing on shares its ids. */
  #lastInsert: InsertOp<T> | null = null;
  readonly #rightFirst = (a: Piece<T>, b: Piece<T>): boolean => this.#rightSiblingFirst(a, b);

  constructor(actor: ActorId, options: ListOptions<T> = {}) {
    super(actor, options);
  }

  /**
   * A list with a saved state (`exportState`), rebuilt without applying any op again. Throws on
   * a state that is not consistent (see `checkState`); nothing is pending.
   */
  static fromState<T>(actor: ActorId, state: ListState<T>, options: ListOptions<T> = {}): FastList<T> {
    return FastList.fromColumns(actor, toColumns(state), options);
  }

  /** As `fromState`, from the columns `decodeColumns` reads (no object per saved piece). */
  static fromColumns<T>(actor: ActorId, cols: StateColumns<T>, options: ListOptions<T> = {}): FastList<T> {
    const list = new FastList<T>(actor, options);
    const marks = marksOf(cols.log);
    const { pieces, rootKid, values } = linkPieces(cols, marks);
    list.#values = values;
    list.#ids = IdIndex.of(pieces, marks.actors);
    list.#log = OpLog.of(cols.log);
    checkState(pieces, cols.log, marks);
    list.#tree = ContentTree.of(pieces);
    list.#rootKid = rootKid;
    checkSiblings(pieces, rootKid, list.#rightFirst, authorFirst);
    return list;
  }

  /** The whole state but pending ops: pieces in list order with their tree links, and the op log. */
  exportState(): ListState<T> {
    const index = new Map<Piece<T>, number>();
    const pieces: PieceState<T>[] = [];
    for (const p of this.#tree.pieces()) {
      index.set(p, pieces.length);
      const values = new Array<T>(p.length);
      for (let k = 0; k < p.length; k++) values[k] = p.values.get(p.counter + k);
      pieces.push({ actor: p.actor, counter: p.counter, values, deleted: p.deleted, olA: p.olA, olC: p.olC, orA: p.orA, orC: p.orC, parent: -1, side: p.side });
    }
    let i = 0;
    for (const p of this.#tree.pieces()) (pieces[i++] as PieceState<T>).parent = p.parent === null ? -1 : (index.get(p.parent) as number);
    return { pieces, log: this.#log.state() };
  }

  get length(): number {
    return this.#tree.visible;
  }

  insert(index: number, value: T): InsertOp<T> {
    this.checkInsertIndex(index);
    const counter = this.nextCounter;
    const typed = this.#typeOn(index, value, counter);
    if (typed !== null) return typed;
    const left = index === 0 ? null : this.#locate(index - 1);
    const right = this.#after(left);
    const op: InsertOp<T> = { type: 'insert', id: { actor: this.actor, counter }, value, left: idOf(left), right: idOf(right) };
    const piece = this.#add(op, left, right, true);
    this.#moveCursor(piece, index - (piece.length - 1));
    this.#lastInsert = op;
    this.released(op.id);
    return op;
  }

  delete(index: number): DeleteOp {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`index ${index} out of range 0..${this.length - 1}`);
    }
    const at = this.#locate(index);
    const op: DeleteOp = { type: 'delete', id: { actor: this.actor, counter: this.nextCounter }, target: idOf(at) as OpId };
    this.#remove(at, op);
    // What precedes the deleted element keeps its position; the cursor stays only if it is that.
    if (at[1] === 0) this.#moveCursor(null, 0);
    this.released(op.id);
    return op;
  }

  opsOf(actor: ActorId, after: number, limit: number): Op<T>[] {
    const ops: Op<T>[] = [];
    const last = Math.min(this.held(actor), after + limit);
    for (let c = after + 1; c <= last; c++) ops.push(this.opAt({ actor, counter: c }) as Op<T>);
    return ops;
  }

  *appliedOps(except?: VersionVector): Generator<Op<T>> {
    const runs = this.#log.runs;
    for (let i = 0; i < runs.length; i += 3) {
      const actor = runs[i] as ActorId;
      const end = (runs[i + 1] as number) + (runs[i + 2] as number);
      for (let counter = Math.max(runs[i + 1] as number, (except?.get(actor) ?? 0) + 1); counter < end; counter++) yield this.opAt({ actor, counter }) as Op<T>;
    }
  }

  toArray(): T[] {
    const out: T[] = [];
    for (const p of this.#tree.pieces()) if (!p.deleted) for (let c = p.counter; c < p.counter + p.length; c++) out.push(p.values.get(c));
    return out;
  }

  version(): VersionVector {
    return this.#log.version();
  }

  toString(): string {
    const parts: string[] = [];
    for (const p of this.#tree.pieces()) {
      const ids = p.length > 1 ? `a${p.actor}.${p.counter}..a${p.actor}.${p.counter + p.length - 1}` : `a${p.actor}.${p.counter}`;
      const values: T[] = [];
      for (let c = p.counter; c < p.counter + p.length; c++) values.push(p.values.get(c));
      const s = `${ids}:${JSON.stringify(p.length > 1 ? values : values[0])}`;
      parts.push(p.deleted ? `~${s}~` : s);
    }
    return `FastList a${this.actor} ${formatVersion(this.version())} pending=${this.pendingCount} [${parts.join(' ')}]`;
  }

  protected held(actor: ActorId): number {
    return this.#log.held(actor);
  }

  protected opAt(id: OpId): Op<T> | undefined {
    if (id.counter > this.held(id.actor) || id.counter < 1) return undefined;
    const target = this.#log.deleteTarget(id.actor, id.counter);
    if (target !== undefined) return { type: 'delete', id, target };
    const [piece, offset] = this.#ids.find(id.actor, id.counter) as At<T>;
    const left = offset > 0 ? { actor: id.actor, counter: id.counter - 1 } : ref(piece.olA, piece.olC);
    return { type: 'insert', id, value: piece.values.get(id.counter), left, right: ref(piece.orA, piece.orC) };
  }

  protected isInsertAt(id: OpId): boolean | undefined {
    if (id.counter > this.held(id.actor) || id.counter < 1) return undefined;
    return this.#log.deleteTarget(id.actor, id.counter) === undefined;
  }

  protected integrate(op: Op<T>): void {
    this.#moveCursor(null, 0);
    if (op.type === 'delete') this.#remove(this.#find(op.target), op);
    else this.#add(op, op.left === null ? null : this.#find(op.left), op.right === null ? null : this.#find(op.right));
  }

  /**
   * The common case of typing: the insert goes right after the last element of this actor's
   * piece under the cursor, with the same right origin, so the piece just grows. Null otherwise.
   */
  #typeOn(index: number, value: T, counter: number): InsertOp<T> | null {
    const c = this.#cursor;
    if (c === null || c.deleted || index !== this.#cursorStart + c.length || c.actor !== this.actor || c.counter + c.length !== counter) return null;
    if (c.rightKid !== null) return null;
    const next = this.#tree.next(c);
    if (next === undefined ? c.orA >= 0 : next.actor !== c.orA || next.counter !== c.orC) return null;
    this.#tree.grow(c, value);
    this.#ids.grew(c);
    this.#log.applied(this.actor, counter);
    // Typing on, the last local insert is usually the one before: share its id and right origin (ids are immutable).
    const last = this.#lastInsert;
    const left = last !== null && last.id.counter === counter - 1 ? last.id : { actor: this.actor, counter: counter - 1 };
    const r = last?.right;
    const right = r !== undefined && (r === null ? c.orA < 0 : r.actor === c.orA && r.counter === c.orC) ? r : ref(c.orA, c.orC);
    const op: InsertOp<T> = { type: 'insert', id: { actor: this.actor, counter }, value, left, right };
    this.#lastInsert = op;
    this.released(op.id);
    return op;
  }

  /** The element at visible `index`, from the cursor when it covers it. */
  #locate(index: number): At<T> {
    const c = this.#cursor;
    if (c !== null && !c.deleted && index >= this.#cursorStart && index < this.#cursorStart + c.length) return [c, index - this.#cursorStart];
    const at = this.#tree.findVisible(index);
    this.#moveCursor(at[0], index - at[1]);
    return at;
  }

  #moveCursor(piece: Piece<T> | null, start: number): void {
    this.#cursor = piece;
    this.#cursorStart = start;
  }

  #find(id: OpId): At<T> {
    const at = this.#ids.find(id.actor, id.counter);
    if (at === undefined) throw new Error(`unknown element a${id.actor}.${id.counter}`);
    return at;
  }

  /** The element right after `at` in list order (tombstones included); after null, the first. */
  #after(at: At<T> | null): At<T> | null {
    if (at !== null && at[1] + 1 < at[0].length) return [at[0], at[1] + 1];
    const piece = at === null ? this.#tree.first() : this.#tree.next(at[0]);
    return piece === undefined ? null : [piece, 0];
  }

  /**
   * Add an insert's element between its origins, by Fugue's rule: a left child of `right` if
   * `right` lies in `left`'s subtree, else a right child of `left`; among its siblings in
   * FugueMax's order; and then in the list right where that puts it in the tree's in-order walk.
   * The cost depends on the siblings, not on how much was inserted concurrently between the
   * origins. Returns the piece that holds the element (it may have grown an existing one).
   * `adjacent`: the caller knows `right` is the element right after `left` (a local edit).
   */
  #add(op: InsertOp<T>, left: At<T> | null, right: At<T> | null, adjacent = false): Piece<T> {
    if (right !== null && this.#inSubtree(left, right, adjacent)) {
      const parent = right[1] > 0 ? this.#split(right[0], right[1]) : right[0];
      const piece = this.#newPiece(op, right, parent, 'L', parent.depth + 1);
      if (insertSibling(parent.leftKid, piece, authorFirst) === null) parent.leftKid = piece;
      this.#tree.insertBefore(piece.sibling !== null ? leftmost(piece.sibling) : parent, piece);
      return this.#added(piece);
    }
    let parent: Piece<T> | null = null;
    if (left !== null) {
      parent = left[0];
      if (left[1] < parent.length - 1) this.#split(parent, left[1] + 1);
    }
    const first = parent === null ? this.#rootKid : parent.rightKid;
    let runsOn = false;
    if (parent !== null && first === null && this.#runsOn(parent, op, right)) {
      if (!parent.deleted) {
        this.#tree.grow(parent, op.value);
        this.#ids.grew(parent);
        this.#log.applied(op.id.actor, op.id.counter);
        return parent;
      }
      // A tombstone does not grow, but the new piece may fold into it once deleted too.
      runsOn = true;
    }
    const piece = this.#newPiece(op, right, parent, 'R', parent === null ? 1 : parent.depth + parent.length);
    const prev = insertSibling(first, piece, this.#rightFirst);
    if (prev === null && parent === null) this.#rootKid = piece;
    else if (prev === null) (parent as Piece<T>).rightKid = piece;
    if (piece.sibling !== null) this.#tree.insertBefore(leftmost(piece.sibling), piece);
    else this.#tree.insertAfter(prev !== null ? rightmost(prev) : parent, piece);
    return this.#added(piece, runsOn);
  }

  #added(piece: Piece<T>, runsOn = false): Piece<T> {
    this.#ids.add(piece, runsOn);
    this.#log.applied(piece.actor as ActorId, piece.counter);
    return piece;
  }

  /** The actor typing on at the end of its own piece, with the same right origin: one run. */
  #runsOn(piece: Piece<T>, op: InsertOp<T>, right: At<T> | null): boolean {
    const orA = right === null ? -1 : right[0].actor;
    const orC = right === null ? 0 : right[0].counter + right[1];
    return piece.actor === op.id.actor && piece.counter + piece.length === op.id.counter && piece.orA === orA && piece.orC === orC;
  }

  #newPiece(op: InsertOp<T>, right: At<T> | null, parent: Piece<T> | null, side: 'L' | 'R', depth: number): Piece<T> {
    const values = this.#column(op.id.actor);
    values.set(op.id.counter, op.value);
    return {
      actor: op.id.actor,
      counter: op.id.counter,
      length: 1,
      values,
      deleted: false,
      olA: op.left === null ? -1 : op.left.actor,
      olC: op.left === null ? 0 : op.left.counter,
      orA: right === null ? -1 : right[0].actor,
      orC: right === null ? 0 : right[0].counter + right[1],
      leaf: undefined as never,
      parent,
      side,
      depth,
      leftKid: null,
      rightKid: null,
      sibling: null,
    };
  }

  /**
   * Whether `right` lies in `left`'s subtree. When `right` is the very next element after `left`
   * (always so for local edits), that is the case exactly when `left` has right children.
   */
  #inSubtree(left: At<T> | null, right: At<T>, adjacent: boolean): boolean {
    if (!adjacent) {
      const next = this.#after(left);
      if (next === null || next[0] !== right[0] || next[1] !== right[1]) return isAncestor(left, right);
    }
    if (left === null) return this.#rootKid !== null;
    const [p, k] = left;
    return k < p.length - 1 || p.rightKid !== null;
  }

  /** FugueMax's right siblings: the one whose right origin lies further right first, then by author. */
  #rightSiblingFirst(a: Piece<T>, b: Piece<T>): boolean {
    if (a.orA !== b.orA || a.orC !== b.orC) return this.#rightOriginAt(a) > this.#rightOriginAt(b);
    return byAuthor(a, b) < 0;
  }

  #rightOriginAt(p: Piece<T>): number {
    if (p.orA < 0) return Infinity;
    const [piece, offset] = this.#find({ actor: p.orA as ActorId, counter: p.orC });
    return this.#tree.totalIndex(piece) + offset;
  }

  /**
   * Fold `tail` into `head` when that undoes a split: both deleted, one actor's consecutive
   * counters, `tail` typed right after `head`'s last element with the same right origin, and the
   * tail the only child of that element (so the tree chain is the implicit one of a piece).
   */
  #fold(head: Piece<T>, tail: Piece<T>): void {
    if (!head.deleted || !tail.deleted || !continues(head, tail)) return;
    this.#ids.merge(head);
    this.#tree.merge(head, tail);
    if (this.#cursor === tail) this.#cursor = null;
  }

  /**
   * Backspacing or deleting forward along a run: the element at `offset`, the last or first of
   * live `piece`, would be cut out and folded into the tombstone next to it. Move it there
   * instead (same pieces as split + fold, none made). False when that is not the case.
   */
  #deleteIntoTombstone(piece: Piece<T>, offset: number): boolean {
    const last = offset === piece.length - 1;
    if (piece.length < 2 || (offset !== 0 && !last)) return false;
    const dead = last ? this.#tree.next(piece) : this.#tree.prev(piece);
    if (dead === undefined || !dead.deleted || !(last ? continues(piece, dead) : continues(dead, piece))) return false;
    this.#tree.moveDeleted(piece, dead);
    return true;
  }

  #column(actor: number): ValueColumn<T> {
    let column = this.#values.get(actor);
    if (column === undefined) this.#values.set(actor, (column = new ValueColumn<T>()));
    return column;
  }

  #split(piece: Piece<T>, at: number): Piece<T> {
    const tail = this.#tree.split(piece, at);
    this.#ids.split(piece, tail);
    return tail;
  }

  /** Tombstone the element at `at` (cutting it out of its piece) and record the delete. */
  #remove([piece, offset]: At<T>, op: DeleteOp): void {
    if (!piece.deleted && !this.#deleteIntoTombstone(piece, offset)) {
      const target = offset > 0 ? this.#split(piece, offset) : piece;
      if (target.length > 1) this.#split(target, 1);
      this.#tree.setDeleted(target);
      // Deleting a typed run element by element leaves a row of tombstones: fold them back together.
      const after = this.#tree.next(target);
      if (after !== undefined) this.#fold(target, after);
      const before = this.#tree.prev(target);
      if (before !== undefined) this.#fold(before, target);
    }
    this.#log.deleted(op.id.actor, op.id.counter, op.target);
    this.#log.applied(op.id.actor, op.id.counter);
  }
}

const ref = (actor: number, counter: number): OpId | null => (actor < 0 ? null : { actor: actor as ActorId, counter });
const idOf = <T>(at: At<T> | null): OpId | null => (at === null ? null : { actor: at[0].actor as ActorId, counter: at[0].counter + at[1] });
