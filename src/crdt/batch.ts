import { formatId, idKey } from './ids.js';
import type { List } from './list.js';
import { sameOp, type Op } from './ops.js';

export type BatchResult<T> =
  | { status: 'ok'; applied: number; duplicate: number; pending: number; accepted: Op<T>[] }
  | { status: 'equivocation' | 'invalid'; op: Op<T>; message: string; accepted: Op<T>[] }
  | { status: 'full'; applied: number; accepted: Op<T>[] };

const WHY = {
  equivocation: 'is already held with other content',
  invalid: 'names an origin or target that is not an earlier insert',
  collected: 'names an element this replica has collected: its author ignored the stability rule (or lost its state)',
} as const;

/**
 * Apply a batch from a peer. An equivocating or invalid op refuses the whole batch before
 * anything is applied. When the pending set fills up midway the rest is not taken and the
 * caller must not acknowledge the batch; what was applied stays (ops are idempotent).
 * `accepted` lists the ops taken now (applied or pending, not duplicates): the caller stores them.
 */
export function applyBatch<T>(list: List<T>, ops: readonly Op<T>[], equals: (a: T, b: T) => boolean = Object.is): BatchResult<T> {
  const refused = refusal(list, ops, equals);
  if (refused !== null) return { status: refused.verdict === 'equivocation' ? 'equivocation' : 'invalid', op: refused.op, message: refused.message, accepted: [] };
  const counts = { applied: 0, duplicate: 0, pending: 0 };
  const accepted: Op<T>[] = [];
  for (const op of ops) {
    const result = list.apply(op);
    if (result === 'full') return { status: 'full', applied: counts.applied, accepted };
    if (result === 'applied' || result === 'duplicate' || result === 'pending') counts[result]++;
    if (result === 'applied' || result === 'pending') accepted.push(op);
  }
  return { status: 'ok', ...counts, accepted };
}

/**
 * The first op of a batch that no list may take, with why, or null: one whose id the batch or
 * the list holds with other content, one naming a delete (of the list or of this same batch, which
 * can never apply) or a collected element.
 */
export function refusal<T>(
  list: Pick<List<T>, 'check'>,
  ops: readonly Op<T>[],
  equals: (a: T, b: T) => boolean,
): { verdict: 'equivocation' | 'invalid' | 'collected'; op: Op<T>; message: string } | null {
  const seen = new Map<string, Op<T>>();
  const deletes = new Set(ops.filter((op) => op.type === 'delete').map((op) => idKey(op.id)));
  const namesDelete = (op: Op<T>): boolean =>
    (op.type === 'insert' ? [op.left, op.right] : [op.target]).some((r) => r !== null && deletes.has(idKey(r)));
  for (const op of ops) {
    const twin = seen.get(idKey(op.id));
    const verdict = twin !== undefined && !sameOp(twin, op, equals) ? 'equivocation' : namesDelete(op) ? 'invalid' : list.check(op);
    if (verdict === 'equivocation' || verdict === 'invalid' || verdict === 'collected') return { verdict, op, message: `op ${formatId(op.id)} ${WHY[verdict]}` };
    seen.set(idKey(op.id), op);
  }
  return null;
}
