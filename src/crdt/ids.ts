/** An actor (replica) id: a small non-negative integer, branded so it is not mixed up with counters. */
export type ActorId = number & { readonly __actor: true };

/** An op id: the actor that made the op and its per-actor counter (counters start at 1). */
export interface OpId {
  readonly actor: ActorId;
  readonly counter: number;
}

export const MAX_ACTOR = 0xffff;

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

/** Printable form, e.g. `a1.7` (actor 1, counter 7). */
export function formatId(id: OpId | null): string {
  return id === null ? '⊥' : `a${id.actor}.${id.counter}`;
}
