import type { ActorId } from '../crdt/ids.js';
import { capAt, type VersionVector } from '../crdt/version.js';
import type { Feeds, Head } from './Feeds.js';

/**
 * How far each incarnation holds this replica's own feed as it was signed here, as the heads its
 * sync requests carry showed (see INTERNALS.md, "Stability counts branches"). Stability counts a
 * branch, not a length: without this, a member holding a copied key's op at a position would
 * count as holding the author's, which the author could then retire and every replica collect.
 */
export class Vouches<T> {
  readonly #feeds: Feeds<T>;
  /** Per incarnation: the longest prefix of the own feed its heads showed it holds as signed here. */
  readonly #upTo = new Map<ActorId, number>();

  constructor(feeds: Feeds<T>) {
    this.#feeds = feeds;
  }

  /**
   * `version` as `asker` said it, its count of the own feed cut to what the asker's heads showed;
   * `differs`: the asker's head there was signed otherwise, so a copy of this replica's key signed
   * an op it holds (the feed is then suspected, and compared with the asker's from its start).
   */
  claim(asker: ActorId, version: VersionVector, head: Head | undefined): { version: VersionVector; differs: boolean } {
    const self = this.#feeds.self;
    const claimed = version.get(self) ?? 0;
    let upTo = this.#upTo.get(asker) ?? 0;
    let differs = false;
    if (head !== undefined && head.counter === claimed && claimed > upTo) {
      const same = this.#feeds.vouches(head);
      if (same === true) upTo = claimed;
      differs = same === false;
    }
    this.#upTo.set(asker, upTo);
    return { version: capAt(version, self, upTo), differs };
  }
}
