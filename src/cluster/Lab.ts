import { availableParallelism } from 'node:os';
import type { Status } from '../actor/ActorState.js';
import { digest } from '../genome/render.js';
import type { Logger } from '../log.js';
import { request, requestJson } from '../transport/http-client.js';
import type { ActorView, Faults, LabControl, LabEvent, LabSnapshot } from '../web/types.js';
import { mapBounded, POLL_CONCURRENCY } from '../util/bounded.js';
import type { Supervisor } from './Supervisor.js';

export interface LabOptions {
  /** Base URL of actor i. */
  urls: string[];
  /** The actors' admin token. */
  token: string;
  supervisor: Supervisor;
  /** Actors held back at the start (late joiners); started by `restart`. */
  held: ReadonlySet<number>;
  /** Drop rate the actors start with (`--drop-rate`). */
  dropRate: number;
  pollMs: number;
  log: Logger;
}

const HISTORY = 1200;
const EVENTS = 200;
/** An actor busy on a shared machine may take over a second to answer: at 1 s, 64 actors flapped between up and starting. */
const REQUEST_MS = 2000;
/**
 * Actors starting at once, at most: the next starts when one is up, or has had START_WAIT_MS. An
 * actor takes about a second of CPU to start; 64 of them loading at once on two cores all answer
 * late for a minute, and their peers' requests to them time out and back off.
 */
const STARTING_AT_ONCE = Math.max(4, 2 * availableParallelism());
const START_WAIT_MS = 5000;

const noFaults = (dropRate: number): Faults => ({ dropRate, partition: [], pauseMutations: false });
const sameFaults = (a: Faults, b: Faults): boolean => a.dropRate === b.dropRate && a.pauseMutations === b.pauseMutations && a.partition.length === b.partition.length && a.partition.every((x, i) => x === b.partition[i]);

/**
 * The cluster runner's view and control of its actors: it polls every actor's status and genome,
 * keeps the history the dashboard draws, and carries out fault actions through the supervisor
 * (kill, restart, late start) and the actors' admin API (partition, drop rate, pause). The faults
 * it wants are kept per actor and set again when an actor comes back up, so they survive restarts.
 * It also records the highest own op counter it has seen from each actor: ops it must not lose.
 */
export class Lab implements LabControl {
  readonly #opts: LabOptions;
  readonly #started = Date.now();
  readonly #views: ActorView[];
  readonly #wanted: Faults[];
  readonly #held: Set<number>;
  /** Actors to start at the start, as others come up. */
  #queued: number[] = [];
  /** When each actor was last spawned (ms, wall clock). */
  readonly #spawnedAt = new Map<number, number>();
  readonly #observed: number[];
  /** When each actor was last seen to have the faults wanted of it (ms, wall clock); null: not since they changed. */
  readonly #confirmed: Array<number | null>;
  #lastRoundStart = 0;
  /** The digest of the genome each view shows. */
  readonly #genomeDigests: Array<string | null>;
  readonly #history: LabSnapshot['history'] = [];
  readonly #events: LabEvent[] = [];
  readonly #listeners = new Set<(s: LabSnapshot) => void>();
  #lastConvergedAt: number | null = null;
  #wasConverged = false;
  #nemesis = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(opts: LabOptions) {
    this.#opts = opts;
    this.#held = new Set(opts.held);
    this.#wanted = opts.urls.map(() => noFaults(opts.dropRate));
    this.#observed = opts.urls.map(() => 0);
    this.#genomeDigests = opts.urls.map(() => null);
    this.#confirmed = opts.urls.map(() => null);
    this.#views = opts.urls.map((url, id) => ({ id, url, phase: this.#held.has(id) ? 'held' : 'starting', length: null, digest: null, genome: null, version: {}, incarnation: null, equivocations: [], pending: 0, tombstones: 0, stable: {}, storeBytes: 0, lastCompaction: null, mutations: 0, faults: noFaults(opts.dropRate) }));
  }

  /** Start the actors not held back (STARTING_AT_ONCE at a time), and poll them. */
  start(): void {
    this.#queued = this.#views.map((v) => v.id).filter((id) => !this.#held.has(id));
    this.#startQueued();
    void this.#poll();
  }

  #startQueued(): void {
    const now = Date.now();
    const waiting = (v: ActorView): boolean => v.phase === 'starting' && now - (this.#spawnedAt.get(v.id) ?? 0) < START_WAIT_MS;
    for (let starting = this.#views.filter(waiting).length; starting < STARTING_AT_ONCE && this.#queued.length > 0; starting++) this.#spawn(this.#queued.shift() as number);
  }

  #spawn(actor: number): void {
    this.#spawnedAt.set(actor, Date.now());
    this.#opts.supervisor.start(actor);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  set nemesis(running: boolean) {
    this.#nemesis = running;
    this.#changed();
  }

  /** ms since the lab started */
  now(): number {
    return Date.now() - this.#started;
  }

  snapshot(): LabSnapshot {
    return {
      t: this.now(),
      actors: this.#views.map((v) => ({ ...v, version: { ...v.version }, equivocations: [...v.equivocations], faults: { ...v.faults, partition: [...v.faults.partition] } })),
      distinct: this.distinct(),
      lastConvergedAt: this.#lastConvergedAt,
      nemesis: this.#nemesis,
      history: [...this.#history],
      events: [...this.#events],
    };
  }

  subscribe(listener: (s: LabSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Distinct genomes among the actors that are up. */
  distinct(): number {
    return new Set(this.#views.filter((v) => v.phase === 'up').map((v) => v.digest)).size;
  }

  /** Every actor up but those held back. */
  started(): boolean {
    return this.#views.every((v) => v.phase === 'up' || v.phase === 'held');
  }

  /** Every actor up, all with one genome, versions equal, nothing pending. */
  converged(): boolean {
    const [first] = this.#views;
    if (first === undefined) return true;
    const version = JSON.stringify(first.version);
    return this.#views.every((v) => v.phase === 'up' && v.digest === first.digest && v.pending === 0 && JSON.stringify(v.version) === version);
  }

  /** Ops created: per actor, the highest own op counter seen during the run, summed. */
  opsSeen(): number {
    return this.#observed.reduce((a, b) => a + b, 0);
  }

  /** Per actor, its own ops that some actor lacks now (from the last poll). */
  lost(): number {
    return this.#observed.reduce((sum, max, i) => sum + Math.max(0, max - Math.min(...this.#views.map((v) => v.version[String(i)] ?? 0))), 0);
  }

  event(kind: LabEvent['kind'], actors: number[], text: string, level: 'info' | 'error' = 'info'): void {
    this.#events.push({ t: this.now(), kind, actors, text });
    if (this.#events.length > EVENTS) this.#events.shift();
    this.#opts.log[level]({ event: kind, actors }, text);
    this.#changed();
  }

  async kill(actor: number): Promise<void> {
    this.#check(actor);
    if (!this.#opts.supervisor.running(actor)) throw new Error(`actor ${actor} is not running`);
    await this.#opts.supervisor.kill(actor);
    this.event('kill', [actor], `actor ${actor} killed (kill -9)`);
  }

  /** Start a stopped or held actor; a running one is killed first. */
  async restart(actor: number): Promise<void> {
    this.#check(actor);
    const { supervisor } = this.#opts;
    const late = this.#held.delete(actor);
    this.#queued = this.#queued.filter((id) => id !== actor);
    if (supervisor.running(actor)) await supervisor.kill(actor);
    this.#spawn(actor);
    this.#view(actor).phase = 'starting';
    this.event(late ? 'start' : 'restart', [actor], late ? `actor ${actor} joins late` : `actor ${actor} restarted`);
  }

  async partition(groups: number[][]): Promise<void> {
    const all = this.#views.map((v) => v.id);
    for (const id of groups.flat()) this.#check(id);
    const groupOf = new Map<number, number[]>();
    for (const g of groups) for (const id of g) groupOf.set(id, g);
    // An actor in no group is on its own.
    for (const id of all) {
      const mine = groupOf.get(id) ?? [id];
      this.#want(id, { partition: all.filter((x) => !mine.includes(x)) });
    }
    await this.#applyAll();
    this.event('partition', groups.flat(), `partition: ${groups.map((g) => `{${g.join(',')}}`).join(' | ')}`);
  }

  /** Join the partition back into one, leaving drop rates and pauses. */
  async unpartition(): Promise<void> {
    this.#wanted.forEach((_, i) => this.#want(i, { partition: [] }));
    await this.#applyAll();
    this.event('heal', [], 'partition healed');
  }

  async heal(): Promise<void> {
    this.#wanted.forEach((_, i) => this.#want(i, noFaults(0)));
    await this.#applyAll();
    this.event('heal', [], 'healed: no partition, no drops, mutations resumed');
  }

  async setDropRate(actor: number | 'all', rate: number): Promise<void> {
    for (const id of this.#targets(actor)) this.#want(id, { dropRate: rate });
    await this.#applyAll();
    this.event('drop', this.#targets(actor), `drop rate ${rate} on ${actor === 'all' ? 'every actor' : `actor ${actor}`}`);
  }

  async pauseMutations(actor: number | 'all', paused: boolean): Promise<void> {
    for (const id of this.#targets(actor)) this.#want(id, { pauseMutations: paused });
    await this.#applyAll();
    this.event(paused ? 'pause' : 'resume', this.#targets(actor), `mutations ${paused ? 'paused' : 'resumed'} on ${actor === 'all' ? 'every actor' : `actor ${actor}`}`);
  }

  phase(actor: number): ActorView['phase'] {
    this.#check(actor);
    return this.#view(actor).phase;
  }

  /** An actor exited: down, and the exit noted if nobody asked for it. */
  exited(actor: number, how: string, deliberate: boolean): void {
    const view = this.#view(actor);
    view.phase = 'down';
    this.#confirmed[actor] = null;
    if (!deliberate) this.event('exit', [actor], `actor ${actor} exited unexpectedly (${how})`, 'error');
    else this.#changed();
  }

  #check(actor: number): void {
    if (!Number.isInteger(actor) || actor < 0 || actor >= this.#views.length) throw new Error(`no actor ${actor}`);
  }

  #targets(actor: number | 'all'): number[] {
    if (actor === 'all') return this.#views.map((v) => v.id);
    this.#check(actor);
    return [actor];
  }

  #view(actor: number): ActorView {
    return this.#views[actor] as ActorView;
  }

  #want(actor: number, change: Partial<Faults>): void {
    const wanted = { ...(this.#wanted[actor] as Faults), ...change };
    if (sameFaults(wanted, this.#wanted[actor] as Faults)) return;
    this.#wanted[actor] = wanted;
    this.#confirmed[actor] = null;
  }

  /** Set the wanted faults where they are not confirmed yet; actors that are down get them when they come up. */
  async #applyAll(): Promise<void> {
    await Promise.all(this.#views.map((v) => ((v.phase === 'up' || v.phase === 'starting') && this.#confirmed[v.id] === null ? this.#apply(v.id) : undefined)));
  }

  async #apply(actor: number): Promise<void> {
    const view = this.#view(actor);
    const generation = this.#opts.supervisor.generation(actor);
    const wanted = this.#wanted[actor] as Faults;
    try {
      const answer = await requestJson<{ faults: Faults }>(`${view.url}/admin/faults`, {
        method: 'POST',
        body: JSON.stringify(wanted),
        headers: { authorization: `Bearer ${this.#opts.token}` },
        timeoutMs: REQUEST_MS,
      });
      if (generation !== this.#opts.supervisor.generation(actor) || !this.#opts.supervisor.running(actor)) return;
      view.faults = answer.faults;
      if (sameFaults(answer.faults, this.#wanted[actor] as Faults)) this.#confirmed[actor] = Date.now();
    } catch (err) {
      // The next poll tries again.
      this.#opts.log.debug({ actor, err: (err as Error).message }, `could not set faults on actor ${actor}`);
    }
  }

  async #poll(): Promise<void> {
    if (this.#stopped) return;
    const started = Date.now();
    await mapBounded(this.#views, POLL_CONCURRENCY, (v) => this.#pollOne(v));
    this.#lastRoundStart = started;
    this.#afterPoll();
    if (!this.#stopped) this.#timer = setTimeout(() => void this.#poll(), this.#opts.pollMs);
  }

  async #pollOne(view: ActorView): Promise<void> {
    const { supervisor } = this.#opts;
    const generation = supervisor.generation(view.id);
    // An answer from a process that has since been killed (and maybe started again) is dropped.
    const gone = (): boolean => !supervisor.running(view.id) || supervisor.generation(view.id) !== generation;
    if (gone()) return;
    try {
      const status = await requestJson<Status & { faults: Faults }>(`${view.url}/status`, { timeoutMs: REQUEST_MS });
      if (status.digest !== this.#genomeDigests[view.id]) {
        const text = Buffer.from((await request(`${view.url}/genome`, { timeoutMs: REQUEST_MS })).bytes).toString('utf8');
        // The genome may have changed since the status: keep it only if it is the status's one.
        if (!gone() && digest(text) === status.digest) {
          view.genome = text;
          this.#genomeDigests[view.id] = status.digest;
        }
      }
      if (gone()) return;
      const { length, digest: d, version, incarnation, equivocations, pending, tombstones, stable, storeBytes, lastCompaction, mutations, faults } = status;
      Object.assign(view, { phase: 'up', length, digest: d, version, incarnation, equivocations, pending, tombstones, stable, storeBytes, lastCompaction, mutations, faults });
      for (const [id, n] of Object.entries(status.version)) this.#observed[Number(id)] = Math.max(this.#observed[Number(id)] ?? 0, n);
      // Reconcile: an actor that restarted, or missed a change, is given the wanted faults again.
      if (!sameFaults(status.faults, this.#wanted[view.id] as Faults)) {
        this.#confirmed[view.id] = null;
        await this.#apply(view.id);
      } else this.#confirmed[view.id] ??= Date.now();
    } catch {
      if (!gone()) view.phase = 'starting';
    }
  }

  /**
   * Converged on a poll round that began after every actor confirmed the faults wanted of it
   * (a pause of mutations, at the end of a run): nothing made before those took effect is missed.
   */
  settled(): boolean {
    const since = this.#lastRoundStart;
    return this.converged() && this.#confirmed.every((t) => t !== null && t < since);
  }

  #afterPoll(): void {
    this.#startQueued();
    const t = this.now();
    const up = this.#views.filter((v) => v.phase === 'up').length;
    this.#history.push({ t, distinct: this.distinct(), up });
    if (this.#history.length > HISTORY) this.#history.shift();
    const converged = this.converged();
    if (converged) this.#lastConvergedAt = t;
    if (converged && !this.#wasConverged) this.event('converged', [], 'every actor holds the same genome');
    else this.#changed();
    this.#wasConverged = converged;
  }

  #changed(): void {
    const snapshot = this.snapshot();
    for (const listener of this.#listeners) listener(snapshot);
  }
}
