import { randomInt } from 'node:crypto';
import { Command, Option } from 'commander';
import type { ActorOptions } from '../actor/run.js';
import { actorId, MAX_MEMBER } from '../crdt/ids.js';
import { clusterKeyOption, tlsOption, tokenOption, usage, type MutationFlags } from './actor-flags.js';
import { integer, isLoopback, localUrls, peerIds, peerList, reachableHost } from './flags.js';

/** The default command's own flags: who this actor is, where its peers are, its secrets. */
export function addActorCommandFlags(cmd: Command): Command {
  return cmd
    .option('-a, --actor <id>', 'this actor\'s id (0 .. count-1)', integer(0, MAX_MEMBER))
    .option('-c, --count <n>', 'number of actors', integer(1, MAX_MEMBER + 1))
    .option('-b, --base <port>', 'actor i listens on base + i', integer(1, 65535))
    .option('--peers <url,...>', 'base URLs of the other actors (multi-host), in actor-id order', peerList)
    .addOption(new Option('--token <t>', 'enables the admin API (/admin/faults), which then requires it (8+ characters; empty: none)').env('GENOME_TOKEN'))
    .addOption(new Option('--cluster-key <k>', 'replication requests carry, and must carry, an HMAC under this key (16+ characters; shared by every actor)').env('GENOME_CLUSTER_KEY'))
    .option('--insecure', 'serve a non-loopback --host without a cluster key (refused otherwise)');
}

/** The options of one actor from its flags (checked: a usage error exits 2). */
export function actorOptions(cmd: Command): ActorOptions {
  const o = cmd.opts<MutationFlags & { actor?: number; count?: number; base?: number; peers?: string[]; token?: string; clusterKey?: string; insecure?: boolean }>();
  if (o.actor === undefined) usage(cmd, 'missing `--actor <id>`');
  if (o.base === undefined) usage(cmd, 'missing `--base <port>`');
  let peers: string[];
  let count: number;
  const port = o.base + o.actor;
  const tls = tlsOption(cmd, o);
  if (port > 65535) usage(cmd, `expected \`--base\` + \`--actor\` to be a port <= 65535, got \`${port}\``);
  if (o.peers !== undefined) {
    const own = new Set([o.host, reachableHost(o.host), 'localhost', '127.0.0.1'].map((h) => `${h}:${port}`));
    peers = o.peers.filter((u) => !own.has(new URL(u).host));
    const plain = peers.find((u) => u.startsWith('http:'));
    if (tls.server !== null && plain !== undefined) usage(cmd, `expected \`https://\` peers with \`--tls-cert\`, got \`${plain}\``);
    count = peers.length + 1;
    if (o.count !== undefined && o.count !== count) usage(cmd, `expected \`--count\` to equal the ${peers.length} peers + 1, got \`${o.count}\``);
  } else {
    if (o.count === undefined) usage(cmd, 'missing `--count <n>` (or `--peers <urls>`)');
    count = o.count;
    if (o.base + count - 1 > 65535) usage(cmd, `expected \`--base\` + \`--count\` - 1 to be a port <= 65535, got \`${o.base + count - 1}\``);
    peers = localUrls(o.host, o.base, count, tls.server === null ? 'http' : 'https').filter((_, i) => i !== o.actor);
  }
  if (o.actor >= count) usage(cmd, `expected \`--actor\` below the actor count ${count}, got \`${o.actor}\``);
  const self = actorId(o.actor);
  const clusterKey = clusterKeyOption(cmd, o.clusterKey);
  // As Redis's protected mode: a public address without a key would let anyone who reaches it write.
  if (clusterKey === null && o.insecure !== true && !isLoopback(o.host)) {
    usage(cmd, `expected \`--cluster-key <k>\` (or env \`GENOME_CLUSTER_KEY\`) to serve \`--host ${o.host}\`, which is not loopback: without a key anyone who reaches it can send ops (\`--insecure\` serves it anyway)`);
  }
  return {
    actor: self,
    host: o.host,
    port,
    peers,
    peerIds: peerIds(peers, self),
    interval: o.interval,
    mutations: o.mutations,
    seed: o.seed ?? randomInt(0x7fffffff),
    verifyIntervalMs: o.verifyInterval,
    syncIntervalMs: o.syncInterval,
    compactEvery: o.compactEvery,
    collect: o.collect,
    dropRate: o.dropRate,
    token: tokenOption(cmd, o.token),
    clusterKey,
    insecure: o.insecure === true,
    tls,
    dataDir: o.memory === true ? null : o.dataDir,
    logLevel: o.logLevel,
  };
}

