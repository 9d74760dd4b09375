import { memberOf, type ActorId } from '../crdt/ids.js';
import { capAt, meet, type VersionVector } from '../crdt/version.js';
import type { RetireReport } from './messages.js';

/** What may be collected, and the incarnations whose reports (or settling) it rests on. */
export interface Collectable {
  readonly version: VersionVector;
  readonly counted: readonly ActorId[];
}

/** Reports kept per incarnation, waiting for the collector to hold their `own` ops. */
const MAX_REPORTS = 8;

/**
 * What this replica knows of the others (pure; see INTERNALS.md, "Stability in the running
 * system"):
 *
 * - **stable**: the meet of the versions the members heard last told it (each in its sync
 *   requests, through its current incarnation) and its own. A member never heard from is not
 *   waited for: whatever it comes to hold, it is told what was retired before it may edit
 *   (`Replicator.mayEdit`); but of this replica's own feed nothing is stable while a member it
 *   knows of was never heard, or before it heard a majority (`#ownFeedWaits`).
 * - **collectable**: the meet of the retire reports of every incarnation that may still make or
 *   relay an op this replica lacks, each taken at its latest report whose own ops it holds (so
 *   no op it lacks can name what that report retired). Those are the ones it holds ops of, has
 *   heard from, or any report heard says its author had heard from. A *dead* incarnation (another of its
 *   member's holds ops of it, so came after it; or, having made no op, another of its member's
 *   spoke after it and it stayed silent `settleMs`) stops counting once it is *settled*:
 *   `settleMs` after that was first seen, every incarnation heard and not dead has said, in a
 *   request heard after that, that it holds no more of it than this replica does. Its ops that
 *   any replica holds are then all here.
 */
export class Stability {
  readonly #members: number;
  /** Members 0 .. voters - 1 are the cluster's own; those from `voters` on are guests (see `collectable`). */
  readonly #voters: number;
  readonly #self: ActorId;
  readonly #settleMs: number;
  /** Per member: the incarnation heard from last (its word is in `#claims`). */
  readonly #heard = new Map<number, ActorId>();
  /** Per incarnation heard: the most it said it holds, and when it last said so. */
  readonly #claims = new Map<ActorId, { version: VersionVector; at: number }>();
  /** Incarnations known to have a successor, and when the successor was first heard. */
  readonly #dead = new Map<ActorId, number>();
  /** Per incarnation: its retire reports, oldest first, `own` growing. */
  readonly #reports = new Map<ActorId, RetireReport[]>();
  /** Incarnations some report heard says its author had heard from, and when first mentioned. */
  readonly #mentioned = new Map<ActorId, number>();

  constructor(self: ActorId, members: number, settleMs = 30_000, voters = members) {
    this.#self = self;
    this.#members = members;
    this.#voters = Math.min(voters, members);
    this.#settleMs = settleMs;
  }

  /**
   * `from` says it holds `version` (and, if it says, what it retired), at `now`. A version only
   * grows for one incarnation, so a stale request (reordered) cannot lower it. For what is
   * stable, a member's other incarnation replaces the one heard before. An incarnation is known
   * dead only on evidence: another of its member's holds ops of it, so came after it (a late
   * request of an old incarnation, heard after its successor, proves nothing of the kind). A
   * dead one's later requests change nothing.
   */
  hear(from: ActorId, version: VersionVector, report?: RetireReport, now = 0): void {
    const member = memberOf(from);
    if (member >= this.#members || from === this.#self || this.#dead.has(from)) return;
    if (report !== undefined) {
      this.#report(from, report);
      for (const a of report.heard ?? []) if (memberOf(a) < this.#members && !this.#mentioned.has(a)) this.#mentioned.set(a, now);
    }
    for (const [a, n] of version) if (n > 0 && a !== from && memberOf(a) === member && !this.#dead.has(a)) this.#dead.set(a, now);
    const claim = this.#claims.get(from);
    const grown = new Map(claim?.version ?? []);
    for (const [a, n] of version) if (n > (grown.get(a) ?? 0)) grown.set(a, n);
    this.#claims.set(from, { version: grown, at: now });
    if (member !== memberOf(this.#self)) this.#heard.set(member, from);
  }

  /**
   * A restart: the incarnations heard before it (`Knowledge.heard`, oldest first) are waited for
   * again, as holding nothing, until they speak. Forgetting them would let this replica take for
   * stable what only the members heard since hold: one that holds another branch of its own feed
   * (a copied key's op, which its heads had shown) would no longer hold that back (seed 101,082).
   */
  remember(heard: readonly ActorId[], now: number): void {
    for (const actor of heard) {
      const member = memberOf(actor);
      if (member >= this.#members || member === memberOf(this.#self) || this.#dead.has(actor)) continue;
      if (!this.#claims.has(actor)) this.#claims.set(actor, { version: new Map(), at: now });
      this.#heard.set(member, actor);
    }
  }

  /** The ops every member holds, as far as this replica knows, given what it holds itself. */
  stable(own: VersionVector): VersionVector {
    let v: VersionVector = own;
    for (const actor of this.#heard.values()) v = meet(v, this.#claims.get(actor)?.version ?? new Map());
    return this.#ownFeedWaits(own) ? capAt(v, this.#self, 0) : v;
  }

  /**
   * Whether the author counts nothing of its own feed stable yet. It counts only what members'
   * heads showed they hold as it signed it, and a member it did not hear may hold a copied key's
   * op there. So it waits, as for one holding nothing:
   * - for a member of the cluster known here (it made an op held here, or a report heard names
   *   it) but never heard (seed 100,962);
   * - until it heard a majority of the members, itself among them: a group it never heard of
   *   (the other side of a partition) may hold the copy's branch, and had the author collected
   *   below it, the fork could never be proven (seed 1,710,384,477). Two majorities share a
   *   member, whose head shows one branch or the other.
   * One nobody knows of yet (a late joiner) is not waited for otherwise: it is told what was
   * retired before it may edit. Only the cluster's members ask each other: a guest (a browser
   * tab) hears none, and waits for none.
   */
  #ownFeedWaits(own: VersionVector): boolean {
    const selfMember = memberOf(this.#self);
    if (selfMember >= this.#voters) return false;
    let heard = 1;
    for (const m of this.#heard.keys()) if (m < this.#voters && m !== selfMember) heard++;
    if (heard * 2 <= this.#voters) return true;
    for (const actor of [...own.keys(), ...this.#mentioned.keys()]) {
      const m = memberOf(actor);
      if (m < this.#voters && m !== selfMember && !this.#heard.has(m)) return true;
    }
    return false;
  }

  /**
   * The deletes whose targets no op this replica lacks can name, given what it holds and its own
   * report: null while some incarnation that counts has no report it can use.
   */
  collectable(held: VersionVector, own: RetireReport, now: number): Collectable | null {
    // Every incarnation that made an op held here, was heard from, or was heard from by one whose
    // report was heard, counts, but this one: any of them may hold what it was sent.
    const authors = new Set<ActorId>([...held.keys(), ...this.#claims.keys(), ...this.#reports.keys(), ...this.#mentioned.keys()]);
    authors.delete(this.#self);
    // A majority of the members must be known, by some incarnation: two groups that never heard
    // of each other (members that joined on either side of a partition) would each collect what
    // the other never held, and then neither could take the other's state nor be sent its ops
    // (seed 1682). Two majorities share a member, whose reports bound what both collect. Guests
    // (a browser tab) are not counted: a lab none ever joins must still collect, and a guest
    // syncs through a member of the cluster, so it is in that member's group.
    const known = new Set([...authors].map(memberOf).filter((m) => m < this.#voters));
    if (memberOf(this.#self) < this.#voters) known.add(memberOf(this.#self));
    if (known.size * 2 <= this.#voters) return null;
    let c: VersionVector = own.retired;
    for (const actor of authors) {
      // This member's other incarnations came before this one: dead since it began.
      if (memberOf(actor) === memberOf(this.#self) && !this.#dead.has(actor)) this.#dead.set(actor, now);
      if (!this.#dead.has(actor) && this.#vanished(actor, held, now)) this.#dead.set(actor, now);
      if (this.#settled(actor, held, now)) continue;
      const usable = this.#usable(actor, held.get(actor) ?? 0);
      if (usable === null) return null;
      c = meet(c, usable.retired);
    }
    return { version: c, counted: [this.#self, ...authors] };
  }

  #report(from: ActorId, report: RetireReport): void {
    const list = this.#reports.get(from) ?? [];
    const last = list[list.length - 1];
    // One incarnation's reports only grow (what it retired is stored before it says so): a
    // reordered older one is not news; a newer one at the same own count replaces it.
    if (last !== undefined && report.own < last.own) return;
    if (last !== undefined && report.own === last.own) list.pop();
    list.push({ own: report.own, retired: new Map(report.retired) });
    // Over the bound, drop the report whose neighbours are closest, never the oldest or the
    // newest: those kept stay spread over the whole range, so the latest one whose own ops are
    // held is never far behind them. (Dropping the oldest left none usable where an author's
    // reports run many ahead of its ops, as a fast author's do: collection stopped.)
    if (list.length > MAX_REPORTS) {
      const gap = (i: number): number => (list[i + 1] as RetireReport).own - (list[i - 1] as RetireReport).own;
      let drop = 1;
      for (let i = 2; i < list.length - 1; i++) if (gap(i) < gap(drop)) drop = i;
      list.splice(drop, 1);
    }
    this.#reports.set(from, list);
  }

  /** The latest report of `actor` whose own ops (up to `own`) are all held here, dropping older ones. */
  #usable(actor: ActorId, held: number): RetireReport | null {
    const list = this.#reports.get(actor);
    if (list === undefined) return null;
    let i = -1;
    while (i + 1 < list.length && (list[i + 1] as RetireReport).own <= held) i++;
    if (i < 0) return null;
    if (i > 0) list.splice(0, i);
    return list[0] as RetireReport;
  }

  /**
   * Whether `actor` died before making an op: no op of it is held here or said held anywhere, it
   * has said nothing for `settleMs`, and another incarnation of its member spoke after its last
   * word (its first mention, if it never spoke here). With no op of it anywhere there is no other
   * evidence that it came first; a live one speaks every sync interval, far more often.
   */
  #vanished(actor: ActorId, held: VersionVector, now: number): boolean {
    if ((held.get(actor) ?? 0) > 0 || (this.#reports.get(actor) ?? []).some((r) => r.own > 0)) return false;
    const last = this.#claims.get(actor)?.at ?? this.#mentioned.get(actor);
    if (last === undefined || now < last + this.#settleMs) return false;
    let successor = false;
    for (const [who, c] of this.#claims) {
      if ((c.version.get(actor) ?? 0) > 0) return false;
      if (who !== actor && memberOf(who) === memberOf(actor) && !this.#dead.has(who) && c.at > last) successor = true;
    }
    return successor;
  }

  /**
   * A dead incarnation whose ops, as far as every incarnation heard and not known dead holds
   * them, are all here: each said so in a request heard `settleMs` after it was known dead.
   */
  #settled(actor: ActorId, held: VersionVector, now: number): boolean {
    const since = this.#dead.get(actor);
    if (since === undefined || now < since + this.#settleMs) return false;
    const mine = held.get(actor) ?? 0;
    for (const [who, c] of this.#claims) {
      if (this.#dead.has(who)) continue;
      if (c.at < since + this.#settleMs || (c.version.get(actor) ?? 0) > mine) return false;
    }
    return true;
  }
}
