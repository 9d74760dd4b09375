import { formatId, sameId, type OpId } from './ids.js';

/**
 * Insert `value` between two neighbours the author saw side by side (tombstones included):
 * `left` (null = start of list) and `right` (null = end of list). These origins are all the
 * causal context an insert needs (see INTERNALS.md).
 */
export interface InsertOp<T> {
  readonly type: 'insert';
  readonly id: OpId;
  readonly value: T;
  readonly left: OpId | null;
  readonly right: OpId | null;
}

/** Delete the element that insert `target` created. A delete has an id of its own. */
export interface DeleteOp {
  readonly type: 'delete';
  readonly id: OpId;
  readonly target: OpId;
}

export type Op<T> = InsertOp<T> | DeleteOp;

export const isInsert = <T>(op: Op<T>): op is InsertOp<T> => op.type === 'insert';
export const isDelete = <T>(op: Op<T>): op is DeleteOp => op.type === 'delete';

/** Ids that must be applied before `op`: its actor's previous op, then its origins or target. */
export function dependencies<T>(op: Op<T>): OpId[] {
  const deps: OpId[] = [];
  if (op.id.counter > 1) deps.push({ actor: op.id.actor, counter: op.id.counter - 1 });
  if (op.type === 'insert') {
    if (op.left !== null) deps.push(op.left);
    if (op.right !== null) deps.push(op.right);
  } else {
    deps.push(op.target);
  }
  return deps;
}

/** Same id and same content. Two ops with one id and different content are an equivocation. */
export function sameOp<T>(a: Op<T>, b: Op<T>, eq: (x: T, y: T) => boolean = Object.is): boolean {
  if (!sameId(a.id, b.id) || a.type !== b.type) return false;
  if (a.type === 'delete') return sameId(a.target, (b as DeleteOp).target);
  const bi = b as InsertOp<T>;
  return eq(a.value, bi.value) && sameId(a.left, bi.left) && sameId(a.right, bi.right);
}

export function formatOp<T>(op: Op<T>): string {
  return op.type === 'insert'
    ? `ins ${formatId(op.id)} ${JSON.stringify(op.value)} (${formatId(op.left)}, ${formatId(op.right)})`
    : `del ${formatId(op.id)} → ${formatId(op.target)}`;
}
