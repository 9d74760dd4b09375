#!/usr/bin/env node
/**
 * crdt-genome: the command line. The default command runs one actor; `cluster` runs a local
 * cluster; `verify` checks that a cluster converged; `sim` runs a simulation; `repair` mends a store.
 */
import { randomInt } from 'node:crypto';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { Command, CommanderError } from 'commander';
import { runActorProcess } from './actor/run.js';
import { actorOptions, addActorCommandFlags } from './cli/actor-command.js';
import { tlsOption, usage } from './cli/actor-flags.js';
import { registerCluster } from './cli/cluster-command.js';
import { registerRepair } from './cli/repair-command.js';
import { hostName, integer, localUrls, MAX_MS, peerList } from './cli/flags.js';
import { verify } from './cluster/verify.js';
import { MAX_MEMBER } from './crdt/ids.js';
import { replayCommand, runSim } from './sim/index.js';
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
    .description('one deterministic simulation run: actors, faults and a virtual network, replayable by seed')
    .option('--seed <n>', 'seed of the run (default: random, printed)', integer(0, 0xffffffff))
    .option('--actors <n>', 'number of actors (default: 3-8, from the seed; with --mutations, 3)', integer(1, 64))
    .option('--mutations <total>', 'a long run: the actors share this many mutations, in bursts, with the actors\' page sizes and compaction, under light faults', integer(1, 10_000_000))
    .option('--verbose', 'print every event of the run')
    .action((o: { seed?: number; actors?: number; mutations?: number; verbose?: boolean }) => {
      const seed = o.seed ?? randomInt(0x7fffffff);
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
