/** How many requests a poller has in flight at once: enough to overlap round trips, few enough not to flood a host of 64 actors. */
export const POLL_CONCURRENCY = 8;

/**
 * `fn` over `items`, at most `limit` at a time, results in the items' order. A poller of a large
 * cluster would otherwise open a connection to every actor at once, every round.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
