import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { opsIn } from '../crdt/version.js';
import type { ActorState, MessageCounts } from './ActorState.js';

const OUTCOMES = ['sent', 'dropped', 'failed', 'blocked'] as const satisfies ReadonlyArray<keyof MessageCounts>;

/**
 * One actor's Prometheus metrics, in a registry of its own: several actors share a process in
 * tests, and the global registry would mix them. Counts the actor keeps anyway (its replica, its
 * `MessageCounts`) are read when scraped; only the store write latency is observed as it happens,
 * by a `TimedStore` built before the replica (hence `watch` comes after the constructor).
 */
export class ActorMetrics {
  readonly registry = new Registry();
  readonly storeWriteSeconds = new Histogram({
    name: 'genome_store_write_seconds',
    help: 'Time to write a batch of ops to the store (one transaction), in seconds.',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly compactions = new Counter({
    name: 'genome_compactions_total',
    help: 'Times this actor compacted its store into a snapshot, since it started.',
    registers: [this.registry],
  });

  /** Register the metrics read from `state` at scrape time. */
  watch(state: ActorState): void {
    const registers = [this.registry];
    const { replica, messages } = state;
    // prom-client counters only go up by `inc`: to show a count kept elsewhere, reset, then add it all.
    const counter = (name: string, help: string, read: () => number): void => {
      const collect = function (this: Counter) {
        this.reset();
        this.inc(read());
      };
      new Counter({ name, help, registers, collect });
    };
    counter('genome_ops_created_total', 'Ops this actor made (its mutations), in its lifetime: restarts included.', () => replica.mutations);
    counter('genome_ops_applied_total', 'Ops applied to the genome, from every actor (the sum of the version vector).', () => state.applied);
    new Gauge({
      name: 'genome_pending_ops',
      help: 'Ops received but waiting for their causal dependencies.',
      registers,
      collect() {
        this.set(replica.list.pendingCount);
      },
    });
    new Gauge({
      name: 'genome_tombstones',
      help: 'Deleted elements still held in memory (they go once every replica has retired them).',
      registers,
      collect() {
        this.set(replica.list.tombstones);
      },
    });
    new Gauge({
      name: 'genome_stable_ops',
      help: 'Ops every member holds, as far as this actor knows (the sum of the stable version).',
      registers,
      collect() {
        this.set(opsIn(replica.replicator.stable()));
      },
    });
    new Gauge({
      name: 'genome_retired_ops',
      help: 'Ops of the version whose deletes\' targets this actor has retired: its local inserts no longer name them.',
      registers,
      collect() {
        this.set(opsIn(replica.replicator.retired));
      },
    });
    new Gauge({
      name: 'genome_store_bytes',
      help: 'Bytes of the store on disk: the SQLite file and its write-ahead log (0 with --memory).',
      registers,
      collect() {
        this.set(replica.storeBytes);
      },
    });
    new Gauge({
      name: 'genome_snapshot_bytes',
      help: "Bytes of the store's snapshot at the last compaction since this actor started (0: none yet).",
      registers,
      collect() {
        this.set(state.lastCompaction?.snapshotBytes ?? 0);
      },
    });
    new Counter({
      name: 'genome_messages_total',
      help: 'Outgoing replication requests by outcome: sent (answered), dropped (drop rate), failed, blocked (partition).',
      labelNames: ['outcome'],
      registers,
      collect() {
        this.reset();
        for (const outcome of OUTCOMES) this.inc({ outcome }, messages[outcome]);
      },
    });
    new Counter({
      name: 'genome_requests_refused_total',
      help: 'Replication requests this actor refused (4xx, 5xx), by route and error code.',
      labelNames: ['route', 'code'],
      registers,
      collect() {
        this.reset();
        for (const [route, codes] of state.refused) for (const [code, n] of codes) this.inc({ route, code }, n);
      },
    });
    counter('genome_sync_rounds_total', 'Anti-entropy requests sent (each page of an exchange counts).', () => messages.syncRounds);
    counter('genome_bytes_in_total', 'Replication bytes received: push and sync request bodies, and sync answers.', () => messages.bytesIn);
    counter('genome_bytes_out_total', 'Replication bytes sent: push and sync request bodies, and answers to /sync.', () => messages.bytesOut);
  }

  /** The exposition, in Prometheus text format. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
