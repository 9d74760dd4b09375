import type { ActorId } from '../crdt/ids.js';
import { idKey } from '../crdt/ids.js';
import { sameOp, type Op } from '../crdt/ops.js';
import { opProblem, type OpRules } from '../crdt/validate.js';
import type { Store } from '../sync/store.js';

/** What a memory store has committed; hand the same one to a new MemoryStore to "restart". */
export interface MemoryBacking<T> {
  readonly ops: Op<T>[];
  /** The op held under each id. */
  readonly ids: Map<string, Op<T>>;
}

export const memoryBacking = <T>(): MemoryBacking<T> => ({ ops: [], ids: new Map() });

/** Keeps nothing on disk (`--memory`); the simulator keeps the backing across simulated crashes. */
export class MemoryStore<T> implements Store<T> {
  readonly actor: ActorId;
  readonly #backing: MemoryBacking<T>;
  readonly #rules: OpRules<T>;

  /** `isValue`: what an insert may hold, as a store on disk would check it. */
  constructor(actor: ActorId, backing: MemoryBacking<T> = memoryBacking(), isValue?: (value: T) => boolean) {
    this.actor = actor;
    this.#backing = backing;
    this.#rules = isValue === undefined ? {} : { isValue };
  }

  load(): Op<T>[] {
    return [...this.#backing.ops];
  }

  append(ops: readonly Op<T>[]): void {
    for (const op of ops) {
      const problem = this.check(op);
      if (problem !== null) throw new Error(`memory store refuses ${problem}`);
    }
    const { ids, ops: held } = this.#backing;
    for (const op of ops) {
      const key = idKey(op.id);
      const old = ids.get(key);
      if (old !== undefined && sameOp(old, op)) continue;
      // Held with other content: an op the list dropped; this one replaces it, in the order taken.
      if (old !== undefined) held.splice(held.indexOf(old), 1);
      ids.set(key, op);
      held.push(op);
    }
  }

  check(op: Op<T>): string | null {
    return opProblem(op, this.#rules);
  }

  close(): void {}
}
