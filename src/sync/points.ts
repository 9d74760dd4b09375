import type { Chain } from './feed-crypto.js';
import type { SignedPoint } from './feed-types.js';

/** One author's feed as a replica holds it. */
export interface Feed<T> {
  key: Uint8Array | null;
  /** Ops of this feed held and checked against its chain: 1..count. */
  count: number;
  /** The chain after `count` ops. */
  chain: Chain;
  /** Points kept for relaying, at least `spacing` apart, in counter order... */
  spaced: SignedPoint<T>[];
  /** ...and the latest one. */
  latest: SignedPoint<T> | null;
}

/** Keep `point` (the feed's newest) and thin the ones before it to one every `spacing` ops. */
export function keepPoint<T>(feed: Feed<T>, point: SignedPoint<T>, spacing: number): void {
  const spacedEnd = feed.spaced.length === 0 ? 0 : (feed.spaced[feed.spaced.length - 1] as SignedPoint<T>).counter;
  if (feed.latest !== null && point.counter > feed.latest.counter && feed.latest.counter - spacedEnd >= spacing) feed.spaced.push(feed.latest);
  if (feed.latest === null || point.counter >= feed.latest.counter) feed.latest = point;
}

/** The highest point kept at or before `counter`, or undefined. */
export function pointAtOrBefore<T>(feed: Feed<T>, counter: number): SignedPoint<T> | undefined {
  if (feed.latest !== null && feed.latest.counter <= counter) return feed.latest;
  let lo = 0;
  let hi = feed.spaced.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((feed.spaced[mid] as SignedPoint<T>).counter <= counter) lo = mid + 1;
    else hi = mid;
  }
  return feed.spaced[lo - 1];
}
