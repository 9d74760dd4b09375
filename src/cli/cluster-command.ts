import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { runLab } from '../cluster/run.js';
import { PRETTY_ENV } from '../log.js';
import { trustCa } from '../transport/http-client.js';
import { addActorFlags, clusterKeyOption, fanoutOption, tlsOption, tokenOption, usage, type MutationFlags } from './actor-flags.js';
import { integer, localUrls, MAX_MS } from './flags.js';

interface ClusterFlags extends MutationFlags {
  count: number;
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

/** With `--nemesis` and no `--duration`. */
const NEMESIS_DURATION_MS = 60_000;

/** `crdt-genome cluster`: the lab. */
export function registerCluster(program: Command): void {
  addActorFlags(
    program
      .command('cluster')
      .description('run a local cluster of actors with a live dashboard, optionally under a nemesis')
      .option('-c, --count <n>', 'number of actors', integer(1, 32), 3)
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
    const last = o.base + o.count - 1;
    if (last > 65535) usage(cmd, `expected \`--base\` + \`--count\` - 1 to be a port <= 65535, got \`${last}\``);
    let dashboardPort: number | null = null;
    if (o.dashboard) {
      dashboardPort = o.dashboardPort ?? o.base - 1;
      if (dashboardPort < 1) usage(cmd, 'expected `--dashboard-port <port>` when `--base` is 1');
      if (dashboardPort >= o.base && dashboardPort <= last) usage(cmd, `expected \`--dashboard-port\` outside the actors' ports ${o.base}..${last}, got \`${dashboardPort}\``);
    }
    fanoutOption(cmd, o.fanout, o.count);
    if (o.nemesis && o.memory) usage(cmd, 'expected no `--memory` with `--nemesis`: it kills actors, and an actor keeps its ops through a kill only on disk');
    const durationMs = o.duration ?? (o.nemesis ? NEMESIS_DURATION_MS : null);
    if (durationMs === null && cmd.getOptionValueSource('report') === 'cli') usage(cmd, 'expected `--duration <ms>` or `--nemesis` with `--report`: only a timed run ends with a report');
    const token = tokenOption(cmd, o.token) ?? randomBytes(18).toString('base64url');
    const clusterKey = clusterKeyOption(cmd, o.clusterKey) ?? randomBytes(24).toString('base64url');
    const seed = o.seed ?? randomInt(0x7fffffff);
    const tls = tlsOption(cmd, o);
    trustCa(tls.ca);
    const urls = localUrls(o.host, o.base, o.count, tls.server === null ? 'http' : 'https');
    const actorArgs = (i: number): string[] => [
      '--actor', String(i), '--count', String(o.count), '--base', String(o.base), '--host', o.host,
      '--interval', `${o.interval.min}-${o.interval.max}`, '--seed', String((seed + i) % 0x1_0000_0000),
      '--verify-interval', String(o.verifyInterval), '--sync-interval', String(o.syncInterval), '--compact-every', String(o.compactEvery),
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
