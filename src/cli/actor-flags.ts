import { Command, Option } from 'commander';
import type { Interval } from '../actor/Mutator.js';
import { LOG_LEVELS, type LogLevel } from '../log.js';
import { MIN_CLUSTER_KEY } from '../transport/cluster-mac.js';
import { readTls, type TlsConfig } from '../transport/tls.js';
import { DEFAULT_COMPACT_EVERY } from '../store/snapshot.js';
import { MAX_MEMBER } from '../crdt/ids.js';
import { DEFAULT_FANOUT } from '../sync/Replicator.js';
import { directory, fraction, hostName, integer, interval, MAX_MS, token } from './flags.js';

export interface MutationFlags {
  host: string;
  interval: Interval;
  mutations?: number;
  seed?: number;
  verifyInterval: number;
  syncInterval: number;
  fanout: number;
  compactEvery: number;
  /** False with `--no-collect`: keep every tombstone. */
  collect: boolean;
  dropRate: number;
  dataDir: string;
  memory?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  logLevel: LogLevel;
}

/** Most guest member slots (`--guests`): each one a guest ever used holds collection to what it retired. */
export const MAX_GUESTS = 64;

/** Flags shared by an actor and a cluster of them. */
export function addActorFlags(cmd: Command): Command {
  return cmd
    .option('--host <addr>', 'address to bind', hostName, '127.0.0.1')
    .addOption(new Option('--interval <min-max>', 'random wait between mutations, in ms (0-0: as fast as possible)').argParser(interval).default({ min: 0, max: 20000 }, '0-20000'))
    .option('--mutations <n>', 'stop mutating after this many mutations (default: unlimited)', integer(0))
    .option('--seed <n>', 'seed of the mutation RNG (default: random, logged)', integer(0, 0xffffffff))
    .option('--verify-interval <ms>', 'how often the verifier polls peers', integer(1, MAX_MS), 5000)
    .option('--sync-interval <ms>', 'how often anti-entropy runs with a peer (the next in turn, or with gossip one drawn at random)', integer(1, MAX_MS), 1000)
    .option('--fanout <n>', 'gossip: with more peers than this, push new ops to this many peers drawn at random each round, and sync with one (at most the peer count)', integer(1, MAX_MEMBER), DEFAULT_FANOUT)
    .option('--compact-every <ops>', 'compact the store into a snapshot once this many ops were stored since the last one (0: never)', integer(0, 1_000_000_000), DEFAULT_COMPACT_EVERY)
    .option('--no-collect', 'keep every tombstone: collect nothing, for a cluster that cannot trust each key to one process (see INTERNALS.md, "forks against collection")')
    .option('--drop-rate <p>', 'fault injection: discard this fraction of outgoing replication messages', fraction, 0)
    .option('--data-dir <dir>', 'where the SQLite store lives (<dir>/actor-<id>.db)', directory, './data')
    .option('--memory', 'keep nothing on disk')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM; with --tls-key)')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option('--tls-ca <file>', "trust only this CA for peers' certificates (PEM)")
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').choices(LOG_LEVELS).default('info'));
}

export function usage(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: 2, code: 'crdt-genome.usage' });
}

/**
 * `--cluster-key` / env `GENOME_CLUSTER_KEY`: at least 16 characters; empty means none. Given both
 * ways with different values is an error (which one was meant?). Never echoed.
 */
export function clusterKeyOption(cmd: Command, value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  const env = process.env.GENOME_CLUSTER_KEY;
  const source = cmd.getOptionValueSource('clusterKey');
  if (source === 'cli' && env !== undefined && env !== '' && env !== value) {
    usage(cmd, 'option `--cluster-key <k>` and env `GENOME_CLUSTER_KEY` disagree: give the key one way (values not shown)');
  }
  if (value.length < MIN_CLUSTER_KEY) {
    const from = source === 'env' ? ' (from env `GENOME_CLUSTER_KEY`)' : '';
    usage(cmd, `option \`--cluster-key <k>\`${from} is invalid: expected at least ${MIN_CLUSTER_KEY} characters, got ${value.length} (value not shown)`);
  }
  return value;
}

/**
 * A `--fanout` given explicitly must leave each actor that many peers to draw from (the default
 * may exceed a small cluster's peers: then every peer is talked to directly).
 */
export function fanoutOption(cmd: Command, fanout: number, count: number): void {
  if (cmd.getOptionValueSource('fanout') !== 'default' && fanout > count - 1) {
    usage(cmd, `option \`--fanout <n>\` is invalid: expected at most the ${count - 1} peers of each actor, got \`${fanout}\``);
  }
}

/** `--guests` beside `count` actors: together, at most every member number there is. */
export function guestsOption(cmd: Command, guests: number, count: number): void {
  if (count + guests > MAX_MEMBER + 1) usage(cmd, `expected \`--count\` + \`--guests\` to be at most ${MAX_MEMBER + 1} members, got ${count} + ${guests}`);
}

/** The TLS flags' files, read and checked now: a bad one is a usage error, not a failure at the first connection. */
export function tlsOption(cmd: Command, o: Pick<MutationFlags, 'tlsCert' | 'tlsKey' | 'tlsCa'>): TlsConfig {
  try {
    return readTls({ cert: o.tlsCert, key: o.tlsKey, ca: o.tlsCa });
  } catch (err) {
    usage(cmd, (err as Error).message);
  }
}

/** `--token` is checked here rather than by commander, whose message would print the secret. */
export function tokenOption(cmd: Command, value: string | undefined): string | null {
  try {
    return value === undefined ? null : token(value);
  } catch (err) {
    const from = cmd.getOptionValueSource('token') === 'env' ? ' (from env `GENOME_TOKEN`)' : '';
    usage(cmd, `option \`--token <t>\`${from} is invalid: ${(err as Error).message}`);
  }
}
