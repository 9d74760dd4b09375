import type { Piece } from './ContentTree.js';
import type { LogState } from './state.js';

/** The pieces an actor made with one run of consecutive counters, in counter order. */
interface Entry<T> {
  readonly start: number;
  end: number;
  pieces: Piece<T>[];
}

interface Loaded<T> {
  pieces: readonly Piece<T>[];
  owners: ReadonlyMap<number, { owner: Int32Array }>;
  lengths: ArrayLike<number>;
  deletes: LogState['deletes'];
}

/**
 * Finds the piece holding an element by its id. Per actor, entries are appended in counter order
 * (an actor's ops apply in counter order), so they stay sorted without ever moving; a split only
 * adds a piece inside one entry.
 */
export class IdIndex<T> {
  readonly #byActor = new Map<number, Entry<T>[]>();
  /** What a loaded index is built from, on first use (`loaded`); null once built. */
  #from: Loaded<T> | null = null;

  /**
   * The index of loaded `pieces`, built on first use: a replica loaded only to be read never
   * needs it. Given per actor which piece holds each of its counters (`owner[counter]`: 1 + the
   * piece's index in `pieces`; 0 or -1, none) and each piece's length as loaded (the piece may
   * have been split or grown by then), with `deletes` (each actor's, as `LogState`
   * runs, in counter order) to skip a run of deletes at once. Loading checked what the build
   * takes for granted: no element is in two pieces, no delete is an element (`walkTree`,
   * `checkOps`).
   */
  static loaded<T>(pieces: readonly Piece<T>[], owners: ReadonlyMap<number, { owner: Int32Array }>, lengths: ArrayLike<number>, deletes: LogState['deletes']): IdIndex<T> {
    const index = new IdIndex<T>();
    index.#from = { pieces, owners, lengths, deletes };
    return index;
  }

  /** The entries by actor, the loaded ones built first if not yet. */
  #entries(): Map<number, Entry<T>[]> {
    if (this.#from !== null) this.#build(this.#from);
    return this.#byActor;
  }

  /** Per actor, pieces in counter order, read from owner to owner rather than sorted. */
  #build({ pieces, owners, lengths, deletes }: Loaded<T>): void {
    this.#from = null;
    const runsOf = new Map(deletes.map((d) => [d.actor, d.runs]));
    for (const [actor, { owner }] of owners) {
      const entries: Entry<T>[] = [];
      const runs = runsOf.get(actor) ?? [];
      let r = 0;
      let last: Entry<T> | undefined;
      for (let c = 1; c < owner.length; c++) {
        const o = owner[c] as number;
        if (o <= 0) {
          // Skip a run of deletes whole.
          while (r < runs.length && (runs[r] as number) < c) r += 5;
          if (runs[r] === c) c += (runs[r + 1] as number) - 1;
          continue;
        }
        const end = c + (lengths[o - 1] as number);
        const p = pieces[o - 1] as Piece<T>;
        if (last !== undefined && c === last.end) last.pieces.push(p);
        else entries.push((last = { start: c, end, pieces: [p] }));
        last.end = end;
        c = end - 1;
      }
      if (entries.length > 0) this.#byActor.set(actor, entries);
    }
  }

  /**
   * A new piece; its counters come after every element of its actor seen so far. `runsOn`: it
   * continues the run of the actor's newest piece, a tombstone (so it could not grow), and joins
   * that entry, as loading would (see `merge`).
   */
  add(piece: Piece<T>, runsOn = false): void {
    const byActor = this.#entries();
    let entries = byActor.get(piece.actor);
    if (entries === undefined) byActor.set(piece.actor, (entries = []));
    const last = entries[entries.length - 1];
    if (runsOn && last !== undefined) {
      last.pieces.push(piece);
      last.end += piece.length;
    } else entries.push({ start: piece.counter, end: piece.counter + piece.length, pieces: [piece] });
  }

  /** `piece`, the newest of its actor, grew by one element. */
  grew(piece: Piece<T>): void {
    const entries = this.#entries().get(piece.actor) as Entry<T>[];
    (entries[entries.length - 1] as Entry<T>).end++;
  }

  /** `head` was split; `tail` now holds its later elements. */
  split(head: Piece<T>, tail: Piece<T>): void {
    const entry = this.#entry(head.actor, head.counter) as Entry<T>;
    const old = entry.pieces;
    const i = old.indexOf(head) + 1;
    if (old.length >= 16) {
      old.splice(i, 0, tail);
      return;
    }
    // Most entries hold a few pieces: a new array of the exact size, where splice would leave room for sixteen more.
    const pieces = new Array<Piece<T>>(old.length + 1);
    for (let k = 0; k < i; k++) pieces[k] = old[k] as Piece<T>;
    pieces[i] = tail;
    for (let k = i; k < old.length; k++) pieces[k + 1] = old[k] as Piece<T>;
    entry.pieces = pieces;
  }

  /**
   * `tail`, the piece after `head` in counter order, is being folded into it: forget it.
   */
  merge(head: Piece<T>, tail: Piece<T>): void {
    const { pieces } = this.join(head, tail);
    pieces.splice(pieces.indexOf(head) + 1, 1);
  }

  /**
   * Make `head` and `tail`, consecutive pieces of one run about to fold or pass an element on,
   * share an entry; returns it. They nearly always do already: one piece split, or a piece added
   * with `runsOn` (a new piece that continues a run is one typed after a tombstone, else it would
   * have grown it), or entries built by `of`. But a collected sibling may have kept them apart as
   * they arrived, each in an entry of its own: those join, as loading builds them. So whether
   * pieces fold depends on the pieces alone, never on how the index was built.
   */
  join(head: Piece<T>, tail: Piece<T>): Entry<T> {
    const entries = this.#entries().get(head.actor) as Entry<T>[];
    const i = lastAtOrBelow(entries, (e) => e.start, head.counter);
    const entry = entries[i] as Entry<T>;
    if (tail.counter < entry.end) return entry;
    // Entries split an actor's counters between them: the next one starts where this one ends, with `tail`.
    const next = entries[i + 1] as Entry<T>;
    for (const p of next.pieces) entry.pieces.push(p);
    entry.end = next.end;
    entries.splice(i + 1, 1);
    return entry;
  }

  /** Collected `piece` is gone: forget it, and its entry once that holds no piece. */
  remove(piece: Piece<T>): void {
    const entries = this.#entries().get(piece.actor) as Entry<T>[];
    const i = lastAtOrBelow(entries, (e) => e.start, piece.counter);
    const { pieces } = entries[i] as Entry<T>;
    pieces.splice(pieces.indexOf(piece), 1);
    if (pieces.length > 0) return;
    entries.splice(i, 1);
    if (entries.length === 0) this.#byActor.delete(piece.actor);
  }

  /** The piece holding element (actor, counter) and the element's offset in it; undefined if none does (never held, or collected). */
  find(actor: number, counter: number): [Piece<T>, number] | undefined {
    const piece = this.#piece(actor, counter);
    return piece === undefined ? undefined : [piece, counter - piece.counter];
  }

  /** Whether an element (actor, counter) is held: `find` without making its answer. */
  has(actor: number, counter: number): boolean {
    return this.#piece(actor, counter) !== undefined;
  }

  #piece(actor: number, counter: number): Piece<T> | undefined {
    const entry = this.#entry(actor, counter);
    if (entry === undefined) return undefined;
    const piece = entry.pieces[lastAtOrBelow(entry.pieces, (p) => p.counter, counter)] as Piece<T>;
    // An entry keeps the counters its collected pieces had: they are gaps.
    const offset = counter - piece.counter;
    return offset >= 0 && offset < piece.length ? piece : undefined;
  }

  #entry(actor: number, counter: number): Entry<T> | undefined {
    const entries = this.#entries().get(actor);
    if (entries === undefined) return undefined;
    const entry = entries[lastAtOrBelow(entries, (e) => e.start, counter)];
    return entry !== undefined && counter >= entry.start && counter < entry.end ? entry : undefined;
  }
}

/** Index of the last item whose key is at most `x` (0 when none is): `items` sorted by key. */
export function lastAtOrBelow<I>(items: readonly I[], key: (item: I) => number, x: number): number {
  let lo = 0;
  let hi = items.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (key(items[mid] as I) <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
