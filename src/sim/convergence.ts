import { formatId, type ActorId } from '../crdt/ids.js';
import { dependencies, type Op } from '../crdt/ops.js';
import { formatVersion, type VersionVector } from '../crdt/version.js';
import type { Gene } from '../genome/gene.js';
import type { Feeds } from '../sync/Feeds.js';
import type { Replica } from '../sync/Replica.js';
import { expectedVersion } from './expected.js';
import type { OpsMade } from './made.js';

/** A simulated actor as the convergence check sees it: its replica (null: down) and the mutations it owes. */
export interface Checked {
  readonly name: string;
  readonly replica: Replica<Gene> | null;
  readonly budget: number;
}

/** Where the forks proven at any replica froze their feeds (the earliest fork of each). */
export function frozenFeeds(nodes: readonly Checked[]): Map<ActorId, number> {
  const frozen = new Map<ActorId, number>();
  for (const n of nodes) for (const e of n.replica?.replicator.feeds.equivocations() ?? []) frozen.set(e.actor, Math.min(e.at, frozen.get(e.actor) ?? Infinity));
  return frozen;
}

/**
 * Why the run has not converged, or null, given every op made (`made`) and the frozen feeds.
 * Every replica reports the forks proven anywhere, but of feeds it never held (it knows no key to
 * check them by, and needs none: it holds none of their ops); every op made is held, but those the
 * forks doom; nothing waits; every actor made its mutations; all render one genome.
 */
export function notConverged(nodes: readonly Checked[], made: OpsMade<Gene>, frozen: ReadonlyMap<ActorId, number>): string | null {
  const report = (feeds: Feeds<Gene>): string => JSON.stringify(feeds.equivocations().sort((a, b) => a.actor - b.actor));
  const forks = nodes.map((n) => (n.replica === null ? 'null' : report(n.replica.replicator.feeds)));
  const due = nodes.map((n) => JSON.stringify([...frozen].filter(([actor]) => n.replica?.replicator.feeds.key(actor) != null).sort(([a], [b]) => a - b).map(([actor, at]) => ({ actor, at }))));
  if (forks.some((f, i) => f !== due[i])) return `the replicas report different forks: ${forks.join(' / ')}`;
  const want = formatVersion(expectedVersion(made, frozen));
  let genome: string | null = null;
  for (const node of nodes) {
    const r = node.replica;
    if (r === null) return `${node.name} is down`;
    if (r.mutations < node.budget) return `${node.name} has made ${r.mutations} mutations`;
    if (r.list.pendingCount > 0) return `${node.name} has ${r.list.pendingCount} ops pending (${[...r.list.pendingOps()].slice(0, 5).map((op) => `${formatId(op.id)} waits for ${missing(r.list.version(), op)}`).join(', ')})`;
    const version = formatVersion(r.list.version());
    if (version !== want) return `${node.name} holds ${version}, expected ${want}`;
    const text = r.list.toArray().join(',');
    if (genome !== null && text !== genome) return `${node.name} renders another genome`;
    genome = text;
  }
  return null;
}

/** The ops `op` names that `held` lacks. */
function missing(held: VersionVector, op: Op<Gene>): string {
  return dependencies(op).filter((id) => id.counter > (held.get(id.actor) ?? 0)).map(formatId).join(' ');
}
