/**
 * What changed in a list, in index terms: applying a list's events in order to a plain array that
 * held its elements gives its elements again. `local` tells a local edit from a remote op (or one
 * a remote op released from the pending set).
 */
export type ChangeEvent<T> =
  | { readonly type: 'insert'; readonly index: number; readonly values: readonly T[]; readonly local: boolean }
  | { readonly type: 'delete'; readonly index: number; readonly count: number; readonly local: boolean };

export type ChangeListener<T> = (event: ChangeEvent<T>) => void;

type Mutable<E> = { -readonly [K in keyof E]: E[K] };
type Insert<T> = Mutable<Extract<ChangeEvent<T>, { type: 'insert' }>> & { values: T[] };
type Delete<T> = Mutable<Extract<ChangeEvent<T>, { type: 'delete' }>>;

/**
 * A list's listeners and the events of the call under way. Events are queued while a call runs
 * and handed out when it returns, so a listener always sees a consistent list (and one that
 * throws cannot leave the list half-changed); an event that continues the one before (typing on,
 * deleting at one place) grows it instead of queuing another.
 */
export class Changes<T> {
  readonly #listeners = new Set<ChangeListener<T>>();
  readonly #queue: Array<Insert<T> | Delete<T>> = [];
  /** Calls under way that hand out events only when the outermost returns (`insertMany` …). */
  #depth = 0;
  #dispatching = false;

  /** Whether anyone listens: when not, the list computes no index for remote ops. */
  get listening(): boolean {
    return this.#listeners.size > 0;
  }

  listen(listener: ChangeListener<T>): () => void {
    if (typeof listener !== 'function') throw new TypeError(`onChange: listener must be a function, got ${typeof listener}`);
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  inserted(index: number, value: T, local: boolean): void {
    const last = this.#queue[this.#queue.length - 1];
    if (last?.type === 'insert' && last.local === local && index === last.index + last.values.length) last.values.push(value);
    else this.#queue.push({ type: 'insert', index, values: [value], local });
  }

  deleted(index: number, local: boolean): void {
    const last = this.#queue[this.#queue.length - 1];
    if (last?.type === 'delete' && last.local === local && (index === last.index || index === last.index - 1)) {
      last.index = index;
      last.count++;
    } else {
      this.#queue.push({ type: 'delete', index, count: 1, local });
    }
  }

  /** Hold events until the matching `end`. */
  begin(): void {
    this.#depth++;
  }

  end(): void {
    this.#depth--;
    this.flush();
  }

  /**
   * Hand queued events to every listener, unless a call is still under way or events are being
   * handed out already (a listener that edits the list: its events follow, to every listener).
   * A listener that throws does not keep the event from the others; the first error is rethrown.
   */
  flush(): void {
    if (this.#queue.length === 0 || this.#depth > 0 || this.#dispatching) return;
    this.#dispatching = true;
    let failure: { error: unknown } | null = null;
    try {
      for (let event = this.#queue.shift(); event !== undefined; event = this.#queue.shift()) {
        for (const listener of [...this.#listeners]) {
          try {
            listener(event);
          } catch (error) {
            failure ??= { error };
          }
        }
      }
    } finally {
      this.#dispatching = false;
    }
    if (failure !== null) throw failure.error;
  }
}
