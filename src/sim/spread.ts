import { syncConfig } from '../actor/sync-config.js';
import { actorId } from '../crdt/ids.js';
import { opsIn } from '../crdt/version.js';
import { genomeList } from '../genome/cluster.js';
import { isGene, type Gene } from '../genome/gene.js';
import { mutate, nextMutation } from '../genome/mutation.js';
import { Rng } from '../genome/Rng.js';
import { MemoryStore, memoryBacking } from '../store/MemoryStore.js';
import type { Reply, Request } from '../sync/messages.js';
import { Replica } from '../sync/Replica.js';
import type { Outgoing } from '../sync/Replicator.js';
import { asked, encodeBinaryPush, encodeBinarySyncReply, encodeBinarySyncRequest } from '../transport/binary-wire.js';
import { nodeFeedCrypto } from '../transport/signing.js';
import { EventQueue } from './EventQueue.js';
import { sharedVerify } from './shared-verify.js';

/** A round: one sync interval of virtual time. */
export const ROUND_MS = 1000;
/** How long a sender waits for an answer that never comes (the actors' is 10 s, at a 1 s interval). */
const TIMEOUT_MS = 500;
/** One-way delay of a message, in virtual ms. */
const DELAY = { min: 5, max: 50 };
/** The largest cluster the experiment runs. */
export const MAX_SPREAD_ACTORS = 1000;
/** A run that has not converged after this many rounds stops and reports so. */
const MAX_ROUNDS = 200;

export interface SpreadPlan {
  readonly actors: number;
  /** Each message (request or answer) is lost with this probability. */
  readonly loss: number;
  readonly opsPerActor: number;
  readonly fanout: number;
  readonly seed: number;
  /** The network heals (loses nothing more) after this many rounds; default never. */
  readonly healAfter?: number;
}

/** The experiment's result, as `sim --report json` prints it (its last line). */
export interface SpreadReport {
  readonly actors: number;
  readonly ops: number;
  readonly converged: boolean;
  /** Rounds from the start until every replica held every op (or until the run gave up). */
  readonly rounds: number;
  /** The most requests one actor sent in one round. */
  readonly maxMessagesPerActorPerRound: number;
  /** Requests sent, per actor and round, on average. */
  readonly messagesPerActorPerRound: number;
  /** Bytes sent (requests and the answers it gave), per actor and round, on average, as the wire encodes them. */
  readonly bytesPerActorPerRound: number;
}

interface Node {
  readonly name: string;
  readonly replica: Replica<Gene>;
  wakeToken: number;
  /** Requests sent, per round. */
  readonly sent: number[];
  bytes: number;
  done: boolean;
}

type Event =
  | { kind: 'mutate'; node: Node }
  | { kind: 'wake'; node: Node; token: number }
  | { kind: 'deliver'; from: Node; to: Node; request: Request<Gene> }
  | { kind: 'reply'; node: Node; peer: string; request: Request<Gene>; reply: Reply<Gene> }
  | { kind: 'fail'; node: Node; peer: string; request: Request<Gene> }
  | { kind: 'behind'; node: Node; peer: string };

/**
 * A dissemination experiment (`crdt-genome sim --actors N --loss p --ops-per-actor k`): N actors,
 * the real replica and sync code, each makes its k mutations at the start, and a network that
 * loses each message with probability p. It runs until every replica holds every op, and counts
 * rounds, requests and bytes per actor and round. No crashes, partitions or late joins: the
 * fault simulation (`Simulation`) is where those are.
 */
export function runSpread(plan: SpreadPlan, log: (line: string) => void = () => undefined): SpreadReport {
  const rng = new Rng(plan.seed);
  const crypto = sharedVerify(nodeFeedCrypto);
  const names = Array.from({ length: plan.actors }, (_, i) => `a${i}`);
  const config = { ...syncConfig(ROUND_MS, plan.actors, 0), fanout: plan.fanout, random: () => rng.next(), peerMembers: new Map(names.map((n, i) => [n, i])) };
  const nodes: Node[] = names.map((name, index): Node => {
    const store = new MemoryStore(actorId(index), memoryBacking<Gene>(rng.bytes(32)), isGene, () => rng.bytes(32));
    const replica = new Replica(store, genomeList(plan.actors), names.filter((n) => n !== name), config, 0, crypto);
    return { name, replica, wakeToken: 0, sent: [], bytes: 0, done: false };
  });
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const total = plan.actors * plan.opsPerActor;
  const queue = new EventQueue<Event>();
  let now = 0;
  let done = 0;

  const healAt = (plan.healAfter ?? Infinity) * ROUND_MS;
  const lost = (): boolean => now < healAt && rng.next() < plan.loss;
  const pump = (node: Node): void => {
    const r = node.replica;
    for (const out of r.poll(now)) send(node, out);
    queue.push(Math.max(now + 1, r.replicator.nextWakeup(now)), { kind: 'wake', node, token: ++node.wakeToken });
  };
  const send = (from: Node, { peer, request }: Outgoing<Gene>): void => {
    const round = Math.floor(now / ROUND_MS);
    from.sent[round] = (from.sent[round] ?? 0) + 1;
    from.bytes += requestBytes(request);
    const to = byName.get(peer) as Node;
    if (lost()) queue.push(now + TIMEOUT_MS, { kind: 'fail', node: from, peer, request });
    else queue.push(now + rng.between(DELAY.min, DELAY.max), { kind: 'deliver', from, to, request });
  };
  const deliver = (from: Node, to: Node, request: Request<Gene>): void => {
    const r = to.replica;
    let reply: Reply<Gene>;
    if (request.type === 'push') {
      const result = r.receivePush(request.from, request.ops, request.proof, now, request.to, request.told);
      // As the actors' outbox takes it: a receiver that holds less of the feed than the sender thought is asked first.
      if (result.status === 'refused' && BEHIND.has(result.code)) return queue.push(now + DELAY.min, { kind: 'behind', node: from, peer: to.name });
      // A full pending set is answered 503, and the push tried again later; anything else is a fault of ours.
      if (result.status === 'full') return queue.push(now + DELAY.min, { kind: 'fail', node: from, peer: to.name, request });
      if (result.status !== 'ok') throw new Error(`${to.name} refused a push from ${from.name}: ${result.status}`);
      reply = { type: 'push' };
    } else {
      reply = { type: 'sync', ...r.serveSync(request.from, request.version, request.state === true, request.report, now, request.fullHeads === true) };
      to.bytes += encodeBinarySyncReply(r.actor, reply, asked(request)).length;
    }
    finished(to);
    // Serving may have made it ask the asker back.
    pump(to);
    if (lost()) queue.push(now + TIMEOUT_MS - DELAY.max, { kind: 'fail', node: from, peer: to.name, request });
    else queue.push(now + rng.between(DELAY.min, DELAY.max), { kind: 'reply', node: from, peer: to.name, request, reply });
  };
  const finished = (node: Node): void => {
    if (node.done || opsIn(node.replica.list.version()) < total || node.replica.list.pendingCount > 0) return;
    node.done = true;
    done++;
  };

  for (const node of nodes) {
    // Each actor's mutations at a moment of the first round, all at once.
    queue.push(rng.int(ROUND_MS), { kind: 'mutate', node });
  }
  while (done < plan.actors && now < MAX_ROUNDS * ROUND_MS) {
    const next = queue.pop();
    if (next === undefined) break;
    now = next.at;
    const e = next.event;
    if (e.kind === 'mutate') {
      e.node.replica.edit((list) => mutate(list, nextMutation(list.length, rng)), plan.opsPerActor);
      finished(e.node);
      pump(e.node);
    } else if (e.kind === 'wake') {
      if (e.token === e.node.wakeToken) pump(e.node);
    } else if (e.kind === 'deliver') {
      deliver(e.from, e.to, e.request);
    } else if (e.kind === 'reply') {
      e.node.replica.onReply(e.peer, e.request, e.reply, now);
      finished(e.node);
      pump(e.node);
    } else if (e.kind === 'behind') {
      e.node.replica.onBehind(e.peer);
      pump(e.node);
    } else {
      e.node.replica.onFailure(e.peer, e.request, now);
      pump(e.node);
    }
  }
  const rounds = Math.ceil(now / ROUND_MS);
  const sent = nodes.flatMap((n) => n.sent.filter((x) => x !== undefined));
  const requests = sent.reduce((a, b) => a + b, 0);
  const bytes = nodes.reduce((a, n) => a + n.bytes, 0);
  const report: SpreadReport = {
    actors: plan.actors,
    ops: total,
    converged: done === plan.actors,
    rounds,
    maxMessagesPerActorPerRound: Math.max(0, ...sent),
    messagesPerActorPerRound: round2(requests / (plan.actors * rounds)),
    bytesPerActorPerRound: Math.round(bytes / (plan.actors * rounds)),
  };
  log(`${plan.actors} actors, ${total} ops, loss ${plan.loss}, fanout ${plan.fanout}: ${report.converged ? `every replica held every op after ${rounds} rounds` : `not converged after ${rounds} rounds (${done} of ${plan.actors} replicas complete)`}`);
  return report;
}

/** What a request weighs on the wire, as the actors send it. */
function requestBytes(request: Request<Gene>): number {
  return request.type === 'push' ? encodeBinaryPush(request.from, request.ops, request.proof, request.to, request.told).length : encodeBinarySyncRequest(request).length;
}

/** Push refusals that mean "ask me first", not a fault. */
const BEHIND = new Set(['gap', 'unknown_feed', 'other_incarnation']);

const round2 = (x: number): number => Math.round(x * 100) / 100;
