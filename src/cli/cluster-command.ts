import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { VERIFY_SAMPLE } from '../actor/Verifier.js';
import { runLab } from '../cluster/run.js';
import { MAX_MEMBER } from '../crdt/ids.js';
import { PRETTY_ENV } from '../log.js';
import { trustCa } from '../transport/http-client.js';
import { addActorFlags, clusterKeyOption, fanoutOption, guestsOption, MAX_GUESTS, tlsOption, tokenOption, usage, type MutationFlags } from './actor-flags.js';
import { integer, localUrls, MAX_MS } from './flags.js';

interface ClusterFlags extends MutationFlags {
  count: number;
  guests: number;
  allowCountAbove64?: boolean;
  base: number;
  dashboardPort?: number;
  dashboard: boolean;
  nemesis?: boolean;
  duration?: number;
  convergeTimeout: number;
  report: 'text' | 'json';
  token?: string;
  clusterKey?: string;
}

/** `--count` without `--allow-count-above-64`. */
export const MAX_COUNT = 64;
/** Memory set aside per actor: the highest RSS measured of an actor (at `--interval 0-0`), rounded up; README, "The lab". */
export const ACTOR_BYTES = 150 * 2 ** 20;

/** How many actors `--allow-count-above-64` allows on a machine with `total` bytes of memory: half of it, at ACTOR_BYTES each. */
export function countLimit(total: number = totalmem()): number {
  return Math.max(MAX_COUNT, Math.floor(total / 2 / ACTOR_BYTES));
}

/**
 * Status requests a second the actors' verifiers make between them, at most, unless
 * `--verify-interval` is given: each asks VERIFY_SAMPLE peers a round, and 64 actors doing so
 * every 5 s cost a third of a core of two.
 */
const VERIFY_POLLS_PER_SECOND = 32;

/** The actors' verify interval: the default one, longer for a large cluster (16 s at 64 actors). */
export const labVerifyInterval = (count: number, interval: number): number => Math.max(interval, Math.ceil((count * VERIFY_SAMPLE * 1000) / VERIFY_POLLS_PER_SECOND));

/** Guest slots of a lab: a tab or two of "your replica" at once. */
const DEFAULT_GUESTS = 2;

/** With `--nemesis` and no `--duration`. */
const NEMESIS_DURATION_MS = 60_000;

/** `crdt-genome cluster`: the lab. */
export function registerCluster(program: Command): void {
  addActorFlags(
    program
      .command('cluster')
      .description('run a local cluster of actors with a live dashboard, optionally under a nemesis')
      .option('-c, --count <n>', `number of actors (at most ${MAX_COUNT} without --allow-count-above-64)`, integer(1, MAX_MEMBER + 1), 3)
      .option('--guests <k>', `member slots for replicas that sync through the dashboard (a browser tab's "your replica"), at most ${MAX_GUESTS}`, integer(0, MAX_GUESTS), DEFAULT_GUESTS)
      .option('--allow-count-above-64', `let --count go above ${MAX_COUNT}, up to what half of this machine's memory holds at ${ACTOR_BYTES / 2 ** 20} MiB an actor (${countLimit()} here)`)
      .option('-b, --base <port>', 'actor i listens on base + i', integer(1, 65535), 8000)
      .option('--dashboard-port <port>', 'where the dashboard listens (default: base - 1)', integer(1, 65535))
      .option('--no-dashboard', 'run without the dashboard')
      .option('--nemesis', `inject a seeded random schedule of faults (kills, restarts, pauses, partitions, drop bursts, late joins) for --duration ms (default ${NEMESIS_DURATION_MS})`)
      .option('--duration <ms>', 'run this long, then heal every fault, pause mutations, wait for convergence and report', integer(1, MAX_MS))
      .option('--converge-timeout <ms>', 'how long to wait for convergence after the heal', integer(1, MAX_MS), 30000)
      .addOption(new Option('--report <format>', 'how to print the report of a timed run (json: one line, the last on stdout)').choices(['text', 'json']).default('text'))
      .addOption(new Option('--token <t>', 'the admin token of the actors and the dashboard (default: a random one)').env('GENOME_TOKEN'))
      .addOption(new Option('--cluster-key <k>', "the key of the actors' replication MACs (default: a random one)").env('GENOME_CLUSTER_KEY')),
  ).action(async (o: ClusterFlags, cmd: Command) => {
    if (o.count > MAX_COUNT && o.allowCountAbove64 !== true) usage(cmd, `option \`--count <n>\` is invalid: expected at most ${MAX_COUNT} actors, or \`--allow-count-above-64\`, got \`${o.count}\``);
    const limit = countLimit();
    if (o.count > limit) usage(cmd, `option \`--count <n>\` is invalid: expected at most ${limit} actors with \`--allow-count-above-64\` (half of this machine's ${(totalmem() / 2 ** 30).toFixed(1)} GiB at ${ACTOR_BYTES / 2 ** 20} MiB an actor), got \`${o.count}\``);
    const last = o.base + o.count - 1;
    if (last > 65535) usage(cmd, `expected \`--base\` + \`--count\` - 1 to be a port <= 65535, got \`${last}\``);
    let dashboardPort: number | null = null;
    if (o.dashboard) {
      dashboardPort = o.dashboardPort ?? o.base - 1;
      if (dashboardPort < 1) usage(cmd, 'expected `--dashboard-port <port>` when `--base` is 1');
      if (dashboardPort >= o.base && dashboardPort <= last) usage(cmd, `expected \`--dashboard-port\` outside the actors' ports ${o.base}..${last}, got \`${dashboardPort}\``);
    }
    fanoutOption(cmd, o.fanout, o.count);
    guestsOption(cmd, o.guests, o.count);
    if (o.nemesis && o.memory) usage(cmd, 'expected no `--memory` with `--nemesis`: it kills actors, and an actor keeps its ops through a kill only on disk');
    const durationMs = o.duration ?? (o.nemesis ? NEMESIS_DURATION_MS : null);
    if (durationMs === null && cmd.getOptionValueSource('report') === 'cli') usage(cmd, 'expected `--duration <ms>` or `--nemesis` with `--report`: only a timed run ends with a report');
    const token = tokenOption(cmd, o.token) ?? randomBytes(18).toString('base64url');
    const clusterKey = clusterKeyOption(cmd, o.clusterKey) ?? randomBytes(24).toString('base64url');
    const seed = o.seed ?? randomInt(0x7fffffff);
    const tls = tlsOption(cmd, o);
    trustCa(tls.ca);
    const urls = localUrls(o.host, o.base, o.count, tls.server === null ? 'http' : 'https');
    const verifyInterval = cmd.getOptionValueSource('verifyInterval') === 'default' ? labVerifyInterval(o.count, o.verifyInterval) : o.verifyInterval;
    const actorArgs = (i: number): string[] => [
      '--actor', String(i), '--count', String(o.count), '--guests', String(o.guests), '--base', String(o.base), '--host', o.host,
      '--interval', `${o.interval.min}-${o.interval.max}`, '--seed', String((seed + i) % 0x1_0000_0000),
      '--verify-interval', String(verifyInterval), '--sync-interval', String(o.syncInterval), '--compact-every', String(o.compactEvery),
      ...(cmd.getOptionValueSource('fanout') === 'default' ? [] : ['--fanout', String(o.fanout)]),
      '--drop-rate', String(o.dropRate), '--data-dir', join(o.dataDir, `actor-${i}`), '--log-level', o.logLevel,
      ...(o.mutations === undefined ? [] : ['--mutations', String(o.mutations)]),
      ...(o.memory === true ? ['--memory'] : []),
      ...(o.collect ? [] : ['--no-collect']),
      ...(o.tlsCert === undefined || o.tlsKey === undefined ? [] : ['--tls-cert', o.tlsCert, '--tls-key', o.tlsKey]),
      ...(o.tlsCa === undefined ? [] : ['--tls-ca', o.tlsCa]),
    ];
    // Secrets reach the actors through their environment, never their command lines.
    const env = { ...process.env, GENOME_TOKEN: token, GENOME_CLUSTER_KEY: clusterKey, ...(process.stderr.isTTY ? { [PRETTY_ENV]: '1' } : {}) };
    process.exitCode = await runLab({
      count: o.count,
      host: o.host,
      urls,
      cli: process.argv[1] as string,
      actorArgs,
      env,
      token,
      clusterKey,
      guests: o.guests,
      cluster: clusterId(o.memory === true ? null : o.dataDir),
      tls,
      dropRate: o.dropRate,
      dashboardPort,
      nemesis: o.nemesis === true,
      seed,
      durationMs,
      convergeTimeoutMs: o.convergeTimeout,
      report: o.report,
      logLevel: o.logLevel,
    });
  });
}

/**
 * The id of the cluster whose actors keep their stores under `dataDir`: made once, kept in
 * `<dataDir>/cluster-id` (null, `--memory`: a new one each run). A tab's replica kept for another
 * cluster is of no use in this one.
 */
function clusterId(dataDir: string | null): string {
  const fresh = (): string => randomBytes(9).toString('base64url');
  if (dataDir === null) return fresh();
  const file = join(dataDir, 'cluster-id');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const id = fresh();
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${id}\n`);
    return id;
  }
}
