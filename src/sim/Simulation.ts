import { actorId, formatId, idKey, sameId, type ActorId } from '../crdt/ids.js';
import { sameOp, type Op } from '../crdt/ops.js';
import { formatVersion } from '../crdt/version.js';
import { genomeList } from '../genome/cluster.js';
import { isGene, type Gene } from '../genome/gene.js';
import { mutate, nextMutation } from '../genome/mutation.js';
import { Rng } from '../genome/Rng.js';
import { copyBacking, MemoryStore, memoryBacking, type MemoryBacking } from '../store/MemoryStore.js';
import type { Reply, Request } from '../sync/messages.js';
import { Replica } from '../sync/Replica.js';
import type { ReplicaConfig } from '../sync/Replica.js';
import type { Outgoing } from '../sync/Replicator.js';
import { nodeFeedCrypto } from '../transport/signing.js';
import { EventQueue } from './EventQueue.js';
import { CollectWatch } from './collect-watch.js';
import { simConfig } from './config.js';
import { notConverged, frozenFeeds, type Checked } from './convergence.js';
import { expectedOps } from './expected.js';
import { junkPushes, seenFeed } from './junk.js';
import { OpsMade } from './made.js';
import type { Fault, SimPlan } from './plan.js';

/** How long a sender waits for an answer that never comes. */
const TIMEOUT_MS = 2000;
/** After the heal, how long the run may take to go quiet before it counts as a failure. */
const MAX_QUIET_MS = 600_000;

interface SimNode {
  readonly actor: ActorId;
  readonly name: string;
  /** What its store holds; a lost store is a new backing, with a new key: a new incarnation. */
  backing: MemoryBacking<Gene>;
  readonly rng: Rng;
  readonly waits: Rng;
  replica: Replica<Gene> | null;
  /** Bumped by every crash: answers addressed to an earlier life are lost with it. */
  life: number;
  wakeToken: number;
  joined: boolean;
}

type Event =
  | { kind: 'start'; node: SimNode; life: number }
  | { kind: 'wake'; node: SimNode; life: number; token: number }
  | { kind: 'mutate'; node: SimNode; life: number }
  | { kind: 'deliver'; from: SimNode; life: number; to: SimNode; request: Request<Gene>; duplicate: boolean }
  | { kind: 'reply'; node: SimNode; life: number; peer: string; request: Request<Gene>; reply: Reply<Gene> }
  | { kind: 'fail'; node: SimNode; life: number; peer: string; request: Request<Gene>; why: string }
  | { kind: 'behind'; node: SimNode; life: number; peer: string }
  | { kind: 'fault'; fault: Fault }
  | { kind: 'heal-all' }
  | { kind: 'wipe' }
  | { kind: 'check' };

export interface SimResult {
  ok: boolean;
  actors: number;
  /** Why the run failed, or a summary when it passed. */
  message: string;
  virtualMs: number;
  events: number;
  ops: number;
  messages: { sent: number; dropped: number; lost: number; duplicated: number };
  /** Live genes in the end; the most deleted elements any replica still held; elements collected, by every replica. */
  genes: number;
  tombstones: number;
  collected: number;
  /** Sampled after every event: the most deleted elements a replica held at any moment, and its live genes then. */
  maxTombstones: number;
  genesAtMax: number;
  /** The most live genes a replica held at any moment. */
  maxGenes: number;
}

/**
 * One deterministic run: the real list, sync and replica code, driven by a seeded scheduler with
 * a virtual clock and a simulated network that drops, duplicates, delays and reorders messages,
 * partitions actors and heals them; actors crash (keeping only what their store committed),
 * restart, and join late. Every random choice comes from the seed.
 */
export class Simulation {
  readonly #plan: SimPlan;
  readonly #rng: Rng;
  readonly #log: (line: string) => void;
  readonly #queue = new EventQueue<Event>();
  readonly #nodes: SimNode[];
  readonly #config: ReplicaConfig<Gene>;
  /** Every op an honest replica created (a second op with one id is an equivocation), and those signed with a copied key. */
  readonly #made = new OpsMade<Gene>();
  /** Checks every collectable version a replica works out against the ops that exist. */
  readonly #watch = new CollectWatch();
  /** Elements collected, by every replica. */
  #collected = 0;
  /** The plan copies a key (an `equivocate` fault): forks may drop ops its actors have to make again. */
  readonly #keyCopied: boolean;
  #now = 0;
  /** Mutations owed on top of the plan's, by actors that lost their store. */
  readonly #extra: number[] = [];
  #wiped = false;
  #groups: number[] | null = null;
  #healed = false;
  #failure: string | null = null;
  #done = false;
  readonly #messages = { sent: 0, dropped: 0, lost: 0, duplicated: 0 };
  readonly #peak = { tombstones: 0, genesThen: 0, genes: 0 };

  constructor(plan: SimPlan, rng: Rng, log: (line: string) => void = () => undefined) {
    this.#plan = plan;
    this.#rng = rng;
    this.#log = log;
    this.#keyCopied = plan.faults.some((f) => f.kind === 'equivocate');
    this.#nodes = Array.from({ length: plan.actors }, (_, i) => ({
      actor: actorId(i), name: `a${i}`, backing: memoryBacking<Gene>(rng.bytes(32)), rng: new Rng(rng.uint32()), waits: new Rng(rng.uint32()),
      replica: null, life: 0, wakeToken: 0, joined: false,
    }));
    this.#config = simConfig(plan, rng);
  }

  run(): SimResult {
    const p = this.#plan;
    this.#say(`plan: ${p.actors} actors, mutations [${p.mutations.join(' ')}], join at [${p.joinAt.join(' ')}], drop ${p.dropRate.toFixed(2)}, duplicate ${p.duplicateRate.toFixed(2)}, delay ${p.delay.min}-${p.delay.max} ms, heal at ${p.healAt} ms, stores lost at the heal [${p.wipes.join(' ')}], page ${this.#config.maxOps} ops / ${this.#config.maxBytes} bytes, signed points kept ${this.#config.pointSpacing} apart, stores compacted every ${this.#config.snapshots?.every} ops${p.long === undefined ? '' : `, bursts of up to ${p.long.burst} ops`}`);
    for (const node of this.#nodes) this.#queue.push(p.joinAt[node.actor] ?? 0, { kind: 'start', node, life: 0 });
    for (const fault of p.faults) this.#queue.push(fault.at, { kind: 'fault', fault });
    this.#queue.push(p.healAt, { kind: 'heal-all' });
    let events = 0;
    while (!this.#done && this.#failure === null) {
      const next = this.#queue.pop();
      if (next === undefined) {
        this.#failure = 'nothing left to do but not converged';
        break;
      }
      this.#now = next.at;
      events++;
      this.#handle(next.event);
      this.#sample();
    }
    const ops = this.#made.honest.length;
    const genes = this.#nodes[0]?.replica?.list.length ?? 0;
    return {
      ok: this.#failure === null,
      actors: p.actors,
      message: this.#failure ?? `converged: ${p.actors} actors hold ${ops} ops, ${genes} genes, after ${this.#now} virtual ms; collectable grew ${this.#watch.notes} times, always safe; ${this.#collected} elements collected`,
      virtualMs: this.#now,
      events,
      ops,
      messages: { ...this.#messages },
      genes,
      tombstones: Math.max(...this.#nodes.map((n) => n.replica?.list.tombstones ?? 0)),
      collected: this.#collected,
      maxTombstones: this.#peak.tombstones,
      genesAtMax: this.#peak.genesThen,
      maxGenes: this.#peak.genes,
    };
  }

  /** What the replicas hold now, for the run's peaks: memory follows tombstones and live genes. */
  #sample(): void {
    const peak = this.#peak;
    for (const node of this.#nodes) {
      const list = node.replica?.list;
      if (list === undefined) continue;
      if (list.tombstones > peak.tombstones) {
        peak.tombstones = list.tombstones;
        peak.genesThen = list.length;
      }
      peak.genes = Math.max(peak.genes, list.length);
    }
  }

  #handle(e: Event): void {
    switch (e.kind) {
      case 'start':
        if (e.life === e.node.life) this.#start(e.node);
        return;
      case 'wake':
        if (e.life === e.node.life && e.token === e.node.wakeToken) this.#pump(e.node);
        return;
      case 'mutate':
        return this.#mutate(e.node, e.life);
      case 'deliver':
        return this.#deliver(e.from, e.life, e.to, e.request, e.duplicate);
      case 'reply': {
        const r = e.node.replica;
        if (r === null || e.life !== e.node.life) return;
        const outcome = r.onReply(e.peer, e.request, e.reply, this.#now);
        for (const { op, verdict } of outcome.refused) if (!this.#forkRefusal(verdict, op)) this.#fail(`${e.node.name} refused ${formatId(op.id)} from ${e.peer}: ${verdict}`);
        for (const refusal of outcome.refusals) if (!this.#forkRefusal(refusal.code)) this.#fail(`${e.node.name} left out ops of a page from ${e.peer}: ${refusal.message}`);
        // An honest peer's state is taken, unless an author equivocated (the asker holds the other branch).
        if (outcome.state?.taken === false && !this.#keyCopied) this.#fail(`${e.node.name} refused a state from ${e.peer}: ${outcome.state.why}`);
        else if (outcome.state?.taken === false) this.#say(`${e.node.name} refuses a state from ${e.peer}: ${outcome.state.why}`);
        else if (outcome.state?.taken === true) this.#say(`${e.node.name} takes a state of ${outcome.state.ops} ops it lacked (${outcome.state.bytes.length} bytes) from ${e.peer}`);
        this.#pump(e.node);
        return;
      }
      case 'fail':
        if (e.node.replica === null || e.life !== e.node.life) return;
        this.#say(`${e.node.name} → ${e.peer} ${e.request.type} failed: ${e.why}`);
        e.node.replica.onFailure(e.peer, e.request, this.#now);
        this.#pump(e.node);
        return;
      case 'behind':
        if (e.node.replica === null || e.life !== e.node.life) return;
        this.#say(`${e.node.name} → ${e.peer}: the peer holds less of its feed than it said; syncing first`);
        e.node.replica.onBehind(e.peer);
        this.#pump(e.node);
        return;
      case 'fault':
        return this.#fault(e.fault);
      case 'heal-all':
        this.#healed = true;
        this.#groups = null;
        this.#say('heal: no more partitions or drops; every actor up');
        for (const node of this.#nodes) if (node.replica === null) this.#start(node);
        this.#queue.push(this.#now + 1000, { kind: 'check' });
        return;
      case 'wipe':
        return this.#wipe(this.#plan.wipes.map((a) => this.#nodes[a] as SimNode));
      case 'check':
        return this.#check();
    }
  }

  #start(node: SimNode): void {
    if (node.replica !== null) return;
    if (!node.joined) this.#say(`${node.name} joins`);
    else this.#say(`${node.name} restarts with ${stored(node.backing)}`);
    node.joined = true;
    const peers = this.#nodes.filter((n) => n !== node).map((n) => n.name);
    node.replica = this.#replica(node.actor, node.backing, peers);
    this.#pump(node);
    this.#queue.push(this.#now + 1, { kind: 'mutate', node, life: node.life });
  }

  /** A replica of `member` over `backing`, as every actor of the run has (new incarnations' keys drawn from the seed). */
  #replica(member: ActorId, backing: MemoryBacking<Gene>, peers: string[]): Replica<Gene> {
    const store = new MemoryStore(member, backing, isGene, () => this.#rng.bytes(32));
    return new Replica(store, genomeList(this.#plan.actors), peers, this.#config, this.#now, nodeFeedCrypto);
  }

  #crash(node: SimNode, downFor: number): void {
    if (node.replica === null) return;
    this.#say(`${node.name} crashes for ${downFor} ms (keeps ${stored(node.backing)})`);
    node.replica = null;
    node.life++;
    if (!this.#healed) this.#queue.push(this.#now + downFor, { kind: 'start', node, life: node.life });
  }

  /** Down actors lose their stores (a lost data dir), restart, and owe some more mutations. */
  #wipe(nodes: SimNode[]): void {
    for (const node of nodes) {
      this.#crash(node, 0);
      node.backing = memoryBacking(this.#rng.bytes(32));
      this.#say(`${node.name} loses its store`);
      this.#extra[node.actor] = this.#plan.extra;
      this.#start(node);
    }
  }

  #fault(f: Fault): void {
    if (this.#healed) return;
    if (f.kind === 'partition') {
      this.#groups = f.groups;
      this.#say(`partition: ${f.groups.map((g, i) => `a${i}:${g}`).join(' ')}`);
    } else if (f.kind === 'heal') {
      this.#groups = null;
      this.#say('partition healed');
    } else if (f.kind === 'junk') {
      this.#junk(this.#nodes[f.actor] as SimNode, new Rng(f.seed));
    } else if (f.kind === 'equivocate') {
      this.#equivocate(this.#nodes[f.actor] as SimNode, this.#nodes[f.to] as SimNode);
    } else {
      this.#crash(this.#nodes[f.actor] as SimNode, f.downFor);
    }
  }

  /** An attacker's pushes: each must be refused whole, and leave the replica exactly as it was. */
  #junk(node: SimNode, rng: Rng): void {
    const r = node.replica;
    if (r === null) return;
    const holds = (): string => `${formatVersion(r.list.version())} ${r.list.toArray().join(',')} ${[...r.list.pendingOps()].map((op) => idKey(op.id)).sort().join(',')}`;
    for (const push of junkPushes(rng, this.#plan.actors, seenFeed(r))) {
      const before = holds();
      const result = r.receivePush(push.from, push.ops, push.proof);
      this.#say(`junk to ${node.name} (${push.what}): ${result.status}`);
      if (result.status !== 'invalid' && result.status !== 'refused') this.#fail(`${node.name} took junk (${push.what}): ${result.status}`);
      if (holds() !== before) this.#fail(`junk (${push.what}) changed ${node.name}`);
    }
  }

  /**
   * A copy of `node`'s key and store makes another op at the node's next position and pushes its
   * feed to `to`. The node then makes its own op there: the feed forks. The copy runs the same
   * code, so its push says what it was told was retired, as every push does: without that, `to`
   * could edit next to an element others had collected the tombstones around (seed 4,369).
   */
  #equivocate(node: SimNode, to: SimNode): void {
    const r = node.replica;
    const target = to.replica;
    if (r === null || target === null) return;
    const twin = this.#replica(node.actor, copyBacking(node.backing), []);
    const op = twin.edit((list) => list.insert(this.#rng.int(list.length + 1), this.#rng.int(256)))[0] as Op<Gene>;
    const feeds = twin.replicator.feeds;
    // From past what the copy collected of its own feed, as every push does (a peer that lacks it must sync).
    const held = Math.max(target.replicator.feeds.count(twin.actor), twin.list.collected?.get(twin.actor) ?? 0);
    const end = twin.list.nextCounter - 1;
    const result = target.receivePush(twin.actor, twin.list.opsOf(twin.actor, held, end - held), feeds.proof(twin.actor, end), this.#now, undefined, twin.replicator.told);
    // The copy is thrown away: an op its push did not leave anywhere was never made, for the
    // versions replicas must reach (seed 1,807,473,495: a push from past what the copy collected
    // to a peer that never held the feed is refused, \`unknown_feed\`).
    if (result.accepted.some((o) => sameId(o.id, op.id))) this.#made.forge(op);
    const why = result.status === 'refused' ? ` (${result.code})` : '';
    this.#say(`${node.name}'s key, copied, signs ${formatId(op.id)} again, pushed to ${to.name}: ${result.status}${why}`);
  }

  /**
   * Whether an honest replica may refuse honest ops this way: only once a key was copied, and
   * only as the fork shows itself (an equivocation, or a feed that runs on from another branch).
   */
  #forkRefusal(code: string, op?: Op<Gene>): boolean {
    // An op built on one branch names, at a replica holding the other, a position that may hold a delete: `invalid`.
    if (this.#made.forged.length > 0 && ['equivocation', 'bad_signature', 'own_ops', 'invalid', 'invalid_op'].includes(code)) return true;
    // A copy of a store that predates what its author retired since names what was collected:
    // the promise the author's report made is broken, and the op is refused (one forged here).
    return code === 'collected' && op !== undefined && this.#made.forged.some((f) => sameOp(f, op));
  }

  #mutate(node: SimNode, life: number): void {
    const r = node.replica;
    if (r === null || life !== node.life) return;
    const budget = this.#budget(node);
    // Done for now; ops of its own dropped with a fork would leave it owing more.
    if (r.mutations >= budget) {
      if (this.#keyCopied) this.#queue.push(this.#now + 1000, { kind: 'mutate', node, life });
      return;
    }
    // A new incarnation (a lost store, or ops dropped with a fork) waits for every member's answer first.
    if (!r.replicator.mayEdit()) {
      this.#queue.push(this.#now + this.#plan.interval.max + 1, { kind: 'mutate', node, life });
      return;
    }
    const burst = Math.min(this.#plan.long?.burst ?? 1, budget - r.mutations);
    for (const op of r.edit((list) => mutate(list, nextMutation(list.length, node.rng)), burst)) {
      const earlier = this.#made.add(op);
      if (earlier !== undefined && JSON.stringify(earlier) !== JSON.stringify(op)) this.#fail(`${node.name} reused op id ${formatId(op.id)}`);
    }
    this.#pump(node);
    const { min, max } = this.#plan.interval;
    this.#queue.push(this.#now + 1 + node.waits.between(min, max), { kind: 'mutate', node, life });
  }

  #pump(node: SimNode): void {
    const r = node.replica;
    if (r === null) return;
    for (const out of r.poll(this.#now)) this.#send(node, out);
    const token = ++node.wakeToken;
    this.#queue.push(Math.max(this.#now + 1, r.replicator.nextWakeup(this.#now)), { kind: 'wake', node, life: node.life, token });
  }

  #send(from: SimNode, { peer, request }: Outgoing<Gene>): void {
    const to = this.#nodes.find((n) => n.name === peer) as SimNode;
    const fail = (after: number, why: string): void => this.#queue.push(this.#now + after, { kind: 'fail', node: from, life: from.life, peer, request, why });
    this.#say(`${from.name} → ${peer} ${describe(request)}`);
    if (to.replica === null) return fail(1, 'connection refused');
    if (this.#cut(from, to)) return fail(TIMEOUT_MS, 'partitioned');
    if (!this.#healed && this.#rng.next() < this.#plan.dropRate) {
      if (this.#rng.next() < 0.5) {
        // Fault injection at the sender (--drop-rate): discarded, and taken as delivered.
        this.#messages.dropped++;
        this.#say(`  dropped silently`);
        (from.replica as Replica<Gene>).onDropped(peer, request);
        this.#queue.push(this.#now, { kind: 'wake', node: from, life: from.life, token: ++from.wakeToken });
        return;
      }
      this.#messages.lost++;
      return fail(TIMEOUT_MS, 'request lost');
    }
    this.#messages.sent++;
    this.#queue.push(this.#now + this.#delay(), { kind: 'deliver', from, life: from.life, to, request, duplicate: false });
    if (this.#rng.next() < this.#plan.duplicateRate) {
      this.#messages.duplicated++;
      this.#queue.push(this.#now + this.#delay(), { kind: 'deliver', from, life: from.life, to, request, duplicate: true });
    }
  }

  #deliver(from: SimNode, life: number, to: SimNode, request: Request<Gene>, duplicate: boolean): void {
    const fail = (why: string): void => {
      if (!duplicate) this.#queue.push(this.#now + 1, { kind: 'fail', node: from, life, peer: to.name, request, why });
    };
    const r = to.replica;
    if (r === null) return fail('peer went down');
    if (this.#cut(from, to)) return fail('partitioned');
    let reply: Reply<Gene>;
    if (request.type === 'push') {
      const result = r.receivePush(request.from, request.ops, request.proof, this.#now, request.to, request.told);
      if (result.status === 'refused' && (result.code === 'gap' || result.code === 'unknown_feed' || result.code === 'other_incarnation')) {
        // It lost its store since it last told the sender what it holds.
        if (!duplicate) this.#queue.push(this.#now + 1, { kind: 'behind', node: from, life, peer: to.name });
        return;
      }
      if (result.status !== 'ok' && this.#forkRefusal(result.status === 'refused' ? result.code : result.status)) {
        // Refused for good, as the actors' outbox takes a 4xx: not retried; anti-entropy carries the rest.
        if (!duplicate) this.#queue.push(this.#now + this.#delay(), { kind: 'reply', node: from, life, peer: to.name, request, reply: { type: 'push' } });
        return;
      }
      if (result.status === 'equivocation' || result.status === 'invalid' || result.status === 'refused') this.#fail(`${to.name} refused a push from ${from.name}: ${result.message}`);
      if (result.status !== 'ok') return fail(result.status);
      reply = { type: 'push' };
    } else {
      reply = { type: 'sync', ...r.serveSync(request.from, request.version, request.state === true, request.report, this.#now, request.fullHeads === true) };
      this.#watch.note(to.name, this.#now, r.replicator.collectable(this.#now), r.list.version());
      this.#collected += r.replicator.collect(this.#now);
      // Serving may have made a gossiping replica ask its asker back.
      if (r.replicator.gossips) this.#pump(to);
    }
    if (duplicate) return;
    if (!this.#healed && this.#rng.next() < this.#plan.dropRate) {
      this.#messages.lost++;
      this.#queue.push(this.#now + TIMEOUT_MS, { kind: 'fail', node: from, life, peer: to.name, request, why: 'answer lost' });
      return;
    }
    this.#queue.push(this.#now + this.#delay(), { kind: 'reply', node: from, life, peer: to.name, request, reply });
  }

  /** Quiet means: every actor up and done mutating, one genome, one version, nothing pending, no op missing. */
  #check(): void {
    const problem = this.#problem();
    if (problem === null && !this.#wiped && this.#plan.wipes.length > 0) {
      // Quiet: now some actors lose their stores; once what they had in flight has landed, they
      // come back empty, as new incarnations, and mutate on.
      this.#wiped = true;
      for (const actor of this.#plan.wipes) this.#crash(this.#nodes[actor] as SimNode, 0);
      this.#queue.push(this.#now + 1000, { kind: 'wipe' });
      this.#queue.push(this.#now + 2000, { kind: 'check' });
      return;
    }
    if (problem === null) {
      this.#done = true;
      const unsafe = this.#watch.problem(expectedOps(this.#made.all(), this.#frozen()), new Set(this.#made.forged));
      if (unsafe !== null) this.#fail(unsafe);
      return;
    }
    if (this.#now > this.#plan.healAt + MAX_QUIET_MS) return this.#fail(`not quiet ${MAX_QUIET_MS} ms after the heal: ${problem}`);
    this.#queue.push(this.#now + 1000, { kind: 'check' });
  }

  #problem(): string | null {
    return notConverged(this.#checked(), this.#made, this.#frozen());
  }

  #frozen(): Map<ActorId, number> {
    return frozenFeeds(this.#checked());
  }

  #checked(): Checked[] {
    return this.#nodes.map((n) => ({ name: n.name, replica: n.replica, budget: this.#budget(n) }));
  }

  #budget(node: SimNode): number {
    return (this.#plan.mutations[node.actor] ?? 0) + (this.#extra[node.actor] ?? 0);
  }

  #cut(a: SimNode, b: SimNode): boolean {
    return this.#groups !== null && this.#groups[a.actor] !== this.#groups[b.actor];
  }

  #delay(): number {
    return this.#rng.between(this.#plan.delay.min, this.#plan.delay.max);
  }

  #fail(message: string): void {
    this.#failure ??= `t=${this.#now}: ${message}`;
  }

  #say(line: string): void {
    this.#log(`[t=${String(this.#now).padStart(7)}] ${line}`);
  }
}

function describe(request: Request<Gene>): string {
  if (request.type === 'push') return `push ${request.ops.length} ops ${formatId(request.ops[0]?.id ?? null)}…`;
  return `sync ${formatVersion(request.version)}`;
}

/** What a memory store holds, for the run's log. */
const stored = (b: MemoryBacking<Gene>): string => `${b.ops.length} stored ops${b.snapshot === null ? '' : ` and a snapshot of ${b.snapshot.length} bytes`}`;
