import { memberOf, type ActorId } from '../crdt/ids.js';
import { meet, type VersionVector } from '../crdt/version.js';

/**
 * What this replica knows every replica of the cluster holds: the meet of the versions the
 * members last told it (each in its sync requests, through the incarnation it heard from last)
 * and its own. Until every member has been heard from, nothing is stable. Pure; see INTERNALS.md,
 * "Stability".
 */
export class Stability {
  readonly #members: number;
  readonly #self: ActorId;
  /** Per member: the incarnation heard from last, and the version it said it holds. */
  readonly #heard = new Map<number, { actor: ActorId; version: VersionVector }>();

  constructor(self: ActorId, members: number) {
    this.#self = self;
    this.#members = members;
  }

  /**
   * `from` says it holds `version`. A version only grows for one incarnation, so a stale
   * request (reordered) cannot lower it; a member's newer incarnation replaces its older one.
   */
  hear(from: ActorId, version: VersionVector): void {
    const member = memberOf(from);
    if (member >= this.#members || member === memberOf(this.#self)) return;
    const known = this.#heard.get(member);
    if (known !== undefined && known.actor === from) {
      const grown = new Map(known.version);
      for (const [a, n] of version) if (n > (grown.get(a) ?? 0)) grown.set(a, n);
      this.#heard.set(member, { actor: from, version: grown });
    } else this.#heard.set(member, { actor: from, version: new Map(version) });
  }

  /** The ops every member holds, as far as this replica knows, given what it holds itself. */
  stable(own: VersionVector): VersionVector {
    if (this.#heard.size < this.#members - 1) return new Map();
    let v: VersionVector = own;
    for (const { version } of this.#heard.values()) v = meet(v, version);
    return v;
  }
}
