/**
 * The author of ops: one incarnation of a member (see `replicaId`), a non-negative safe integer,
 * branded so it is not mixed up with counters.
 */
export type ActorId = number & { readonly __actor: true };

/** An op id: the actor that made the op and its per-actor counter (counters start at 1). */
export interface OpId {
  readonly actor: ActorId;
  readonly counter: number;
}

/**
 * Counter `first + k * step` (delete k of a run): never -0, which `0 * step` is for a negative step.
 * -0 is no small integer: one stored in an id makes V8 keep every id's counter as a boxed double
 * from then on, and every piece and function that reads one slows down (INTERNALS, step 21).
 */
export const stepped = (first: number, k: number, step: number): number => (k === 0 ? first : first + k * step);

/** The highest member number: the actor numbers people use (`--actor`, logs, the dashboard). */
export const MAX_MEMBER = 0xffff;
/** Member numbers take the low 16 bits of an author id; the incarnation's tag the bits above. */
export const MEMBERS = MAX_MEMBER + 1;
/** The highest incarnation tag: 2^37 - 1, so that every author id is a safe integer. */
export const MAX_TAG = 2 ** 37 - 1;
export const MAX_ACTOR = MAX_TAG * MEMBERS + MAX_MEMBER;

/**
 * The author id of incarnation `tag` of member `member`. Tag 0 is the incarnation a store made
 * before incarnations existed continues as; every new store draws its tag from its key.
 */
export function replicaId(member: number, tag: number): ActorId {
  if (!Number.isSafeInteger(tag) || tag < 0 || tag > MAX_TAG) throw new RangeError(`expected a tag in 0..${MAX_TAG}, got ${tag}`);
  return actorId(tag * MEMBERS + member);
}

/** The member an author id belongs to. */
export const memberOf = (actor: ActorId): number => actor % MEMBERS;

/** The incarnation tag of an author id. */
export const tagOf = (actor: ActorId): number => Math.floor(actor / MEMBERS);

export function isActorId(n: unknown): n is ActorId {
  return Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= MAX_ACTOR;
}

export function actorId(n: number): ActorId {
  if (!isActorId(n)) throw new RangeError(`expected an actor id in 0..${MAX_ACTOR}, got ${n}`);
  return n;
}

export function opId(actor: number, counter: number): OpId {
  if (!Number.isSafeInteger(counter) || counter < 1) {
    throw new RangeError(`expected a counter >= 1, got ${counter}`);
  }
  return { actor: actorId(actor), counter };
}

export function sameId(a: OpId | null, b: OpId | null): boolean {
  if (a === null || b === null) return a === b;
  return a.actor === b.actor && a.counter === b.counter;
}

/** A map key for an id. */
export function idKey(id: OpId): string {
  return `${id.actor}.${id.counter}`;
}

/** Printable form of an author: `a1` for member 1's first incarnation, `a1#5f3a…` for a later one. */
export function formatActor(actor: ActorId): string {
  const tag = tagOf(actor);
  return tag === 0 ? `a${actor}` : `a${memberOf(actor)}#${tag.toString(16)}`;
}

/** Printable form, e.g. `a1.7` (actor 1, counter 7). */
export function formatId(id: OpId | null): string {
  return id === null ? '⊥' : `${formatActor(id.actor)}.${id.counter}`;
}
