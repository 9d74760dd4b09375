import type { Piece } from './ContentTree.js';

// Siblings in the FugueMax tree kept on the pieces: their order, and their subtrees' ends.

export const byAuthor = <T>(a: Piece<T>, b: Piece<T>): number => a.actor - b.actor || a.counter - b.counter;
/** FugueMax's left siblings: by author. */
export const authorFirst = <T>(a: Piece<T>, b: Piece<T>): boolean => byAuthor(a, b) < 0;
/** The piece first in list order in `p`'s subtree. */
export const leftmost = <T>(p: Piece<T>): Piece<T> => {
  while (p.leftKids !== null && p.leftKids.length > 0) p = p.leftKids[0] as Piece<T>;
  return p;
};
/** The piece last in list order in `p`'s subtree. */
export const rightmost = <T>(p: Piece<T>): Piece<T> => {
  while (p.rightKids !== null && p.rightKids.length > 0) p = p.rightKids[p.rightKids.length - 1] as Piece<T>;
  return p;
};

/** Insert `x` into `list` before the first element it goes before; returns its index. */
export function insertSorted<P>(list: P[], x: P, goesBefore: (a: P, b: P) => boolean): number {
  let i = 0;
  while (i < list.length && !goesBefore(x, list[i] as P)) i++;
  list.splice(i, 0, x);
  return i;
}
