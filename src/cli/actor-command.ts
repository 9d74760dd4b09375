import { randomInt } from 'node:crypto';
import { Command, Option } from 'commander';
import type { ActorOptions } from '../actor/run.js';
import { actorId, MAX_MEMBER } from '../crdt/ids.js';
import { addActorFlags, clusterKeyOption, fanoutOption, guestsOption, MAX_GUESTS, tlsOption, tokenOption, usage, type MutationFlags } from './actor-flags.js';
import { integer, isLoopback, localUrls, peerIds, peerList } from './flags.js';
import { actorFromHostname, isOwnUrl, type Listening } from './identity.js';

interface ActorFlags extends MutationFlags {
  actor?: number;
  actorFromHostname?: boolean;
  count?: number;
  guests: number;
  base?: number;
  port?: number;
  peers?: string[];
  token?: string;
  clusterKey?: string;
  insecure?: boolean;
}

/**
 * The default command's flags: its own (who this actor is, where it listens, who its peers are, its
 * secrets), then those it shares with `cluster`.
 */
export function addActorCommandFlags(cmd: Command): Command {
  const own = cmd
    .option('-a, --actor <id>', 'this actor\'s id (0 .. count-1)', integer(0, MAX_MEMBER))
    .option('--actor-from-hostname', 'take the actor id from the ordinal ending this host\'s name (a StatefulSet\'s pod genome-7 is actor 7)')
    .option('-c, --count <n>', 'number of actors', integer(1, MAX_MEMBER + 1))
    .option('--guests <k>', 'member slots beyond the actors, for replicas that sync through one (a browser tab, by the lab): members count .. count + k - 1', integer(0, MAX_GUESTS), 0)
    .option('-b, --base <port>', 'actor i listens on base + i', integer(1, 65535))
    .option('--port <port>', 'with --peers, listen on this port instead of base + actor (every actor on its own host may use the same)', integer(1, 65535))
    .option('--peers <url,...>', 'base URLs of the other actors (multi-host; host names are resolved at each connection), in actor-id order', peerList)
    .addOption(new Option('--token <t>', 'enables the admin API (/admin/faults), which then requires it (8+ characters; empty: none)').env('GENOME_TOKEN'))
    .addOption(new Option('--cluster-key <k>', 'replication requests carry, and must carry, an HMAC under this key (16+ characters; shared by every actor)').env('GENOME_CLUSTER_KEY'))
    .option('--insecure', 'serve a non-loopback --host without a cluster key (refused otherwise)');
  return addActorFlags(own);
}

/** The options of one actor from its flags (checked: a usage error exits 2); `hostname` is this machine's name. */
export function actorOptions(cmd: Command, hostname: string): ActorOptions {
  const o = cmd.opts<ActorFlags>();
  const actor = actorNumber(cmd, o, hostname);
  // How the flags name this actor, in messages.
  const named = o.actorFromHostname === true ? `\`--actor-from-hostname\` (host \`${hostname}\`)` : '`--actor`';
  const tls = tlsOption(cmd, o);
  if (o.port !== undefined && o.peers === undefined) usage(cmd, `expected \`--peers <urls>\` with \`--port ${o.port}\`: with \`--count\` and \`--base\`, actor i listens on base + i`);
  if (o.port !== undefined && o.base !== undefined) usage(cmd, `expected \`--port ${o.port}\` or \`--base ${o.base}\`, not both: each sets the port this actor listens on`);
  const port = o.port ?? (o.base === undefined ? usage(cmd, `missing \`--base <port>\`${o.peers === undefined ? '' : ' (or `--port <port>`)'}`) : o.base + actor);
  if (port > 65535) usage(cmd, `expected \`--base\` + ${named} to be a port <= 65535, got \`${port}\``);
  let peers: string[];
  let count: number;
  if (o.peers !== undefined) {
    const { others, ownFound } = othersOf(cmd, o.peers, actor, { host: o.host, port, hostname });
    peers = others;
    const plain = peers.find((u) => u.startsWith('http:'));
    if (tls.server !== null && plain !== undefined) usage(cmd, `expected \`https://\` peers with \`--tls-cert\`, got \`${plain}\``);
    count = peers.length + 1;
    if (o.count !== undefined && o.count !== count) {
      const own = !ownFound && o.count === peers.length ? ` (is this actor's own URL among them? it is one on port ${port} whose host is \`--host\`, loopback, or this machine's name \`${hostname}\`)` : '';
      usage(cmd, `expected \`--count\` to equal the ${peers.length} peers + 1, got \`${o.count}\`${own}`);
    }
  } else {
    if (o.count === undefined) usage(cmd, 'missing `--count <n>` (or `--peers <urls>`)');
    const base = o.base as number; // --port without --peers is refused above
    count = o.count;
    if (base + count - 1 > 65535) usage(cmd, `expected \`--base\` + \`--count\` - 1 to be a port <= 65535, got \`${base + count - 1}\``);
    peers = localUrls(o.host, base, count, tls.server === null ? 'http' : 'https').filter((_, i) => i !== actor);
  }
  if (actor >= count) usage(cmd, `expected ${named} below the actor count ${count}, got \`${actor}\``);
  fanoutOption(cmd, o.fanout, count);
  guestsOption(cmd, o.guests, count);
  const self = actorId(actor);
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
    guests: o.guests,
    interval: o.interval,
    mutations: o.mutations,
    seed: o.seed ?? randomInt(0x7fffffff),
    verifyIntervalMs: o.verifyInterval,
    syncIntervalMs: o.syncInterval,
    fanout: o.fanout,
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

/** `--actor`, or the ordinal of the host name with `--actor-from-hostname` (both: they must agree). */
function actorNumber(cmd: Command, o: ActorFlags, hostname: string): number {
  if (o.actorFromHostname !== true) {
    if (o.actor === undefined) usage(cmd, 'missing `--actor <id>` (or `--actor-from-hostname`)');
    return o.actor;
  }
  const id = actorFromHostname(hostname);
  if (id === null) usage(cmd, `option \`--actor-from-hostname\` cannot read an actor id from host name \`${hostname}\`: expected a name ending in -<id>, id in 0..${MAX_MEMBER} without leading zeros, as a StatefulSet names its pods (genome-7 is actor 7)`);
  if (o.actor !== undefined && o.actor !== id) usage(cmd, `expected \`--actor ${o.actor}\` to agree with \`--actor-from-hostname\`, which reads actor ${id} from host name \`${hostname}\``);
  return id;
}

/**
 * The URLs of `--peers` but this actor's own. Listed with the others, the own URL must stand at
 * this actor's position: the i-th URL is actor i (`peerIds`), and an actor that took its id from its
 * host name must find itself where the others look for it.
 */
function othersOf(cmd: Command, urls: readonly string[], actor: number, self: Listening): { others: string[]; ownFound: boolean } {
  const own = urls.flatMap((u, i) => (isOwnUrl(u, self) ? [i] : []));
  if (own.length > 1) usage(cmd, `expected one URL of this actor's own in \`--peers\`, got \`${own.map((i) => urls[i]).join('` and `')}\``);
  const at = own[0];
  if (at !== undefined && at !== actor) usage(cmd, `expected this actor's own URL at position ${actor} of \`--peers\` (actor ids follow its order), got \`${urls[at]}\` at position ${at}`);
  return { others: urls.filter((_, i) => i !== at), ownFound: at !== undefined };
}
