import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';

/**
 * Open connections allowed whatever the fd limit: far more than a cluster's peers, tools and
 * dashboards use, and above the listen backlog (511), so one burst of accepts cannot displace a
 * connection whose request is already on its way.
 */
export const MAX_CONNECTIONS = 1000;
/** File descriptors kept for everything else: the store (database, WAL, shared memory), stdio and logs, libuv's own, outgoing sockets (4 per peer). */
export const FD_RESERVE = 256;
/** Assumed when the limit cannot be read (no /proc): the usual soft limit. */
export const DEFAULT_FD_LIMIT = 1024;
/** Evictions are logged at most this often: a flood must not flood the log too. */
const WARN_EVERY_MS = 10_000;

/** This process's soft limit on open files (Node raises it to the hard limit at start). */
export function fdLimit(): number {
  try {
    const soft = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    if (soft === 'unlimited') return Number.MAX_SAFE_INTEGER;
    const n = Number(soft);
    return Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_FD_LIMIT;
  } catch {
    return DEFAULT_FD_LIMIT;
  }
}

/** The connection cap under an fd limit: FD_RESERVE below it (at most half of a small limit), never over MAX_CONNECTIONS. */
export function connectionCap(limit: number): number {
  return Math.min(MAX_CONNECTIONS, Math.max(limit - FD_RESERVE, Math.floor(limit / 2)));
}

/**
 * Keeps at most `cap` connections open. A new connection that goes over the cap closes the one
 * idle the longest: connected without complete request headers yet (a slowloris), or kept alive
 * between requests. A connection with a request in progress is never closed here (the request
 * timeout bounds it). So a client that sends its request at once keeps being served while idle
 * sockets displace each other; when every other connection is busy, the new one is closed. Unlike
 * `server.maxConnections`, N idle sockets cannot lock everyone else out.
 */
export function guardConnections(server: Server, cap: number, log: Logger): void {
  const idle = new Set<Socket>(); // in the order they became idle: the oldest first
  const busy = new Map<Socket, number>(); // requests in progress on each
  let evicted = 0;
  let warnedAt = -Infinity;

  server.on('connection', (socket: Socket) => {
    idle.add(socket);
    socket.once('close', () => {
      idle.delete(socket);
      busy.delete(socket);
    });
    while (idle.size + busy.size > cap) {
      const oldest = idle.values().next().value; // at worst the new one, which is idle
      if (oldest === undefined) break;
      idle.delete(oldest);
      oldest.destroy();
      evicted++;
    }
    if (evicted > 0 && Date.now() - warnedAt >= WARN_EVERY_MS) {
      log.warn({ evicted, cap }, `closed ${evicted} idle connection(s) to stay within ${cap} open connections`);
      warnedAt = Date.now();
      evicted = 0;
    }
  });

  // Before the application's handler, so a response that ends at once is seen ending.
  server.prependListener('request', (req, res) => {
    // Over HTTPS a request comes on the TLS socket wrapping the accepted one, which is what is counted.
    const socket = (req.socket as Socket & { _parent?: Socket })._parent ?? req.socket;
    idle.delete(socket);
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (busy.get(socket) ?? 1) - 1;
      if (left > 0) return void busy.set(socket, left);
      busy.delete(socket);
      if (!socket.destroyed) idle.add(socket); // now the newest idle one
    });
  });
}
