import { isActorId, MAX_ACTOR, type ActorId, type OpId } from './ids.js';
import type { Op } from './ops.js';
import { opProblem } from './validate.js';
import type { VersionVector } from './version.js';

/**
 * Checks of what JavaScript callers hand the list's entry points: TypeScript's brands do not
 * reach them, so a string index or a hand-made op gets an error naming the argument, before
 * anything changes.
 */

/** An author id: a safe integer in 0..MAX_ACTOR (from TypeScript, `actorId(n)`). */
export function checkActor(actor: unknown, what: string): asserts actor is ActorId {
  if (typeof actor !== 'number') throw new TypeError(`${what} must be a number, got ${typeof actor}`);
  if (!isActorId(actor)) throw new RangeError(`${what} must be a whole number in 0..${MAX_ACTOR}, got ${actor}`);
}

/** An op id: `{ actor, counter }`. */
export function checkId(id: unknown, what: string): asserts id is OpId {
  if (typeof id !== 'object' || id === null) throw new TypeError(`${what} must be an op id { actor, counter }, got ${id === null ? 'null' : typeof id}`);
}

/** `index` must be a whole number in 0..max. */
export function checkIndex(index: unknown, max: number, what: string): asserts index is number {
  if (typeof index !== 'number') throw new TypeError(`${what} must be a number, got ${typeof index}`);
  if (!Number.isInteger(index) || index < 0 || index > max) throw new RangeError(`${what} ${index} out of range 0..${max}`);
}

/** `count` must be a whole number ≥ 0. */
export function checkCount(count: unknown, what: string): asserts count is number {
  if (typeof count !== 'number') throw new TypeError(`${what} must be a number, got ${typeof count}`);
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`${what} must be a whole number >= 0, got ${count}`);
}

/** The ops of an iterable, each well formed (ids, references); throws a TypeError naming the first that is not. */
export function checkOps<T>(ops: Iterable<Op<T>>, what: string): Op<T>[] {
  if (ops === null || typeof (ops as Partial<Iterable<Op<T>>>)?.[Symbol.iterator] !== 'function') throw new TypeError(`${what} must be an iterable of ops`);
  const all = Array.isArray(ops) ? (ops as Op<T>[]) : [...ops];
  for (let i = 0; i < all.length; i++) checkOp(all[i], what, i);
  return all;
}

/** One op, well formed; `at` its place in the caller's argument, for the message. */
export function checkOp<T>(op: Op<T> | undefined, what: string, at = 0): void {
  const problem = typeof op !== 'object' || op === null ? 'is not an object' : opProblem(op);
  if (problem !== null) throw new TypeError(`${what}[${at}]: ${problem}`);
}

/** A version vector: a Map from author ids to counts. */
export function checkVersion(version: unknown, what: string): asserts version is VersionVector {
  if (!(version instanceof Map)) throw new TypeError(`${what} must be a Map of author id to count (see versionFromJSON)`);
  for (const [actor, n] of version) {
    if (!isActorId(actor) || !Number.isSafeInteger(n) || n < 0) throw new TypeError(`${what} holds ${String(actor)} → ${String(n)}: expected an author id and a count >= 0`);
  }
}
