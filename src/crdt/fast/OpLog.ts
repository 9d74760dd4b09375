import type { ActorId, OpId } from '../ids.js';
import type { LogState } from './state.js';

/** An actor's deletes, in counter order: their counters and targets. */
interface Deletes {
  readonly counters: number[];
  readonly targetActors: number[];
  readonly targetCounters: number[];
}

/**
 * What a list needs to remember about its ops beyond its elements: how many of each actor's ops
 * it holds, what each delete removed, and the order ops were applied in (a causal order), as
 * numbers rather than op objects. Inserts are read back from the elements themselves. The order
 * is kept in runs of one actor's consecutive ops: typing, and taking in a peer's batch, make long
 * runs, so the order costs little memory and loads at once.
 */
export class OpLog {
  readonly #held = new Map<ActorId, number>();
  readonly #deletes = new Map<number, Deletes>();
  /** The order applied, as runs: (actor, first counter, length) triples. */
  #runs: number[] = [];

  /** A log from a saved state; throws unless the order holds each actor's ops 1..held in counter order. */
  static of(state: LogState): OpLog {
    const log = new OpLog();
    for (const [actor, n] of state.held) log.#held.set(actor as ActorId, n);
    for (const d of state.deletes) {
      const { counters } = d;
      if (d.targetActors.length !== counters.length || d.targetCounters.length !== counters.length) throw new Error(`deletes of a${d.actor} do not line up`);
      for (let i = 1; i < counters.length; i++) if ((counters[i] as number) <= (counters[i - 1] as number)) throw new Error(`deletes of a${d.actor} are out of order`);
      log.#deletes.set(d.actor, { counters, targetActors: d.targetActors, targetCounters: d.targetCounters });
    }
    const next = new Map<number, number>();
    const runs = state.order;
    if (runs.length % 3 !== 0) throw new Error('the order is not in runs');
    for (let i = 0; i < runs.length; i += 3) {
      const [actor, first, length] = [runs[i] as number, runs[i + 1] as number, runs[i + 2] as number];
      if (first !== (next.get(actor) ?? 0) + 1 || length < 1) throw new Error(`op a${actor}.${first} is out of order`);
      next.set(actor, first + length - 1);
    }
    for (const [actor, n] of log.#held) if ((next.get(actor) ?? 0) !== n) throw new Error(`a${actor} holds ${n} ops, ${next.get(actor) ?? 0} in order`);
    if (next.size !== log.#held.size) throw new Error('ops in order from an actor not held');
    log.#runs = runs.slice();
    return log;
  }

  state(): LogState {
    const deletes = [...this.#deletes].map(([actor, d]) => ({ actor, counters: [...d.counters], targetActors: [...d.targetActors], targetCounters: [...d.targetCounters] }));
    return { held: [...this.#held], deletes, order: this.#runs.slice() };
  }

  held(actor: ActorId): number {
    return this.#held.get(actor) ?? 0;
  }

  version(): Map<ActorId, number> {
    return new Map(this.#held);
  }

  applied(actor: ActorId, counter: number): void {
    this.#held.set(actor, counter);
    const runs = this.#runs;
    const n = runs.length;
    if (n > 0 && runs[n - 3] === actor && (runs[n - 2] as number) + (runs[n - 1] as number) === counter) runs[n - 1] = (runs[n - 1] as number) + 1;
    else runs.push(actor, counter, 1);
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
    const runs = this.#runs;
    for (let i = 0; i < runs.length; i += 3) {
      const actor = runs[i] as ActorId;
      const end = (runs[i + 1] as number) + (runs[i + 2] as number);
      for (let counter = Math.max(runs[i + 1] as number, (except?.get(actor) ?? 0) + 1); counter < end; counter++) yield { actor, counter };
    }
  }
}
