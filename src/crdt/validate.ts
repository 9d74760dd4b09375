import { formatActor, formatId, isActorId, type ActorId, type OpId } from './ids.js';
import type { Op } from './ops.js';

/**
 * The highest counter an op may carry: 2^48, far more than any actor makes (89 years at 100,000
 * ops a second), and 32 times below 2^53, so that every sum of counters a decoder computes (run
 * offsets, follow-on runs, delete steps) is exact and can be checked before it is used.
 */
export const MAX_COUNTER = 2 ** 48;

/** A counter an op may carry: a safe integer in 1..MAX_COUNTER. */
export function isCounter(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) >= 1 && (n as number) <= MAX_COUNTER;
}

/** An op whose ids, references or values no replica may take (HTTP: 400 `invalid_op`). */
export class InvalidOpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOpError';
  }
}

/**
 * An op a list refuses as a whole batch (`applyMany`): one with the id of an op held with other
 * content (`equivocation`), or naming what is no earlier insert (`invalid`) or what this list has
 * collected (`collected`). Nothing of the batch was applied.
 */
export class RefusedOpError<T = unknown> extends Error {
  constructor(
    readonly verdict: 'equivocation' | 'invalid' | 'collected',
    readonly op: Op<T>,
    message: string,
  ) {
    super(message);
    this.name = 'RefusedOpError';
  }
}

/** What a replica requires of the ops it takes, beyond well-formed ids. */
export interface OpRules<T> {
  /** Authors whose ops are taken (the cluster's actors); absent: any actor id. */
  readonly isMember?: (actor: ActorId) => boolean;
  /** Values an insert may carry (e.g. genes 0..255); absent: any. */
  readonly isValue?: (value: T) => boolean;
}

/**
 * Why no replica may take `op`, or null when it may: the one check of ids and ops that every edge
 * runs (the wire decoders, the replicator, the stores on append and on load), so whatever one of
 * them accepts, every other can encode, store, load and apply.
 */
export function opProblem<T>(op: Op<T>, rules: OpRules<T> = {}): string | null {
  const own = idProblem(op.id, rules, 'op');
  if (own !== null) return own;
  if (op.type === 'insert') {
    if (rules.isValue !== undefined && !rules.isValue(op.value)) return `op ${formatId(op.id)} holds an impossible value ${JSON.stringify(op.value)}`;
    return refProblem(op, op.left, rules, 'left origin') ?? refProblem(op, op.right, rules, 'right origin');
  }
  if (op.type === 'delete') return refProblem(op, op.target, rules, 'target');
  return `op ${formatId((op as Op<T>).id)} has an unknown type`;
}

/** Membership is all an id needs of the rules. */
type Members = Pick<OpRules<never>, 'isMember'>;

/** `of` names what holds the id, in the message only: built only when there is a problem (this runs for every op received). */
function idProblem(id: OpId | null | undefined, rules: Members, what: string, of: () => string = () => ''): string | null {
  if (typeof id !== 'object' || id === null || !isActorId(id.actor)) return `${of()}${what} has no valid actor`;
  if (!isCounter(id.counter)) return `${of()}${what} ${formatId(id)} has a counter outside 1..${MAX_COUNTER}`;
  if (rules.isMember !== undefined && !rules.isMember(id.actor)) return `${of()}${what} ${formatId(id)} names author ${formatActor(id.actor)}, which is not a member's incarnation in this cluster`;
  return null;
}

function refProblem<T>(op: Op<T>, ref: OpId | null, rules: OpRules<T>, what: string): string | null {
  if (ref === null) return what === 'target' ? `op ${formatId(op.id)} has no target` : null;
  return idProblem(ref, rules, what, () => `op ${formatId(op.id)}: `);
}
