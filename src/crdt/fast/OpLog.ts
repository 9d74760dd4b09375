import type { ActorId, OpId } from '../ids.js';

/** An actor's deletes, in counter order: their counters and targets. */
interface Deletes {
  readonly counters: number[];
  readonly targetActors: number[];
  readonly targetCounters: number[];
}

/**
 * What a list needs to remember about its ops beyond its elements: how many of each actor's ops
 * it holds, what each delete removed, and the order ops were applied in (a causal order), as
 * numbers rather than op objects. Inserts are read back from the elements themselves.
 */
export class OpLog {
  readonly #held = new Map<ActorId, number>();
  readonly #deletes = new Map<number, Deletes>();
  /** Applied op ids in application order, packed as counter * 65536 + actor. */
  readonly #order: number[] = [];

  held(actor: ActorId): number {
    return this.#held.get(actor) ?? 0;
  }

  version(): Map<ActorId, number> {
    return new Map(this.#held);
  }

  applied(actor: ActorId, counter: number): void {
    this.#held.set(actor, counter);
    this.#order.push(counter * 65536 + actor);
  }

  deleted(actor: ActorId, counter: number, target: OpId): void {
    let d = this.#deletes.get(actor);
    if (d === undefined) this.#deletes.set(actor, (d = { counters: [], targetActors: [], targetCounters: [] }));
    d.counters.push(counter);
    d.targetActors.push(target.actor);
    d.targetCounters.push(target.counter);
  }

  /** The target of delete (actor, counter), or undefined if that op is not a delete. */
  deleteTarget(actor: ActorId, counter: number): OpId | undefined {
    const d = this.#deletes.get(actor);
    if (d === undefined) return undefined;
    const { counters } = d;
    let lo = 0;
    let hi = counters.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = counters[mid] as number;
      if (c === counter) return { actor: d.targetActors[mid] as ActorId, counter: d.targetCounters[mid] as number };
      if (c < counter) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Applied op ids, in the order applied; with `except`, only those that version does not cover. */
  *order(except?: ReadonlyMap<ActorId, number>): Generator<OpId> {
    for (const packed of this.#order) {
      const actor = (packed % 65536) as ActorId;
      const counter = Math.floor(packed / 65536);
      if (except === undefined || counter > (except.get(actor) ?? 0)) yield { actor, counter };
    }
  }
}
