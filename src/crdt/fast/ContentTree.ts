import type { ValueColumn } from './ValueColumn.js';

/**
 * A piece: consecutive elements made by one actor with consecutive counters, each typed right
 * after the previous one, so element i > 0 has element i - 1 as its left origin and all share
 * one right origin. Pieces are split when an edit lands inside them; a tombstone piece is removed
 * only when collected (see `FastList.collect`).
 */
export interface Piece<T> {
  readonly actor: number;
  /** Changes only when a delete moves the piece's first element to the tombstone before it (`moveDeleted`). */
  counter: number;
  length: number;
  /** Its actor's values, shared: element i's is at `counter + i`. */
  readonly values: ValueColumn<T>;
  deleted: boolean;
  /**
   * How far a tombstone is on its way out (see INTERNALS.md, "Collecting tombstones"): 0, not;
   * RETIRED, no local insert names it any more; COLLECTABLE, no replica's will, and it goes once
   * nothing held names it and it has no children. Every element of a piece is at the same stage.
   */
  gc: number;
  /** Left origin of element 0 (actor -1: start of the list). */
  readonly olA: number;
  olC: number;
  /** Right origin of every element (actor -1: end of the list). */
  readonly orA: number;
  readonly orC: number;
  leaf: Leaf<T>;
  /**
   * Its place in the FugueMax tree: element 0 is a left child of `parent`'s element 0, or a right
   * child of `parent`'s last element (null parent: of the root). Element i > 0 is the only child
   * (a right child) of element i - 1.
   */
  parent: Piece<T> | null;
  side: 'L' | 'R';
  /** Depth of element 0 in the tree (the root's children have depth 1). */
  depth: number;
  /**
   * The first left child of element 0, and the first right child of the last element; the rest
   * follow by `sibling`, in sibling order. Links rather than arrays: most pieces have one child.
   */
  leftKid: Piece<T> | null;
  rightKid: Piece<T> | null;
  sibling: Piece<T> | null;
}

/** Stages of `Piece.gc`. */
export const RETIRED = 1;
export const COLLECTABLE = 2;

/**
 * Whether `tail` continues `head` as one run and one tree chain: one actor's consecutive counters,
 * typed right after `head`'s last element with the same right origin, and its only child.
 */
export const continues = <T>(head: Piece<T>, tail: Piece<T>): boolean =>
  tail.actor === head.actor &&
  tail.gc === head.gc &&
  tail.counter === head.counter + head.length &&
  tail.olA === head.actor &&
  tail.olC === head.counter + head.length - 1 &&
  tail.orA === head.orA &&
  tail.orC === head.orC &&
  tail.parent === head &&
  tail.side === 'R' &&
  head.rightKid === tail &&
  tail.sibling === null &&
  tail.leftKid === null;

interface Leaf<T> {
  readonly isLeaf: true;
  parent: Inner<T> | null;
  visible: number;
  total: number;
  readonly pieces: Piece<T>[];
}

interface Inner<T> {
  readonly isLeaf: false;
  parent: Inner<T> | null;
  visible: number;
  total: number;
  readonly children: Array<Node<T>>;
}

type Node<T> = Leaf<T> | Inner<T>;

/** Most pieces in a leaf, children in an inner node. */
const MAX = 32;

const newLeaf = <T>(parent: Inner<T> | null, pieces: Piece<T>[] = []): Leaf<T> => ({ isLeaf: true, parent, visible: 0, total: 0, pieces });

/**
 * Pieces in list order (tombstones included), in a B+tree whose nodes count the visible and the
 * total elements below them: finding the element at a position, or the position of a piece, takes
 * one walk down or up the tree.
 */
export class ContentTree<T> {
  #root: Node<T> = newLeaf<T>(null);

  get visible(): number {
    return this.#root.visible;
  }

  get total(): number {
    return this.#root.total;
  }

  /** A tree of `pieces`, in this order, built bottom-up with nodes three quarters full. */
  static of<T>(pieces: readonly Piece<T>[]): ContentTree<T> {
    const tree = new ContentTree<T>();
    if (pieces.length === 0) return tree;
    const fill = (MAX * 3) >> 2;
    let level: Node<T>[] = [];
    for (let i = 0; i < pieces.length; i += fill) {
      const end = i + fill < pieces.length ? i + fill : pieces.length;
      const leaf = newLeaf<T>(null, pieces.slice(i, end));
      // Counted as the pieces learn their leaf: one loop over them (they are many, and cold).
      let visible = 0;
      let total = 0;
      for (let k = i; k < end; k++) {
        const p = pieces[k] as Piece<T>;
        p.leaf = leaf;
        total += p.length;
        if (!p.deleted) visible += p.length;
      }
      leaf.visible = visible;
      leaf.total = total;
      level.push(leaf);
    }
    while (level.length > 1) {
      const up: Node<T>[] = [];
      for (let i = 0; i < level.length; i += fill) {
        const inner: Inner<T> = { isLeaf: false, parent: null, visible: 0, total: 0, children: level.slice(i, i + fill) };
        for (const c of inner.children) c.parent = inner;
        recount(inner);
        up.push(inner);
      }
      level = up;
    }
    tree.#root = level[0] as Node<T>;
    return tree;
  }

  /** The piece holding the element at visible `index`, and the element's offset in it. */
  findVisible(index: number): [Piece<T>, number] {
    let node = this.#root;
    let rest = index;
    while (!node.isLeaf) {
      const children = node.children;
      let i = 0;
      for (; i < children.length - 1; i++) {
        const v = (children[i] as Node<T>).visible;
        if (rest < v) break;
        rest -= v;
      }
      node = children[i] as Node<T>;
    }
    const { pieces } = node;
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as Piece<T>;
      if (piece.deleted) continue;
      if (rest < piece.length) return [piece, rest];
      rest -= piece.length;
    }
    throw new RangeError(`visible index ${index} out of range`);
  }

  first(): Piece<T> | undefined {
    let node = this.#root;
    while (!node.isLeaf) node = node.children[0] as Node<T>;
    return node.pieces[0];
  }

  /** The piece after `piece` in list order. */
  next(piece: Piece<T>): Piece<T> | undefined {
    const { pieces } = piece.leaf;
    const i = pieces.indexOf(piece);
    return i + 1 < pieces.length ? pieces[i + 1] : nextLeaf(piece.leaf)?.pieces[0];
  }

  /** The piece before `piece` in list order. */
  prev(piece: Piece<T>): Piece<T> | undefined {
    const { pieces } = piece.leaf;
    const i = pieces.indexOf(piece);
    if (i > 0) return pieces[i - 1];
    const leaf = prevLeaf(piece.leaf);
    return leaf?.pieces[leaf.pieces.length - 1];
  }

  /** Visible position of `piece`'s first element (of where it would be, for a tombstone). */
  visibleIndex(piece: Piece<T>): number {
    let sum = 0;
    const { pieces } = piece.leaf;
    for (let i = 0; pieces[i] !== piece; i++) if (!(pieces[i] as Piece<T>).deleted) sum += (pieces[i] as Piece<T>).length;
    let node: Node<T> = piece.leaf;
    while (node.parent !== null) {
      const children: Node<T>[] = node.parent.children;
      for (let i = 0; children[i] !== node; i++) sum += (children[i] as Node<T>).visible;
      node = node.parent;
    }
    return sum;
  }

  /** Position of `piece`'s first element in the list, tombstones included. */
  totalIndex(piece: Piece<T>): number {
    let sum = 0;
    const { pieces } = piece.leaf;
    for (let i = 0; pieces[i] !== piece; i++) sum += (pieces[i] as Piece<T>).length;
    let node: Node<T> = piece.leaf;
    while (node.parent !== null) {
      const children: Node<T>[] = node.parent.children;
      for (let i = 0; children[i] !== node; i++) sum += (children[i] as Node<T>).total;
      node = node.parent;
    }
    return sum;
  }

  /** Put `piece` right after `after`, or first in the list when `after` is null. */
  insertAfter(after: Piece<T> | null, piece: Piece<T>): void {
    let leaf: Leaf<T>;
    if (after === null) {
      let node = this.#root;
      while (!node.isLeaf) node = node.children[0] as Node<T>;
      leaf = node;
      leaf.pieces.unshift(piece);
    } else {
      leaf = after.leaf;
      leaf.pieces.splice(leaf.pieces.indexOf(after) + 1, 0, piece);
    }
    piece.leaf = leaf;
    bump(leaf, piece.deleted ? 0 : piece.length, piece.length);
    if (leaf.pieces.length > MAX) this.#split(leaf);
  }

  /** Put `piece` right before `before`. */
  insertBefore(before: Piece<T>, piece: Piece<T>): void {
    const leaf = before.leaf;
    leaf.pieces.splice(leaf.pieces.indexOf(before), 0, piece);
    piece.leaf = leaf;
    bump(leaf, piece.deleted ? 0 : piece.length, piece.length);
    if (leaf.pieces.length > MAX) this.#split(leaf);
  }

  /** Cut `piece` before its element `at` (0 < at < length); returns the new tail piece. */
  split(piece: Piece<T>, at: number): Piece<T> {
    const tail: Piece<T> = {
      actor: piece.actor,
      counter: piece.counter + at,
      length: piece.length - at,
      values: piece.values,
      deleted: piece.deleted,
      gc: piece.gc,
      olA: piece.actor,
      olC: piece.counter + at - 1,
      orA: piece.orA,
      orC: piece.orC,
      leaf: piece.leaf,
      // The tail hangs off the head's (new) last element, and takes over its right children.
      parent: piece,
      side: 'R',
      depth: piece.depth + at,
      leftKid: null,
      rightKid: piece.rightKid,
      sibling: null,
    };
    for (let kid = tail.rightKid; kid !== null; kid = kid.sibling) kid.parent = tail;
    piece.rightKid = tail;
    piece.length = at;
    const { pieces } = piece.leaf;
    pieces.splice(pieces.indexOf(piece) + 1, 0, tail);
    if (pieces.length > MAX) this.#split(piece.leaf);
    return tail;
  }

  /**
   * Fold tombstone `tail`, the piece right after tombstone `head` in list order, into `head` (the
   * caller checked they form one run and one tree chain). A leaf boundary between them does not
   * stop it: where the B+tree cuts depends on its history, the pieces must not.
   */
  merge(head: Piece<T>, tail: Piece<T>): void {
    if (tail.leaf !== head.leaf) {
      bump(tail.leaf, 0, -tail.length);
      bump(head.leaf, 0, tail.length);
    }
    this.#drop(tail);
    head.length += tail.length;
    head.rightKid = tail.rightKid;
    for (let kid = head.rightKid; kid !== null; kid = kid.sibling) kid.parent = head;
  }

  /**
   * Delete the last element of live `piece` when `dead`, the tombstone right after it, continues
   * it as one run and tree chain (or its first element, `dead` right before it): the element moves
   * into `dead` (and into its leaf, if that is another). That is what a split and a fold would
   * leave, without making and dropping pieces.
   */
  moveDeleted(piece: Piece<T>, dead: Piece<T>): void {
    if (dead.counter > piece.counter) {
      dead.counter--;
      dead.olC--;
      dead.depth--;
    } else {
      piece.counter++;
      piece.olC++;
      piece.depth++;
    }
    piece.length--;
    dead.length++;
    if (piece.leaf === dead.leaf) bump(piece.leaf, -1, 0);
    else {
      bump(piece.leaf, -1, -1);
      bump(dead.leaf, 0, 1);
    }
  }

  /** Append one element to `piece` (an actor typing on). */
  grow(piece: Piece<T>, value: T): void {
    piece.values.set(piece.counter + piece.length, value);
    piece.length++;
    bump(piece.leaf, piece.deleted ? 0 : 1, 1);
  }

  setDeleted(piece: Piece<T>): void {
    if (piece.deleted) return;
    piece.deleted = true;
    bump(piece.leaf, -piece.length, 0);
  }

  /** Take tombstone `piece` out of the list for good. */
  remove(piece: Piece<T>): void {
    bump(piece.leaf, 0, -piece.length);
    this.#drop(piece);
  }

  *pieces(): Generator<Piece<T>> {
    for (let p = this.first(); p !== undefined; p = this.next(p)) yield p;
  }

  /** Take `piece` out of its leaf (its counts moved already), and any node that leaves empty out of its parent. */
  #drop(piece: Piece<T>): void {
    const { pieces } = piece.leaf;
    pieces.splice(pieces.indexOf(piece), 1);
    let node: Node<T> = piece.leaf;
    while (node.parent !== null && (node.isLeaf ? node.pieces.length : node.children.length) === 0) {
      const { children } = node.parent;
      children.splice(children.indexOf(node), 1);
      node = node.parent;
    }
  }

  /** Split an overfull node in two halves; the parent gets the new half right after it. */
  #split(node: Node<T>): void {
    const half = node.isLeaf ? node.pieces.length >> 1 : node.children.length >> 1;
    let right: Node<T>;
    if (node.isLeaf) {
      const moved = node.pieces.splice(half);
      const leaf = newLeaf(node.parent, moved);
      for (const p of moved) p.leaf = leaf;
      right = leaf;
    } else {
      const moved = node.children.splice(half);
      const inner: Inner<T> = { isLeaf: false, parent: node.parent, visible: 0, total: 0, children: moved };
      for (const c of moved) c.parent = inner;
      right = inner;
    }
    recount(right);
    node.visible -= right.visible;
    node.total -= right.total;
    let parent = node.parent;
    if (parent === null) {
      parent = { isLeaf: false, parent: null, visible: node.visible + right.visible, total: node.total + right.total, children: [node] };
      node.parent = parent;
      right.parent = parent;
      this.#root = parent;
    }
    parent.children.splice(parent.children.indexOf(node) + 1, 0, right);
    if (parent.children.length > MAX) this.#split(parent);
  }
}

// The walks to a neighbouring leaf stay out of `next` and `prev`, so these inline where deletes call them.
function nextLeaf<T>(leaf: Leaf<T>): Leaf<T> | undefined {
  let node: Node<T> = leaf;
  while (node.parent !== null) {
    const siblings = node.parent.children;
    const j = siblings.indexOf(node);
    if (j + 1 < siblings.length) {
      let down = siblings[j + 1] as Node<T>;
      while (!down.isLeaf) down = down.children[0] as Node<T>;
      return down;
    }
    node = node.parent;
  }
  return undefined;
}

function prevLeaf<T>(leaf: Leaf<T>): Leaf<T> | undefined {
  let node: Node<T> = leaf;
  while (node.parent !== null) {
    const siblings = node.parent.children;
    const j = siblings.indexOf(node);
    if (j > 0) {
      let down = siblings[j - 1] as Node<T>;
      while (!down.isLeaf) down = down.children[down.children.length - 1] as Node<T>;
      return down;
    }
    node = node.parent;
  }
  return undefined;
}

function bump<T>(node: Node<T>, visible: number, total: number): void {
  for (let n: Node<T> | null = node; n !== null; n = n.parent) {
    n.visible += visible;
    n.total += total;
  }
}

function recount<T>(node: Node<T>): void {
  let visible = 0;
  let total = 0;
  if (node.isLeaf) {
    const { pieces } = node;
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i] as Piece<T>;
      total += p.length;
      if (!p.deleted) visible += p.length;
    }
  } else {
    const { children } = node;
    for (let i = 0; i < children.length; i++) {
      const c = children[i] as Node<T>;
      visible += c.visible;
      total += c.total;
    }
  }
  node.visible = visible;
  node.total = total;
}
