import { MAX_MEMBER } from '../crdt/ids.js';
import { reachableHost } from './flags.js';

/**
 * Which actor this process is, and which URL of `--peers` is its own, for a deployment whose
 * actors share one command line (a Kubernetes StatefulSet's pods, a compose file's services).
 */

/**
 * The actor id at the end of a host name, as a StatefulSet names its pods `<name>-<ordinal>`:
 * `genome-7` → 7 (only the first label counts: `genome-7.genome.default.svc` → 7). Null for a
 * name without an ordinal, with a leading zero (no pod is named so), or above the highest id.
 */
export function actorFromHostname(name: string): number | null {
  const label = name.split('.')[0] ?? '';
  const m = /^[^-]\S*-(0|[1-9]\d{0,5})$/.exec(label);
  const id = m === null ? NaN : Number(m[1]);
  return id <= MAX_MEMBER ? id : null;
}

/** Where this actor listens, and the name of the machine it runs on (`os.hostname()`). */
export interface Listening {
  host: string;
  port: number;
  hostname: string;
}

/**
 * Whether a base URL names this actor: its port is the one this actor listens on, and its host is
 * the address it binds, a loopback name, or this machine's name, alone or as the first label of
 * a longer one (`genome-7.genome` in the pod `genome-7`, where every pod listens on one port).
 */
export function isOwnUrl(base: string, self: Listening): boolean {
  const url = new URL(base);
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (port !== self.port) return false;
  const host = url.hostname.toLowerCase();
  const machine = self.hostname.toLowerCase().split('.')[0] ?? '';
  const own = [self.host, reachableHost(self.host), 'localhost', '127.0.0.1'].map((h) => h.toLowerCase());
  return own.includes(host) || (machine !== '' && (host === machine || host.startsWith(`${machine}.`)));
}
