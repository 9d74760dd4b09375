#!/usr/bin/env node
/**
 * crdt-genome: the command line. The default command runs one actor; `cluster` runs a local
 * cluster; `verify` checks that a cluster converged; `sim` runs a simulation; `repair` mends a store.
 */
import { randomInt } from 'node:crypto';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { Command, CommanderError, Option } from 'commander';
import { runActorProcess } from './actor/run.js';
import { actorOptions, addActorCommandFlags } from './cli/actor-command.js';
import { fanoutOption, tlsOption, usage } from './cli/actor-flags.js';
import { registerCluster } from './cli/cluster-command.js';
import { registerRepair } from './cli/repair-command.js';
import { hostName, integer, localUrls, lossRate, MAX_MS, peerList } from './cli/flags.js';
import { verify } from './cluster/verify.js';
import { MAX_MEMBER } from './crdt/ids.js';
import { MAX_SIM_ACTORS, replayCommand, runSim } from './sim/index.js';
import { MAX_SPREAD_ACTORS, runSpread } from './sim/spread.js';
import { DEFAULT_FANOUT } from './sync/Replicator.js';
import { trustCa } from './transport/http-client.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('crdt-genome')
    .description('Run an actor that mutates a replicated genome and converges with its peers.')
    .version(version, '-V, --version')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(s.endsWith('\n') ? s : `${s}\n`) });

  addActorCommandFlags(program).action(async (_opts, cmd: Command) => {
    await runActorProcess(actorOptions(cmd, hostname()));
  });

  registerCluster(program);
  registerRepair(program);

  program
    .command('verify')
    .description('poll every actor until all hold the same genome; exit 0 when converged, 1 on timeout')
    .option('-c, --count <n>', 'number of actors', integer(1, MAX_MEMBER + 1))
    .option('-b, --base <port>', 'actor i listens on base + i', integer(1, 65535))
    .option('--host <addr>', 'host of the actors (with --count/--base)', hostName, '127.0.0.1')
    .option('--peers <url,...>', 'base URLs of every actor', peerList)
    .option('--timeout <ms>', 'give up after this long', integer(1, MAX_MS), 30000)
    .option('--expect-ops <n>', 'also require exactly n ops from every actor everywhere, nothing pending', integer(0))
    .option('--tls-ca <file>', 'the actors serve HTTPS with certificates from this CA (PEM)')
    .action(async (o: { count?: number; base?: number; host: string; peers?: string[]; timeout: number; expectOps?: number; tlsCa?: string }, cmd: Command) => {
      const { ca } = tlsOption(cmd, o);
      trustCa(ca);
      let urls: string[];
      if (o.peers !== undefined) urls = o.peers;
      else if (o.count !== undefined && o.base !== undefined) urls = localUrls(o.host, o.base, o.count, ca === null ? 'http' : 'https');
      else usage(cmd, 'expected `--count <n>` and `--base <port>`, or `--peers <urls>`');
      process.exitCode = await verify({ urls, timeoutMs: o.timeout, ...(o.expectOps === undefined ? {} : { expectOps: o.expectOps }) });
    });

  program
    .command('sim')
    .description('one deterministic simulation run: actors, faults and a virtual network, replayable by seed; with --loss, --ops-per-actor or --report, a dissemination experiment')
    .option('--seed <n>', 'seed of the run (default: random, printed)', integer(0, 0xffffffff))
    .option('--actors <n>', `number of actors (default: 3-8, from the seed; with --mutations, 3; a dissemination experiment: up to ${MAX_SPREAD_ACTORS}, default 100)`, integer(1, MAX_SPREAD_ACTORS))
    .option('--mutations <total>', 'a long run: the actors share this many mutations, in bursts, with the actors\' page sizes and compaction, under light faults', integer(1, 10_000_000))
    .option('--loss <p>', 'dissemination experiment: each message is lost with probability p (0 <= p < 1; default 0)', lossRate)
    .option('--ops-per-actor <k>', 'dissemination experiment: each actor makes k mutations at the start (default 1)', integer(1, 10_000))
    .option('--fanout <n>', 'dissemination experiment: gossip fan-out (default 3)', integer(1, MAX_SPREAD_ACTORS))
    .addOption(new Option('--report <format>', 'dissemination experiment: print the result as one JSON line, last').choices(['json']))
    .option('--collect-always', 'accepted for older replay commands: replicas collect tombstones in every run, those where the plan copies a key too')
    .option('--verbose', 'print every event of the run')
    .action((o: SimFlags, cmd: Command) => {
      const seed = o.seed ?? randomInt(0x7fffffff);
      if (o.loss !== undefined || o.opsPerActor !== undefined || o.report !== undefined || o.fanout !== undefined) return spreadCommand(cmd, seed, o);
      if (o.actors !== undefined && o.actors > MAX_SIM_ACTORS) usage(cmd, `option \`--actors <n>\` is invalid: expected at most ${MAX_SIM_ACTORS} in a fault simulation (up to ${MAX_SPREAD_ACTORS} with \`--loss\`, \`--ops-per-actor\` or \`--report\`), got \`${o.actors}\``);
      const result = runSim(seed, {
        ...(o.actors === undefined ? {} : { actors: o.actors }),
        ...(o.mutations === undefined ? {} : { mutations: o.mutations }),
        ...(o.verbose ? { log: (line: string) => console.log(line) } : {}),
      });
      const m = result.messages;
      console.log(`seed ${seed}: ${result.ok ? 'ok' : 'FAILED'}: ${result.message}`);
      console.log(`  ${result.ops} ops, ${result.events} events, messages: ${m.sent} sent, ${m.dropped} dropped, ${m.lost} lost, ${m.duplicated} duplicated`);
      if (o.mutations !== undefined) {
        console.log(`  tombstones: at most ${result.maxTombstones} (${result.genesAtMax} genes live then; at most ${result.maxGenes} live at any time), ${result.tombstones} in the end (${result.genes} genes); ${result.collected} elements collected`);
      }
      if (!result.ok && !o.verbose) console.log(`  replay: ${replayCommand(seed, o.actors, o.mutations)}`);
      process.exitCode = result.ok ? 0 : 1;
    });

  return program;
}

interface SimFlags {
  seed?: number;
  actors?: number;
  mutations?: number;
  loss?: number;
  opsPerActor?: number;
  fanout?: number;
  report?: 'json';
  verbose?: boolean;
}

/** `sim` as a dissemination experiment (`runSpread`): a summary line, and with `--report json` the result as the last line. */
function spreadCommand(cmd: Command, seed: number, o: SimFlags): void {
  if (o.mutations !== undefined) usage(cmd, 'option `--mutations` is for a fault simulation; a dissemination experiment takes `--ops-per-actor <k>`');
  const actors = o.actors ?? 100;
  const fanout = o.fanout ?? DEFAULT_FANOUT;
  if (o.fanout !== undefined) fanoutOption(cmd, fanout, actors);
  const report = runSpread({ actors, loss: o.loss ?? 0, opsPerActor: o.opsPerActor ?? 1, fanout, seed }, (line) => console.log(`seed ${seed}: ${line}`));
  if (o.report === 'json') console.log(JSON.stringify(report));
  process.exitCode = report.converged ? 0 : 1;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

await main(process.argv);
