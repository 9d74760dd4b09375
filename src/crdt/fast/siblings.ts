import { COLLECTABLE, type Piece } from './ContentTree.js';

// The FugueMax tree kept on the pieces: siblings' order, their subtrees' ends, and ancestry.

export const byAuthor = <T>(a: Piece<T>, b: Piece<T>): number => a.actor - b.actor || a.counter - b.counter;
/** FugueMax's left siblings: by author. */
export const authorFirst = <T>(a: Piece<T>, b: Piece<T>): boolean => byAuthor(a, b) < 0;
/**
 * Whether sibling order may still read the place of `p`'s right origin: FugueMax ranks right
 * siblings by it, and only a parent that is not collectable gets new children. That holds for the
 * piece when it is a right child (or the root's), and for each element after its first, the
 * implicit right child of the one before (a split makes it explicit), unless `p` is collectable.
 */
export const ranksByRightOrigin = <T>(p: Piece<T>): boolean => (p.side === 'R' && p.parent?.gc !== COLLECTABLE) || (p.length > 1 && p.gc !== COLLECTABLE);
/** The piece first in list order in `p`'s subtree. */
export const leftmost = <T>(p: Piece<T>): Piece<T> => {
  while (p.leftKid !== null) p = p.leftKid;
  return p;
};
/** The piece last in list order in `p`'s subtree. */
export const rightmost = <T>(p: Piece<T>): Piece<T> => {
  while (p.rightKid !== null) for (p = p.rightKid; p.sibling !== null; ) p = p.sibling;
  return p;
};

/** Whether element `a` (a piece and an offset) is the root (null) or an ancestor of element `b`. */
export function isAncestor<T>(a: readonly [Piece<T>, number] | null, b: readonly [Piece<T>, number]): boolean {
  if (a === null) return true;
  const [ap, ak] = a;
  const depth = ap.depth + ak;
  let [p, k] = b;
  for (;;) {
    if (p === ap) return k >= ak;
    if (p.depth <= depth || p.parent === null) return false;
    k = p.side === 'L' ? 0 : p.parent.length - 1;
    p = p.parent;
  }
}

/**
 * Put `x` among the siblings that start with `first`, before the first one it goes before.
 * Returns the sibling now before it; null when `x` is now the first (the caller links it).
 */
export function insertSibling<T>(first: Piece<T> | null, x: Piece<T>, goesBefore: (a: Piece<T>, b: Piece<T>) => boolean): Piece<T> | null {
  let prev: Piece<T> | null = null;
  let at = first;
  while (at !== null && !goesBefore(x, at)) {
    prev = at;
    at = at.sibling;
  }
  x.sibling = at;
  if (prev !== null) prev.sibling = x;
  return prev;
}
