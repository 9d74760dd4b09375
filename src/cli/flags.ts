import { InvalidArgumentError } from 'commander';
import type { Interval } from '../actor/Mutator.js';
import { actorId, type ActorId } from '../crdt/ids.js';

/** Flag parsers for commander: each throws with the expected form and the value it got. */

/** Longest wait a Node timer can take, in ms. */
export const MAX_MS = 2 ** 31 - 1;
export function integer(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
      throw new InvalidArgumentError(`expected an integer ${range}, got \`${value}\``);
    }
    return n;
  };
}

export function fraction(value: string): number {
  const n = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected a number between 0 and 1, got \`${value}\``);
  return n;
}

/** A probability a message is lost: 0 <= p < 1 (at 1 nothing ever arrives). */
export function lossRate(value: string): number {
  const n = fraction(value);
  if (n === 1) throw new InvalidArgumentError(`expected a number from 0 up to, but not including, 1, got \`${value}\``);
  return n;
}

export function directory(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError(`expected a directory, got \`${value}\``);
  return value;
}

export function interval(value: string): Interval {
  const m = /^(\d+)-(\d+)$/.exec(value.trim());
  const [min, max] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!m || !Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max || max > MAX_MS) {
    throw new InvalidArgumentError(`expected <min>-<max> in ms with 0 <= min <= max <= ${MAX_MS} (e.g. 0-20000), got \`${value}\``);
  }
  return { min, max };
}

export function peerList(value: string): string[] {
  const urls = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (urls.length === 0) throw new InvalidArgumentError(`expected comma-separated base URLs, got \`${value}\``);
  const origins = urls.map((u) => {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new InvalidArgumentError(`expected a base URL like http://10.0.0.2:8001, got \`${u}\``);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search !== '' || url.hash !== '') {
      throw new InvalidArgumentError(`expected a base URL like http://10.0.0.2:8001, got \`${u}\``);
    }
    return url.origin;
  });
  const twice = origins.find((o, i) => origins.indexOf(o) !== i);
  if (twice !== undefined) throw new InvalidArgumentError(`expected distinct base URLs, got \`${twice}\` twice`);
  return origins;
}

export function hostName(value: string): string {
  if (value.trim() === '' || /[\s/]/.test(value)) throw new InvalidArgumentError(`expected a host address, got \`${value}\``);
  return value;
}

/** Whether binding `host` serves this machine only (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The address peers on this machine use to reach a server bound to `host`. */
export function reachableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Base URLs of actors 0..count-1 on one host. */
export function localUrls(host: string, base: number, count: number, scheme: 'http' | 'https' = 'http'): string[] {
  return Array.from({ length: count }, (_, i) => `${scheme}://${reachableHost(host)}:${base + i}`);
}

/**
 * The admin token: empty means none. It travels in an `Authorization` header, so it is printable
 * ASCII without spaces; 8 characters at least. The message never repeats the value: it is a secret.
 */
export function token(value: string): string | null {
  if (value === '') return null;
  if (!/^[\x21-\x7e]*$/.test(value)) throw new InvalidArgumentError('expected printable ASCII characters without spaces (value not shown)');
  if (value.length < 8) throw new InvalidArgumentError(`expected at least 8 characters, got ${value.length} (value not shown)`);
  return value;
}

/**
 * The actor ids of an actor's peers, from their URLs in actor-id order (this actor's own left out):
 * 0, 1, 2, ..., skipping `self`. With `--count/--base` that is the actor on port `base + id`; with
 * `--peers`, the position in the list the user gave when it lists every actor, own URL included.
 */
export function peerIds(peers: readonly string[], self: ActorId): Map<string, ActorId> {
  return new Map(peers.map((url, i) => [url, actorId(i < self ? i : i + 1)]));
}
