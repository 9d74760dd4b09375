import type { ActorId } from '../crdt/ids.js';
import type { List } from '../crdt/list.js';
import { capAt, covers, opsIn, type VersionVector } from '../crdt/version.js';
import type { Feeds } from './Feeds.js';
import type { RetireReport, SyncPage } from './messages.js';
import { farBehind, stateProofs, statePage, type SnapshotCodec } from './states.js';

/**
 * Whether a sync request is answered with the list as a state, and that state: encoded once for
 * as long as the list holds the same ops and collected the same (see INTERNALS.md, "Catch-up from
 * state").
 */
export class StateServer<T> {
  readonly #codec: SnapshotCodec<T>;
  /** Ops in a page: an asker lacking no more is sent ops. */
  readonly #pageOps: number;
  /** The list as a state, while it holds `applied` ops and collected `collected`. */
  #encoded: { list: List<T>; applied: number; collected: number; bytes: Uint8Array } | null = null;

  constructor(codec: SnapshotCodec<T>, pageOps: number) {
    this.#codec = codec;
    this.#pageOps = pageOps;
  }

  /** `list` as a state for `asker` at `version` (its report: `report`), or null: not far behind, not all vouched for, or too large. */
  page(list: List<T>, feeds: Feeds<T>, asker: ActorId, version: VersionVector, report?: RetireReport): SyncPage<T> | null {
    // Ops collected can no longer be sent: an asker that lacks some must take a state.
    const collected = list.collected ?? new Map();
    const held = list.version();
    // A state where the asker lacks ops only collected here, or where it is far behind and holds
    // nothing this replica lacks but its own ops past what it retired (others it may have
    // collected: a state cannot carry those back, and the asker refuses it). An author may collect
    // its own feed as far as its report retired it, once every replica it counts retired it too;
    // a peer that joined later lacks those ops (seed 1,762,251,850).
    const must = !covers(version, collected);
    const others = capAt(version, asker, report?.retired.get(asker) ?? 0);
    if (!must && (!covers(held, others) || !farBehind(version, held, this.#pageOps))) return null;
    const vouched = stateProofs(list, version, feeds);
    if (vouched === null) return null;
    const bases = feeds.bases.for(version, collected);
    if (bases === null) return null;
    const bytes = this.#bytes(list, opsIn(held), opsIn(collected));
    return bytes.length > this.#codec.maxBytes ? null : statePage(bytes, vouched.mine, vouched.proofs, feeds, bases);
  }

  /** The encoding changes with what the list holds and what it collected. */
  #bytes(list: List<T>, applied: number, collected: number): Uint8Array {
    const e = this.#encoded;
    if (e?.list === list && e.applied === applied && e.collected === collected) return e.bytes;
    const bytes = this.#codec.encode(list);
    this.#encoded = { list, applied, collected, bytes };
    return bytes;
  }
}
