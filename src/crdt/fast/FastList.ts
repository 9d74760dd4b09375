import { CausalList, type RefKind } from '../CausalList.js';
import type { ActorId, OpId } from '../ids.js';
import type { ListOptions } from '../list.js';
import type { DeleteOp, InsertOp, Op } from '../ops.js';
import { closedWithin, covers, formatVersion, meet, type VersionVector } from '../version.js';
import { COLLECTABLE, ContentTree, continues, RETIRED, type Piece } from './ContentTree.js';
import { authorFirst, byAuthor, insertSibling, isAncestor, leftmost, ranksByRightOrigin, rightmost } from './siblings.js';
import { IdIndex } from './IdIndex.js';
import { OpLog } from './OpLog.js';
import { ValueColumn } from './ValueColumn.js';
import { makePieces, walkTree } from './load.js';
import { savedOf, type SavedColumns } from './saved.js';
import { checkOps, lookups, marksOf, versionOf, type ListState, type PieceState } from './state.js';
import { DELETE, insertOf, ref, STRIDE, type StateOps } from './state-ops.js';
import { checkId, checkIndex } from '../input.js';

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
  /** Deletes whose targets are retired (`retire`), and those whose targets are collectable (`collect`). */
  #retired: VersionVector = new Map();
  #collected: VersionVector = new Map();
  readonly #rightFirst = (a: Piece<T>, b: Piece<T>): boolean => this.#rightSiblingFirst(a, b);

  constructor(actor: ActorId, options: ListOptions<T> = {}) {
    super(actor, options);
  }

  /**
   * A list with a saved state (`exportState`), rebuilt without applying any op again. Throws on
   * a state that is not consistent (see `fromSaved`); nothing is pending.
   */
  static fromState<T>(actor: ActorId, state: ListState<T>, options: ListOptions<T> = {}): FastList<T> {
    return FastList.fromSaved(actor, savedOf(state), options);
  }

  /**
   * As `fromState`, from the columns `decodeSaved` reads (no object per saved piece). Throws on a
   * state that is not consistent, checked as it is built: the pieces (`makePieces`), the op log
   * (`OpLog.of`), the deletes (`checkOps`), the tree, each piece's ids, origins, stage and place
   * among its siblings (`walkTree`, `pieceFault`). The id index is built on first use.
   */
  static fromSaved<T>(actor: ActorId, saved: SavedColumns<T>, options: ListOptions<T> = {}): FastList<T> {
    const list = new FastList<T>(actor, options);
    const retired = versionOf(saved.retired, 'retired');
    const collected = versionOf(saved.collected, 'collected');
    if (!covers(retired, collected)) throw new Error('the state collected what it did not retire');
    const { log } = saved;
    const marks = marksOf(log);
    const { pieces, rootKid, values } = makePieces(saved, marks);
    list.#values = values;
    list.#log = OpLog.of(log, collected);
    if (!covers(list.#log.version(), retired)) throw new Error('the state retired what it does not hold');
    const look = lookups(log, marks, collected);
    checkOps(pieces, log, marks, collected, look);
    list.#retired = retired;
    list.#collected = collected;
    list.#tree = ContentTree.of(pieces);
    list.#rootKid = rootKid;
    // (Ranking siblings may look elements up: the index is built then if so, on elements whose
    // ownership the walk has not checked yet; a fault it finds still refuses the state.)
    list.#ids = IdIndex.loaded(pieces, marks.actors, saved.lengths, log.deletes);
    walkTree(pieces, rootKid, look, retired, collected, list.#rightFirst, authorFirst);
    return list;
  }

  /**
   * The whole state but pending ops: pieces in list order with their tree links and stages, the
   * op log (less what was collected), and what was retired and collected.
   */
  exportState(): ListState<T> {
    const index = new Map<Piece<T>, number>();
    const pieces: PieceState<T>[] = [];
    for (const p of this.#tree.pieces()) {
      index.set(p, pieces.length);
      const values = new Array<T>(p.length);
      for (let k = 0; k < p.length; k++) values[k] = p.values.get(p.counter + k);
      pieces.push({ actor: p.actor, counter: p.counter, values, deleted: p.deleted, olA: p.olA, olC: p.olC, orA: p.orA, orC: p.orC, parent: -1, side: p.side, gc: p.gc });
    }
    let i = 0;
    for (const p of this.#tree.pieces()) (pieces[i++] as PieceState<T>).parent = p.parent === null ? -1 : (index.get(p.parent) as number);
    return { pieces, log: this.#log.state(), retired: [...this.#retired], collected: [...this.#collected] };
  }

  get length(): number {
    return this.#tree.visible;
  }

  /** Deleted elements still held. */
  get tombstones(): number {
    return this.#tree.total - this.#tree.visible;
  }

  /** What `collect` was given (within what was retired): the ops every replica holds and this list may have let go. */
  get collected(): VersionVector {
    return this.#collected;
  }

  /**
   * `stable` holds deletes every replica has applied (this list's own report included): their
   * targets retire, so that no local insert here names one again (it takes the next element that
   * is not retired as its right origin instead). Only ops this list holds count, and retiring
   * never goes back. Returns the version retired now. See INTERNALS.md, "Collecting tombstones".
   */
  retire(stable: VersionVector): VersionVector {
    const next = closedWithin(this.#retired, meet(stable, this.version()), (id) => this.opAt(id));
    this.#mark(this.#retired, next, RETIRED);
    this.#retired = next;
    return next;
  }

  /**
   * `stable` holds deletes every replica has retired, reported at points this list holds every
   * op of (so no op it lacks can name their targets): those targets are collected, once nothing
   * held names them and they have no children in the tree; the rest wait for the next call.
   * Only what was retired here counts. The op log forgets every op `stable` covers (every replica
   * holds it): such ops can no longer be served one by one. Returns the elements collected now.
   */
  collect(stable: VersionVector): number {
    const next = this.collecting(stable);
    this.#mark(this.#collected, next, COLLECTABLE);
    this.#collected = next;
    const gone = this.#sweep();
    this.#log.forget(next);
    return gone;
  }

  /**
   * What `collect(stable)` makes the collected version: what was collected, and the largest
   * causally closed part of what of `stable` was retired (`stable` need not be closed: an author
   * reports no more of its own feed than its members were seen to hold as it signed it, which
   * can leave out ops that others' ops in the report build on).
   */
  collecting(stable: VersionVector): VersionVector {
    return closedWithin(this.#collected, meet(stable, this.#retired), (id) => this.opAt(id));
  }

  insert(index: number, value: T): InsertOp<T> {
    checkIndex(index, this.length, 'insert: index');
    const op = this.#typeOn(index, value) ?? this.#insertAt(index, value);
    this.#lastInsert = op;
    if (this.changes.listening) this.changes.inserted(index, value, true);
    this.releaseAfter(op.id);
    this.changes.flush();
    return op;
  }

  delete(index: number): DeleteOp {
    checkIndex(index, this.length - 1, 'delete: index');
    const at = this.#locate(index);
    const op: DeleteOp = { type: 'delete', id: { actor: this.actor, counter: this.nextCounter }, target: idOf(at) as OpId };
    this.#remove(at, op.id.actor, op.id.counter);
    // What precedes the deleted element keeps its position; the cursor stays only if it is that.
    if (at[1] === 0) this.#moveCursor(null, 0);
    if (this.changes.listening) this.changes.deleted(index, true);
    this.releaseAfter(op.id);
    this.changes.flush();
    return op;
  }

  indexOf(id: OpId): number {
    checkId(id, 'indexOf: id');
    const at = this.#ids.find(id.actor, id.counter);
    if (at === undefined || at[0].deleted) return -1;
    return this.#tree.visibleIndex(at[0]) + at[1];
  }

  opsOf(actor: ActorId, after: number, limit: number): Op<T>[] {
    const ops: Op<T>[] = [];
    const last = Math.min(this.held(actor), after + limit);
    for (let c = after + 1; c <= last; c++) {
      const op = this.opAt({ actor, counter: c });
      if (op === undefined) throw new Error(`op a${actor}.${c} was collected: every replica holds it, and it is no longer kept`);
      ops.push(op);
    }
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

  /**
   * Take in ops read from a state against this list's version (`readStateOps`), none pending
   * here (they might be among the ops). Reading checked what a list cannot see in a batch (each
   * author's ops in counter order right after what this list holds, every origin or target it
   * lacks an element given before), so what is left of `check` is whether each origin or target
   * this list holds is an element. All ops are checked before any is applied: returns the first
   * one refused (its index) and why, having changed nothing, or null once all are applied.
   */
  mergeOps(ops: StateOps<T>): { at: number; verdict: 'invalid' | 'collected' } | null {
    if (this.pendingCount > 0) throw new Error('a list with pending ops takes a state op by op');
    const now = this.version();
    if (!covers(ops.except, now) || !covers(now, ops.except)) throw new Error('the ops were read against another version of this list');
    const { nums, values } = ops;
    for (let j = 0; j < nums.length; j += STRIDE) {
      const verdict = this.#heldRef(nums[j + 2] as number, nums[j + 3] as number) ?? this.#heldRef(nums[j + 4] as number, nums[j + 5] as number);
      if (verdict !== null) return { at: j / STRIDE, verdict };
    }
    this.#moveCursor(null, 0);
    const listening = this.changes.listening;
    for (let j = 0, v = 0; j < nums.length; j += STRIDE) {
      const actor = nums[j] as number;
      const counter = nums[j + 1] as number;
      const aA = nums[j + 2] as number;
      const bA = nums[j + 4] as number;
      const a = aA < 0 ? null : this.#find(aA, nums[j + 3] as number);
      if (bA === DELETE) {
        const index = listening && !(a as At<T>)[0].deleted ? this.#tree.visibleIndex((a as At<T>)[0]) + (a as At<T>)[1] : -1;
        this.#remove(a as At<T>, actor, counter);
        if (index >= 0) this.changes.deleted(index, false);
      } else {
        const value = values[v++] as T;
        this.#add(actor, counter, value, a, bA < 0 ? null : this.#find(bA, nums[j + 5] as number));
        if (listening) this.changes.inserted(this.indexOf({ actor: actor as ActorId, counter }), value, false);
      }
    }
    this.changes.flush();
    return null;
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
    const at = this.#ids.find(id.actor, id.counter);
    if (at === undefined) return undefined;
    const [piece, offset] = at;
    return insertOf(id, offset, piece.values.get(id.counter), piece.olA, piece.olC, piece.orA, piece.orC);
  }

  namesRetired(op: Op<T>): boolean {
    const refs = op.type === 'delete' ? [op.target] : [op.left, op.right];
    for (const id of refs) {
      if (id === null) continue;
      // A tombstone retired or collectable; else what `refKind` says is collected.
      const at = this.#ids.find(id.actor, id.counter);
      if (at !== undefined ? at[0].gc !== 0 : this.refKind(id) === 'collected') return true;
    }
    return false;
  }

  protected refKind(id: OpId): RefKind {
    if (id.counter > this.held(id.actor) || id.counter < 1) return 'absent';
    // An op is an insert or a delete: an element found settles it without searching the deletes.
    // A collectable one that stays (something still ranks by it, or hangs under it) is named by
    // no op this list lacks, as a collected one; one naming it anyway would be placed among
    // children whose right origins may be gone (see \`#sweep\`).
    const at = this.#ids.find(id.actor, id.counter);
    if (at !== undefined) return at[0].gc === COLLECTABLE ? 'collected' : 'insert';
    return this.#log.deleteTarget(id.actor, id.counter) !== undefined ? 'delete' : 'collected';
  }

  /**
   * What `check` says of an op naming (actor, counter) as an origin or target, when this list
   * held it before a merge: null (new) for an element, else why not, as `refKind` says. Null for
   * the rest (none, a delete marker, an op given by the state: `readStateOps` checked those).
   */
  #heldRef(actor: number, counter: number): 'invalid' | 'collected' | null {
    if (actor < 0 || counter > this.held(actor as ActorId)) return null;
    const kind = this.refKind({ actor: actor as ActorId, counter });
    return kind === 'delete' ? 'invalid' : kind === 'collected' ? 'collected' : null;
  }

  protected integrate(op: Op<T>): void {
    this.#moveCursor(null, 0);
    if (op.type === 'delete') this.#remove(this.#find(op.target.actor, op.target.counter), op.id.actor, op.id.counter);
    else this.#add(op.id.actor, op.id.counter, op.value, op.left === null ? null : this.#find(op.left.actor, op.left.counter), op.right === null ? null : this.#find(op.right.actor, op.right.counter));
  }

  /**
   * The common case of typing: the insert goes right after the last element of this actor's
   * piece under the cursor, with the same right origin, so the piece just grows. Null otherwise.
   */
  #typeOn(index: number, value: T): InsertOp<T> | null {
    const counter = this.nextCounter;
    const c = this.#cursor;
    if (c === null || c.deleted || index !== this.#cursorStart + c.length || c.actor !== this.actor || c.counter + c.length !== counter) return null;
    if (c.rightKid !== null) return null;
    const next = this.#tree.next(c);
    if (next === undefined ? c.orA >= 0 : next.actor !== c.orA || next.counter !== c.orC) return null;
    // A right origin retired since the run began is named no more: the plain insert skips it.
    if (next !== undefined && next.gc !== 0) return null;
    this.#tree.grow(c, value);
    this.#ids.grew(c);
    this.#log.applied(this.actor, counter);
    // Typing on, the last local insert is usually the one before: share its id and right origin (ids are immutable).
    const last = this.#lastInsert;
    const left = last !== null && last.id.counter === counter - 1 ? last.id : { actor: this.actor, counter: counter - 1 };
    const r = last?.right;
    const right = r !== undefined && (r === null ? c.orA < 0 : r.actor === c.orA && r.counter === c.orC) ? r : ref(c.orA, c.orC);
    return { type: 'insert', id: { actor: this.actor, counter }, value, left, right };
  }

  /** A local insert that does not type on: placed between its neighbours like a remote one. */
  #insertAt(index: number, value: T): InsertOp<T> {
    const counter = this.nextCounter;
    const left = index === 0 ? null : this.#locate(index - 1);
    const next = this.#after(left);
    const right = next === null || next[0].gc === 0 ? next : this.#notRetired(next[0]);
    const op: InsertOp<T> = { type: 'insert', id: { actor: this.actor, counter }, value, left: idOf(left), right: idOf(right) };
    const piece = this.#add(this.actor, counter, value, left, right, right === next);
    this.#moveCursor(piece, index - (piece.length - 1));
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

  #find(actor: number, counter: number): At<T> {
    const at = this.#ids.find(actor, counter);
    if (at === undefined) throw new Error(`unknown element a${actor}.${counter}`);
    return at;
  }

  /** The element right after `at` in list order (tombstones included); after null, the first. */
  #after(at: At<T> | null): At<T> | null {
    if (at !== null && at[1] + 1 < at[0].length) return [at[0], at[1] + 1];
    const piece = at === null ? this.#tree.first() : this.#tree.next(at[0]);
    return piece === undefined ? null : [piece, 0];
  }

  /** The first element from `piece` on that is not a retired tombstone (null: the end). */
  #notRetired(piece: Piece<T>): At<T> | null {
    let p: Piece<T> | undefined = piece;
    while (p !== undefined && p.gc !== 0) p = this.#tree.next(p);
    return p === undefined ? null : [p, 0];
  }

  /** Bring the targets of the deletes in `to` but not in `from` to `stage`. */
  #mark(from: VersionVector, to: VersionVector, stage: number): void {
    for (const [actor, upTo] of to) {
      this.#log.eachDeleteTarget(actor, from.get(actor) ?? 0, upTo, (target) => {
        const at = this.#ids.find(target.actor, target.counter);
        if (at !== undefined && at[0].gc < stage) this.#stage(at, stage);
      });
    }
  }

  /** Cut tombstone element `at` out of its piece to give it `stage`, then fold it with neighbours at the same stage. */
  #stage([piece, offset]: At<T>, stage: number): void {
    const target = offset > 0 ? this.#split(piece, offset) : piece;
    if (target.length > 1) this.#split(target, 1);
    target.gc = stage;
    const after = this.#tree.next(target);
    if (after !== undefined) this.#fold(target, after);
    const before = this.#tree.prev(target);
    if (before !== undefined) this.#fold(before, target);
  }

  /**
   * Remove collectable pieces: each one that has no children, or whose parent is collectable
   * too (its children then take its place among the parent's), and whose place no sibling order
   * may still read (it is not the right origin of a right child of a parent that is not
   * collectable, `ranksByRightOrigin`; left origins only placed an element once). Nothing ever hangs under a
   * collectable piece again, nor is one an origin again, so this changes no ancestry between
   * what stays, no sibling order a later op is placed by, and no output: the list places every
   * later op as if the pieces were still there (INTERNALS.md, "Collecting tombstones"). One
   * removal can free another, so it cascades. Returns the elements removed.
   */
  #sweep(): number {
    const named = new Map<number, Map<number, number>>();
    const name = (actor: number, counter: number, by: number): void => {
      if (actor < 0) return;
      let m = named.get(actor);
      if (m === undefined) named.set(actor, (m = new Map()));
      m.set(counter, (m.get(counter) ?? 0) + by);
    };
    const ready: Piece<T>[] = [];
    for (const p of this.#tree.pieces()) {
      if (ranksByRightOrigin(p)) name(p.orA, p.orC, 1);
      if (p.gc === COLLECTABLE) ready.push(p);
    }
    const removable = (p: Piece<T>): boolean => {
      if (p.gc !== COLLECTABLE || (p.leftKid !== null || p.rightKid !== null) && p.parent?.gc !== COLLECTABLE) return false;
      const m = named.get(p.actor);
      if (m !== undefined) for (let k = 0; k < p.length; k++) if ((m.get(p.counter + k) ?? 0) > 0) return false;
      return true;
    };
    const gone = new Set<Piece<T>>();
    let removed = 0;
    for (let p = ready.pop(); p !== undefined; p = ready.pop()) {
      if (gone.has(p) || !removable(p)) continue;
      const counted = ranksByRightOrigin(p);
      const kids = this.#removePiece(p);
      gone.add(p);
      removed += p.length;
      if (counted) name(p.orA, p.orC, -1);
      // What this may have freed: its parent (now childless, or now with collectable children), its right origin, its children.
      ready.push(...kids);
      if (p.parent !== null) ready.push(p.parent);
      const origin = p.orA < 0 ? undefined : this.#ids.find(p.orA, p.orC)?.[0];
      if (origin !== undefined) ready.push(origin);
    }
    return removed;
  }

  /**
   * Take collectable piece `p` out of the list, the index and the tree, where its children (if
   * any: its parent is collectable then) take its place among its parent's, left ones first.
   * Their depths are left as they were: `isAncestor` needs depth only to grow from parent to
   * child, which it still does. Returns its children.
   */
  #removePiece(p: Piece<T>): Piece<T>[] {
    const kids: Piece<T>[] = [];
    for (let k = p.leftKid; k !== null; k = k.sibling) kids.push(k);
    for (let k = p.rightKid; k !== null; k = k.sibling) kids.push(k);
    let next = p.sibling;
    for (let i = kids.length - 1; i >= 0; i--) {
      const k = kids[i] as Piece<T>;
      k.parent = p.parent;
      k.side = p.side;
      k.sibling = next;
      next = k;
    }
    const parent = p.parent;
    const first = parent === null ? this.#rootKid : p.side === 'L' ? parent.leftKid : parent.rightKid;
    let rest = first;
    if (first === p) rest = next;
    else for (let s = first as Piece<T>; ; s = s.sibling as Piece<T>) if (s.sibling === p) {
      s.sibling = next;
      break;
    }
    if (parent === null) this.#rootKid = rest;
    else if (p.side === 'L') parent.leftKid = rest;
    else parent.rightKid = rest;
    this.#tree.remove(p);
    this.#ids.remove(p);
    if (this.#cursor === p) this.#moveCursor(null, 0);
    return kids;
  }

  /**
   * Add an insert's element between its origins, by Fugue's rule: a left child of `right` if
   * `right` lies in `left`'s subtree, else a right child of `left`; among its siblings in
   * FugueMax's order; and then in the list right where that puts it in the tree's in-order walk.
   * The cost depends on the siblings, not on how much was inserted concurrently between the
   * origins. Returns the piece that holds the element (it may have grown an existing one).
   * `adjacent`: the caller knows `right` is the element right after `left` (a local edit).
   */
  #add(actor: number, counter: number, value: T, left: At<T> | null, right: At<T> | null, adjacent = false): Piece<T> {
    if (right !== null && this.#inSubtree(left, right, adjacent)) {
      const parent = right[1] > 0 ? this.#split(right[0], right[1]) : right[0];
      const piece = this.#newPiece(actor, counter, value, left, right, parent, 'L', parent.depth + 1);
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
    if (parent !== null && first === null && this.#runsOn(parent, actor, counter, right)) {
      if (!parent.deleted) {
        this.#tree.grow(parent, value);
        this.#ids.grew(parent);
        this.#log.applied(actor as ActorId, counter);
        return parent;
      }
      // A tombstone does not grow, but the new piece may fold into it once deleted too.
      runsOn = true;
    }
    const piece = this.#newPiece(actor, counter, value, left, right, parent, 'R', parent === null ? 1 : parent.depth + parent.length);
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
  #runsOn(piece: Piece<T>, actor: number, counter: number, right: At<T> | null): boolean {
    const orA = right === null ? -1 : right[0].actor;
    const orC = right === null ? 0 : right[0].counter + right[1];
    return piece.actor === actor && piece.counter + piece.length === counter && piece.orA === orA && piece.orC === orC;
  }

  /** The piece of one element, between origins `left` and `right` (as found: the origins' ids are where they are). */
  #newPiece(actor: number, counter: number, value: T, left: At<T> | null, right: At<T> | null, parent: Piece<T> | null, side: 'L' | 'R', depth: number): Piece<T> {
    const values = this.#column(actor);
    values.set(counter, value);
    return {
      actor,
      counter,
      length: 1,
      values,
      deleted: false,
      gc: 0,
      olA: left === null ? -1 : left[0].actor,
      olC: left === null ? 0 : left[0].counter + left[1],
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
    const [piece, offset] = this.#find(p.orA, p.orC);
    return this.#tree.totalIndex(piece) + offset;
  }

  /**
   * Fold `tail` into `head` when that undoes a split: both deleted, one actor's consecutive
   * counters, `tail` typed right after `head`'s last element with the same right origin, and the
   * tail the only child of that element (so the tree chain is the implicit one of a piece).
   */
  #fold(head: Piece<T>, tail: Piece<T>): void {
    if (!head.deleted || !tail.deleted || !continues(head, tail)) return;
    this.#ids.merge(head, tail);
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
    if (last) this.#ids.join(piece, dead);
    else this.#ids.join(dead, piece);
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

  /** Tombstone the element at `at` (cutting it out of its piece) and record delete `actor.counter`. */
  #remove([piece, offset]: At<T>, actor: number, counter: number): void {
    this.#log.deleted(actor as ActorId, counter, piece.actor, piece.counter + offset);
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
    this.#log.applied(actor as ActorId, counter);
  }
}

const idOf = <T>(at: At<T> | null): OpId | null => (at === null ? null : { actor: at[0].actor as ActorId, counter: at[0].counter + at[1] });
