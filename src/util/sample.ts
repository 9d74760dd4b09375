/**
 * Up to `n` distinct items drawn uniformly (the first `n` of a random permutation, by a partial
 * Fisher-Yates shuffle); `random` gives numbers in [0, 1). Pure: the caller owns the randomness.
 */
export function sample<T>(items: readonly T[], n: number, random: () => number): T[] {
  const pool = [...items];
  const k = Math.min(n, pool.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
  }
  return pool.slice(0, k);
}
