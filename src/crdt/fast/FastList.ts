import { CausalList } from '../CausalList.js';
import type { ActorId, OpId } from '../ids.js';
import type { ListOptions } from '../list.js';
import type { DeleteOp, InsertOp, Op } from '../ops.js';
import { formatVersion, type VersionVector } from '../version.js';
import { ContentTree, type Piece } from './ContentTree.js';
import { IdIndex } from './IdIndex.js';
import { OpLog } from './OpLog.js';

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
  readonly #tree = new ContentTree<T>();
  readonly #ids = new IdIndex<T>();
  readonly #log = new OpLog();
  /** The piece of the last local edit and the visible index of its first element: local edits cluster. */
  #cursor: Piece<T> | null = null;
  #cursorStart = 0;

  constructor(actor: ActorId, options: ListOptions<T> = {}) {
    super(actor, options);
  }

  get length(): number {
    return this.#tree.visible;
  }

  insert(index: number, value: T): InsertOp<T> {
    if (!Number.isInteger(index) || index < 0 || index > this.length) {
      throw new RangeError(`insert index ${index} out of range 0..${this.length}`);
    }
    const counter = this.nextCounter;
    const left = index === 0 ? null : this.#locate(index - 1);
    const right = this.#after(left);
    const op: InsertOp<T> = { type: 'insert', id: { actor: this.actor, counter }, value, left: idOf(left), right: idOf(right) };
    const piece = this.#place(left, op, right);
    if (piece !== this.#cursor) {
      this.#cursor = piece;
      this.#cursorStart = index;
    }
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
    if (at[1] === 0) this.#cursor = null;
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
    for (const id of this.#log.order(except)) yield this.opAt(id) as Op<T>;
  }

  toArray(): T[] {
    const out: T[] = [];
    for (const p of this.#tree.pieces()) if (!p.deleted) for (const v of p.values) out.push(v);
    return out;
  }

  version(): VersionVector {
    return this.#log.version();
  }

  toString(): string {
    const parts: string[] = [];
    for (const p of this.#tree.pieces()) {
      const ids = p.length > 1 ? `a${p.actor}.${p.counter}..a${p.actor}.${p.counter + p.length - 1}` : `a${p.actor}.${p.counter}`;
      const s = `${ids}:${JSON.stringify(p.length > 1 ? p.values : p.values[0])}`;
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
    return { type: 'insert', id, value: piece.values[offset] as T, left, right: ref(piece.orA, piece.orC) };
  }

  protected isInsertAt(id: OpId): boolean | undefined {
    if (id.counter > this.held(id.actor) || id.counter < 1) return undefined;
    return this.#log.deleteTarget(id.actor, id.counter) === undefined;
  }

  protected integrate(op: Op<T>): void {
    this.#cursor = null;
    if (op.type === 'delete') {
      this.#remove(this.#find(op.target), op);
      return;
    }
    const left = op.left === null ? null : this.#find(op.left);
    const right = op.right === null ? null : this.#find(op.right);
    const next = this.#after(left);
    const adjacent = next === null ? right === null : right !== null && next[0] === right[0] && next[1] === right[1];
    this.#place(adjacent ? left : this.#scan(op, left, right), op, right);
  }

  /** The element at visible `index`, from the cursor when it covers it. */
  #locate(index: number): At<T> {
    const c = this.#cursor;
    if (c !== null && !c.deleted && index >= this.#cursorStart && index < this.#cursorStart + c.length) return [c, index - this.#cursorStart];
    const at = this.#tree.findVisible(index);
    this.#cursor = at[0];
    this.#cursorStart = index - at[1];
    return at;
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

  #position(at: At<T> | null, ifNull: number): number {
    return at === null ? ifNull : this.#tree.totalIndex(at[0]) + at[1];
  }

  /**
   * Where a remote insert goes when other elements were inserted between its origins: the
   * YjsMod scan. Returns the element to place it after (null: first in the list).
   */
  #scan(op: InsertOp<T>, leftAt: At<T> | null, rightAt: At<T> | null): At<T> | null {
    const total = this.#tree.total;
    const left = this.#position(leftAt, -1);
    const given = this.#position(rightAt, total);
    // An honest right origin lies after the left one; any other is read as the end of the list.
    const right = given > left ? given : total;
    let dest = leftAt;
    let scanning = false;
    let prev = leftAt;
    let cur = this.#after(leftAt);
    for (let i = left + 1; ; ) {
      if (!scanning) dest = prev;
      if (i === total || i === right || cur === null) break;
      const [piece, offset] = cur;
      if (offset > 0 && i - 1 !== left) {
        // Typed after the element before it, which lies after our left origin: skip the run.
        const skip = Math.min(piece.length - offset, right - i);
        i += skip;
        prev = [piece, offset + skip - 1];
        cur = this.#after(prev);
        continue;
      }
      const oleft = offset > 0 ? i - 1 : piece.olA < 0 ? -1 : this.#position(this.#find(ref(piece.olA, piece.olC) as OpId), -1);
      if (oleft < left) break;
      if (oleft === left) {
        const oright = piece.orA < 0 ? total : this.#position(this.#find(ref(piece.orA, piece.orC) as OpId), total);
        if (oright < right) scanning = true;
        else if (oright > right) scanning = false;
        else if (op.id.actor < piece.actor) break;
        else scanning = false;
      }
      i++;
      prev = cur;
      cur = this.#after(cur);
    }
    return dest;
  }

  /**
   * Put `op`'s element right after `after` (null: first), growing `after`'s piece when it can.
   * Returns the piece that holds it.
   */
  #place(after: At<T> | null, op: InsertOp<T>, right: At<T> | null): Piece<T> {
    const { actor, counter } = op.id;
    const orA = right === null ? -1 : right[0].actor;
    const orC = right === null ? 0 : right[0].counter + right[1];
    if (after !== null) {
      const [piece, offset] = after;
      const last = offset === piece.length - 1;
      if (last && !piece.deleted && piece.actor === actor && piece.counter + piece.length === counter && piece.orA === orA && piece.orC === orC
        && op.left !== null && op.left.actor === actor && op.left.counter === counter - 1) {
        this.#tree.grow(piece, op.value);
        this.#ids.grew(piece);
        this.#log.applied(op.id.actor, counter);
        return piece;
      }
      if (!last) this.#ids.split(piece, this.#tree.split(piece, offset + 1));
    }
    const olA = op.left === null ? -1 : op.left.actor;
    const olC = op.left === null ? 0 : op.left.counter;
    const piece: Piece<T> = { actor, counter, length: 1, values: [op.value], deleted: false, olA, olC, orA, orC, leaf: undefined as never };
    this.#tree.insertAfter(after === null ? null : after[0], piece);
    this.#ids.add(piece);
    this.#log.applied(actor, counter);
    return piece;
  }

  /** Tombstone the element at `at` (cutting it out of its piece) and record the delete. */
  #remove([piece, offset]: At<T>, op: DeleteOp): void {
    if (!piece.deleted) {
      let target = piece;
      if (offset > 0) {
        target = this.#tree.split(piece, offset);
        this.#ids.split(piece, target);
      }
      if (target.length > 1) this.#ids.split(target, this.#tree.split(target, 1));
      this.#tree.setDeleted(target);
    }
    this.#log.deleted(op.id.actor, op.id.counter, op.target);
    this.#log.applied(op.id.actor, op.id.counter);
  }
}

const ref = (actor: number, counter: number): OpId | null => (actor < 0 ? null : { actor: actor as ActorId, counter });
const idOf = <T>(at: At<T> | null): OpId | null => (at === null ? null : { actor: at[0].actor as ActorId, counter: at[0].counter + at[1] });
