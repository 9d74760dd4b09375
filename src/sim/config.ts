import { syncConfig } from '../actor/sync-config.js';
import { encodeOpBody } from '../crdt/codec.js';
import { genomeListOptions, genomeRules } from '../genome/cluster.js';
import type { Gene } from '../genome/gene.js';
import type { Rng } from '../genome/Rng.js';
import { snapshotCodec } from '../store/snapshot.js';
import type { ReplicaConfig } from '../sync/Replica.js';
import { DEFAULT_FANOUT } from '../sync/Replicator.js';
import type { SimPlan } from './plan.js';

/** Every replica runs one anti-entropy exchange a second. */
export const SYNC_INTERVAL_MS = 1000;

/**
 * The replication settings every replica of a run has. A long plan's are the actors' own
 * (`syncConfig`) but for `settleMs`; the default plan's are drawn from the seed: small pages, so
 * that paging is exercised on every run, and stores that compact often, so that restarts load
 * snapshots.
 */
export function simConfig(plan: SimPlan, rng: Rng): ReplicaConfig<Gene> {
  const base = {
    syncIntervalMs: SYNC_INTERVAL_MS,
    backoffMinMs: 100,
    backoffMaxMs: 5000,
    rules: genomeRules(plan.actors),
    members: plan.actors,
    // Messages take at most a few hundred virtual ms: a dead incarnation's are all in by then.
    settleMs: 2000,
    encode: encodeOpBody,
    // Gossip, as the actors run it: runs of five actors or more push to three peers a round.
    fanout: DEFAULT_FANOUT,
    random: () => rng.next(),
    peerMembers: new Map(Array.from({ length: plan.actors }, (_, i) => [`a${i}`, i])),
  };
  if (plan.long !== undefined) return { ...syncConfig(SYNC_INTERVAL_MS, plan.actors, plan.long.compactEvery), settleMs: base.settleMs, fanout: base.fanout, random: base.random, peerMembers: base.peerMembers };
  const options = genomeListOptions(plan.actors);
  const maxOps = 1 + rng.int(40);
  const maxBytes = 1 + rng.int(60);
  const pointSpacing = 1 + rng.int(8);
  return { ...base, maxOps, maxBytes, sizeOf: (op) => (op.type === 'insert' ? 2 : 1), pointSpacing, snapshots: snapshotCodec(options, 5 + rng.int(100)) };
}
