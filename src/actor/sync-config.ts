import { encodeOpBody } from '../crdt/codec.js';
import { MAX_MEMBER, memberOf, type ActorId } from '../crdt/ids.js';
import { Rng } from '../genome/Rng.js';
import { DEFAULT_FANOUT } from '../sync/Replicator.js';
import { genomeListOptions, genomeRules } from '../genome/cluster.js';
import type { Gene } from '../genome/gene.js';
import { COMPACT_GROWTH, DEFAULT_COMPACT_EVERY, snapshotCodec } from '../store/snapshot.js';
import type { ReplicaConfig } from '../sync/Replica.js';
import { BATCH_BYTES, BODY_LIMIT, MAX_BATCH_OPS, wireSize } from '../transport/wire.js';

/**
 * The replication settings of an actor in a cluster of `members` actors (ids 0 .. members - 1),
 * compacting its store every `compactEvery` ops (0: never).
 */
export function syncConfig(syncIntervalMs: number, members: number = MAX_MEMBER + 1, compactEvery = DEFAULT_COMPACT_EVERY): ReplicaConfig<Gene> {
  return {
    syncIntervalMs,
    backoffMinMs: 100,
    backoffMaxMs: 5000,
    maxOps: MAX_BATCH_OPS,
    maxBytes: BATCH_BYTES,
    sizeOf: wireSize,
    rules: genomeRules(members),
    members,
    encode: encodeOpBody,
    // A state sent to a peer leaves room, under the body limit, for the page's proofs and heads.
    snapshots: snapshotCodec(genomeListOptions(members), compactEvery > 0 ? compactEvery : Infinity, BODY_LIMIT - 128 * 1024, COMPACT_GROWTH),
  };
}

/**
 * `config` with gossip as an actor runs it: `fanout` (default `DEFAULT_FANOUT`), draws from a
 * generator seeded by the actor's seed, and each peer URL's member.
 */
export function gossipConfig(config: ReplicaConfig<Gene>, opts: { fanout?: number; seed: number; peerIds: ReadonlyMap<string, ActorId> }): ReplicaConfig<Gene> {
  const rng = new Rng(opts.seed ^ 0x1b873593);
  return { ...config, fanout: opts.fanout ?? DEFAULT_FANOUT, random: () => rng.next(), peerMembers: new Map([...opts.peerIds].map(([url, id]) => [url, memberOf(id)])) };
}
