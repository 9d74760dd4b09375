import { formatId, idKey, type OpId } from './ids.js';

type Side = 'L' | 'R';

interface Node<T> {
  readonly id: OpId | null; // null only for the root
  readonly value: T | undefined; // undefined only for the root
  deleted: boolean;
  readonly parent: Node<T> | null;
  readonly side: Side;
  /** For a right child: the element that followed it when it was made (null = end of list). */
  readonly rightOrigin: Node<T> | null;
  readonly leftChildren: Node<T>[];
  readonly rightChildren: Node<T>[];
  /** Visible (not deleted) elements in this subtree. */
  size: number;
  readonly depth: number;
}

/**
 * The FugueMax tree of "The Art of the Fugue" (Weidner, Gentle, Kleppmann): each element is a
 * left or right child of another, and the list is the in-order walk of the tree (left children,
 * the node, right children). Kept simple on purpose: this is the reference the faster lists are
 * checked against. Positions never change once made, so any comparison between two existing
 * elements gives the same answer on every replica.
 */
export class FugueTree<T> {
  readonly #root: Node<T> = makeNode<T>(null, undefined, null, 'R', null);
  readonly #byId = new Map<string, Node<T>>();

  get length(): number {
    return this.#root.size;
  }

  has(id: OpId): boolean {
    return this.#byId.has(idKey(id));
  }

  /** The origins a new element at visible `index` gets: its neighbours, tombstones included. */
  originsAt(index: number): { left: OpId | null; right: OpId | null } {
    const leftNode = index === 0 ? this.#root : this.#nodeAt(index - 1);
    const first = leftNode.rightChildren[0];
    const rightNode = first === undefined ? this.#nextNonDescendant(leftNode) : leftmost(first);
    return { left: leftNode.id, right: rightNode === null ? null : rightNode.id };
  }

  /** Visible position of element `id`; -1 when it is deleted or unknown. */
  indexOf(id: OpId): number {
    const node = this.#byId.get(idKey(id));
    if (node === undefined || node.deleted) return -1;
    const sizes = (nodes: readonly Node<T>[], end = nodes.length): number => nodes.slice(0, end).reduce((n, c) => n + c.size, 0);
    let index = sizes(node.leftChildren);
    for (let n = node, p = n.parent; p !== null; n = p, p = p.parent) {
      if (n.side === 'L') index += sizes(p.leftChildren, p.leftChildren.indexOf(n));
      else index += sizes(p.leftChildren) + (p.deleted || p === this.#root ? 0 : 1) + sizes(p.rightChildren, p.rightChildren.indexOf(n));
    }
    return index;
  }

  /** The id of the element at visible `index`. */
  idAt(index: number): OpId {
    return this.#nodeAt(index).id as OpId;
  }

  /**
   * Add an element between its origins. Fugue's rule: if `right` lies inside `left`'s subtree
   * (it is then the first node there), become `right`'s left child; otherwise `left`'s right child.
   */
  insert(id: OpId, value: T, left: OpId | null, right: OpId | null): void {
    const leftNode = left === null ? this.#root : this.#get(left);
    const rightNode = right === null ? null : this.#get(right);
    const node =
      rightNode !== null && this.#isAncestor(leftNode, rightNode)
        ? makeNode(id, value, rightNode, 'L', null)
        : makeNode(id, value, leftNode, 'R', rightNode);
    this.#byId.set(idKey(id), node);
    this.#addToSiblings(node);
    this.#resize(node, 1);
  }

  /** Tombstone an element; returns false if it already was one. */
  delete(id: OpId): boolean {
    const node = this.#get(id);
    if (node.deleted) return false;
    node.deleted = true;
    this.#resize(node, -1);
    return true;
  }

  toArray(): T[] {
    const out: T[] = [];
    this.#walk((node) => {
      if (!node.deleted) out.push(node.value as T);
    });
    return out;
  }

  /** Every element in list order, tombstones in `~…~`, e.g. `[a0.1:7 ~a1.1:3~]`. */
  toString(): string {
    const parts: string[] = [];
    this.#walk((n) => {
      const s = `${formatId(n.id)}:${JSON.stringify(n.value)}`;
      parts.push(n.deleted ? `~${s}~` : s);
    });
    return `[${parts.join(' ')}]`;
  }

  #get(id: OpId): Node<T> {
    const node = this.#byId.get(idKey(id));
    if (node === undefined) throw new Error(`unknown element ${formatId(id)}`);
    return node;
  }

  #nodeAt(index: number): Node<T> {
    if (!Number.isInteger(index) || index < 0 || index >= this.#root.size) {
      throw new RangeError(`index ${index} out of range 0..${this.#root.size - 1}`);
    }
    let node = this.#root;
    let rest = index;
    descend: for (;;) {
      for (const child of node.leftChildren) {
        if (rest < child.size) {
          node = child;
          continue descend;
        }
        rest -= child.size;
      }
      if (!node.deleted && node !== this.#root) {
        if (rest === 0) return node;
        rest--;
      }
      for (const child of node.rightChildren) {
        if (rest < child.size) {
          node = child;
          continue descend;
        }
        rest -= child.size;
      }
      throw new Error('size bookkeeping is broken');
    }
  }

  /** The first node after `node`'s subtree in list order, or null at the end. */
  #nextNonDescendant(node: Node<T>): Node<T> | null {
    for (let cur = node; cur.parent !== null; cur = cur.parent) {
      const siblings = siblingsOf(cur);
      const next = siblings[siblings.indexOf(cur) + 1];
      if (next !== undefined) return leftmost(next);
      if (cur.side === 'L') return cur.parent;
    }
    return null;
  }

  /** True when `a` is `b` or one of its ancestors. */
  #isAncestor(a: Node<T>, b: Node<T>): boolean {
    let cur: Node<T> | null = b;
    while (cur !== null && cur.depth > a.depth) cur = cur.parent;
    return cur === a;
  }

  /** True when `a` comes before `b` in list order; null stands for the end of the list. */
  #isBefore(a: Node<T> | null, b: Node<T> | null): boolean {
    if (a === b || a === null) return false;
    if (b === null) return true;
    let x = a;
    let y = b;
    let xSide: Side = 'R';
    let ySide: Side = 'R';
    while (x.depth > y.depth) [xSide, x] = [x.side, x.parent as Node<T>];
    if (x === y) return xSide === 'L'; // a is inside b's left or right subtree
    while (y.depth > x.depth) [ySide, y] = [y.side, y.parent as Node<T>];
    if (x === y) return ySide === 'R';
    while (x.parent !== y.parent) {
      x = x.parent as Node<T>;
      y = y.parent as Node<T>;
    }
    if (x.side !== y.side) return x.side === 'L';
    const siblings = siblingsOf(x);
    return siblings.indexOf(x) < siblings.indexOf(y);
  }

  /**
   * FugueMax's sibling order. Left children: by author, ascending. Right children: the one whose
   * right origin lies further right comes first, then by author; this is what keeps runs typed
   * backwards from interleaving.
   */
  #addToSiblings(node: Node<T>): void {
    const siblings = siblingsOf(node);
    let i = 0;
    while (i < siblings.length && this.#goesAfter(node, siblings[i] as Node<T>)) i++;
    siblings.splice(i, 0, node);
  }

  #goesAfter(node: Node<T>, sibling: Node<T>): boolean {
    if (node.side === 'R' && node.rightOrigin !== sibling.rightOrigin) {
      return this.#isBefore(node.rightOrigin, sibling.rightOrigin);
    }
    const a = node.id as OpId;
    const b = sibling.id as OpId;
    return a.actor !== b.actor ? a.actor > b.actor : a.counter > b.counter;
  }

  #resize(node: Node<T>, delta: number): void {
    for (let cur: Node<T> | null = node; cur !== null; cur = cur.parent) cur.size += delta;
  }

  /** In-order walk without recursion (trees can be thousands deep). */
  #walk(visit: (node: Node<T>) => void): void {
    const stack: Array<{ node: Node<T>; stage: number }> = [{ node: this.#root, stage: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { node: Node<T>; stage: number };
      const { node } = top;
      const nLeft = node.leftChildren.length;
      const stage = top.stage++;
      if (stage < nLeft) {
        stack.push({ node: node.leftChildren[stage] as Node<T>, stage: 0 });
      } else if (stage === nLeft) {
        if (node !== this.#root) visit(node);
      } else if (stage - nLeft - 1 < node.rightChildren.length) {
        stack.push({ node: node.rightChildren[stage - nLeft - 1] as Node<T>, stage: 0 });
      } else {
        stack.pop();
      }
    }
  }
}

function makeNode<T>(
  id: OpId | null,
  value: T | undefined,
  parent: Node<T> | null,
  side: Side,
  rightOrigin: Node<T> | null,
): Node<T> {
  const depth = parent === null ? 0 : parent.depth + 1;
  return { id, value, deleted: false, parent, side, rightOrigin, leftChildren: [], rightChildren: [], size: 0, depth };
}

function siblingsOf<T>(node: Node<T>): Node<T>[] {
  const parent = node.parent as Node<T>;
  return node.side === 'L' ? parent.leftChildren : parent.rightChildren;
}

function leftmost<T>(node: Node<T>): Node<T> {
  let cur = node;
  for (let first = cur.leftChildren[0]; first !== undefined; first = cur.leftChildren[0]) cur = first;
  return cur;
}
