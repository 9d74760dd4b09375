import { stepped, type ActorId, type OpId } from '../ids.js';
import { SavedDeletes } from './state-bytes.js';
import type { LogState } from './state.js';

/**
 * What a list needs to remember about its ops beyond its elements: how many of each actor's ops
 * it holds, what each delete removed, and the order ops were applied in (a causal order), as
 * numbers rather than op objects. Inserts are read back from the elements themselves. The order
 * is kept in runs of one actor's consecutive ops: typing, and taking in a peer's batch, make long
 * runs, so the order costs little memory and loads at once.
 */
export class OpLog {
  readonly #held = new Map<ActorId, number>();
  /** Each actor's deletes in counter order, as runs (see `LogState`): five numbers a run. */
  readonly #deletes = new Map<number, number[]>();
  /**
   * A loaded log's deletes, taken into `#deletes` on first use (`#runsOf`): those read from bytes
   * are columns until then (`SavedDeletes`), and a list loaded to be read never needs them as runs.
   */
  #loaded: LogState['deletes'] | null = null;
  /** The order applied, as runs: (actor, first counter, length) triples. */
  #runs: number[] = [];

  /**
   * A log from a saved state; throws unless the order holds each actor's ops after `collected`
   * (forgotten, see `forget`) up to held, in counter order, and the deletes are in runs, one list
   * per actor. That each actor's runs are in counter order, after what it collected, each of one
   * delete or more, loading checks as it marks them (`checkOps`).
   */
  static of(state: LogState, collected: ReadonlyMap<number, number> = new Map()): OpLog {
    const log = new OpLog();
    for (const [actor, n] of state.held) {
      if ((collected.get(actor) ?? 0) > n) throw new Error(`a${actor} holds ${n} ops, fewer than it collected`);
      log.#held.set(actor as ActorId, n);
    }
    for (const [actor] of collected) if (!log.#held.has(actor as ActorId)) throw new Error(`a${actor} is collected but not held`);
    const deleting = new Set<number>();
    for (const d of state.deletes) {
      const runs = d instanceof SavedDeletes ? d.n : d.runs.length / 5;
      if (!Number.isInteger(runs) || runs === 0 || deleting.has(d.actor)) throw new Error(`deletes of a${d.actor} are not in runs`);
      deleting.add(d.actor);
    }
    log.#loaded = state.deletes;
    const next = new Map<number, number>();
    const runs = state.order;
    if (runs.length % 3 !== 0) throw new Error('the order is not in runs');
    for (let i = 0; i < runs.length; i += 3) {
      const actor = runs[i] as number;
      const first = runs[i + 1] as number;
      const length = runs[i + 2] as number;
      if (first !== (next.get(actor) ?? collected.get(actor) ?? 0) + 1 || length < 1) throw new Error(`op a${actor}.${first} is out of order`);
      next.set(actor, first + length - 1);
    }
    for (const [actor, n] of log.#held) {
      const end = next.get(actor) ?? collected.get(actor) ?? 0;
      if (end !== n) throw new Error(`a${actor} holds ${n} ops, ${end} in order or collected`);
    }
    for (const actor of next.keys()) if (!log.#held.has(actor as ActorId)) throw new Error('ops in order from an actor not held');
    log.#runs = runs.slice();
    return log;
  }

  /** Each actor's deletes as runs, the loaded ones taken in first if not yet. */
  #runsOf(): Map<number, number[]> {
    const loaded = this.#loaded;
    if (loaded !== null) {
      this.#loaded = null;
      for (const d of loaded) this.#deletes.set(d.actor, d.runs);
    }
    return this.#deletes;
  }

  state(): LogState {
    const deletes = [...this.#runsOf()].map(([actor, runs]) => ({ actor, runs: runs.slice() }));
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

  /** A delete, in counter order: it extends its actor's last run when it continues it. */
  deleted(actor: ActorId, counter: number, targetActor: number, targetCounter: number): void {
    const deletes = this.#runsOf();
    let runs = deletes.get(actor);
    if (runs === undefined) deletes.set(actor, (runs = []));
    const n = runs.length;
    if (n > 0 && (runs[n - 5] as number) + (runs[n - 4] as number) === counter && runs[n - 3] === targetActor) {
      const length = runs[n - 4] as number;
      // A run of one takes any step; a longer one only the next target of its step.
      if (length === 1) runs[n - 1] = targetCounter - (runs[n - 2] as number);
      if (length === 1 || targetCounter === (runs[n - 2] as number) + length * (runs[n - 1] as number)) {
        runs[n - 4] = length + 1;
        return;
      }
    }
    runs.push(counter, 1, targetActor, targetCounter, 0);
  }

  /** The target of delete (actor, counter), or undefined if that op is not a delete. */
  deleteTarget(actor: ActorId, counter: number): OpId | undefined {
    const runs = this.#runsOf().get(actor);
    if (runs === undefined) return undefined;
    let lo = 0;
    let hi = runs.length / 5 - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((runs[mid * 5] as number) <= counter) lo = mid;
      else hi = mid - 1;
    }
    const i = lo * 5;
    const k = counter - (runs[i] as number);
    if (k < 0 || k >= (runs[i + 1] as number)) return undefined;
    return { actor: runs[i + 2] as ActorId, counter: stepped(runs[i + 3] as number, k, runs[i + 4] as number) };
  }

  /** Calls `f` with the target of each delete of `actor` with a counter in `after + 1..upTo`. */
  eachDeleteTarget(actor: ActorId, after: number, upTo: number, f: (target: OpId) => void): void {
    const runs = this.#runsOf().get(actor);
    if (runs === undefined) return;
    for (let i = 0; i < runs.length; i += 5) {
      const first = runs[i] as number;
      const length = runs[i + 1] as number;
      const ta = runs[i + 2] as ActorId;
      const step = runs[i + 4] as number;
      for (let k = Math.max(0, after + 1 - first); k < length && first + k <= upTo; k++) f({ actor: ta, counter: stepped(runs[i + 3] as number, k, step) });
    }
  }

  /**
   * Forget every op `version` covers (every replica holds them; see `FastList.collect`): the
   * deletes and the order drop them, so neither grows with history. Counts held stay.
   */
  forget(version: ReadonlyMap<ActorId, number>): void {
    const deletes = this.#runsOf();
    for (const [actor, runs] of deletes) {
      const upTo = version.get(actor as ActorId) ?? 0;
      const kept: number[] = [];
      for (let i = 0; i < runs.length; i += 5) {
        const first = runs[i] as number;
        const length = runs[i + 1] as number;
        const cut = Math.min(length, Math.max(0, upTo + 1 - first));
        if (cut < length) kept.push(first + cut, length - cut, runs[i + 2] as number, stepped(runs[i + 3] as number, cut, runs[i + 4] as number), runs[i + 4] as number);
      }
      if (kept.length === 0) deletes.delete(actor);
      else if (kept.length !== runs.length || kept[0] !== runs[0]) deletes.set(actor, kept);
    }
    const order: number[] = [];
    const runs = this.#runs;
    for (let i = 0; i < runs.length; i += 3) {
      const actor = runs[i] as ActorId;
      const first = runs[i + 1] as number;
      const length = runs[i + 2] as number;
      const cut = Math.min(length, Math.max(0, (version.get(actor) ?? 0) + 1 - first));
      if (cut < length) order.push(actor, first + cut, length - cut);
    }
    this.#runs = order;
  }

  /** The order applied, as (actor, first counter, length) runs; live: it grows as ops apply. */
  get runs(): readonly number[] {
    return this.#runs;
  }
}
