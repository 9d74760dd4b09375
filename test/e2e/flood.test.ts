import { existsSync, readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionCap, fdLimit } from '../../src/transport/connection-guard.js';
import { requestJson } from '../../src/transport/http-client.js';
import { freeBase, killAll, startCli, waitFor } from '../helpers/processes.js';

const IDLE = 2000;
const SLOW = 200;
const FLOOD_MS = 6000;
/** Connections the flood may open in all, reconnects included: well inside the ephemeral port range. */
const BUDGET = 20_000;
/** Descriptors this process keeps for everything but the flood. */
const OWN_FDS = 500;

interface Status {
  version: Record<string, number>;
}

const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
const randomMs = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min));

type Kind = 'idle' | 'slowloris' | 'slow-body';
/** Request headers that never end. */
const SLOWLORIS = 'GET /status HTTP/1.1\r\nHost: flood\r\nX-Padding: ';
/** Complete headers, so a request is in progress; the body then never arrives in full. */
const SLOW_BODY_HEAD = 'POST /genome HTTP/1.1\r\nHost: flood\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n';

/**
 * Idle sockets, slowloris senders (headers one byte at a time) and slow bodies (`POST /genome`,
 * one body byte at a time), slow senders writing every 100-500 ms; whatever the server closes is
 * opened again a little later, within the budget.
 */
function flood(port: number, idle: number, slow: number) {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const stats = { opened: 0, closedByServer: 0 };
  let running = true;
  const open = (kind: Kind): void => {
    if (!running || stats.opened >= BUDGET) return;
    stats.opened++;
    const socket = connect(port, '127.0.0.1');
    sockets.add(socket);
    socket.on('error', () => undefined);
    if (kind === 'slow-body') socket.write(SLOW_BODY_HEAD);
    let sent = 0;
    const drip = kind === 'idle' ? null : setInterval(() => socket.write(kind === 'slowloris' ? (SLOWLORIS[sent++] ?? 'p') : '['), randomMs(100, 500));
    if (drip !== null) timers.add(drip);
    socket.once('close', () => {
      sockets.delete(socket);
      if (drip !== null) clearInterval(drip);
      if (!running) return;
      stats.closedByServer++;
      timers.add(setTimeout(() => open(kind), randomMs(200, 1000)));
    });
  };
  for (let i = 0; i < idle; i++) open('idle');
  for (let i = 0; i < slow; i++) open(i % 2 === 0 ? 'slowloris' : 'slow-body');
  return {
    stats,
    open: () => sockets.size,
    stop(): void {
      running = false;
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
    },
  };
}

let stopFlood = (): void => undefined;
afterAll(() => {
  stopFlood();
  killAll();
});

// The flood needs descriptors of its own: shrink it under a low limit, skip it under a tiny one.
const idleSockets = Math.min(IDLE, fdLimit() - SLOW - OWN_FDS);
/** The flooded actor runs with the usual soft limit on open files, which the flood alone exceeds. */
const ACTOR_FDS = 1024;
const cap = connectionCap(ACTOR_FDS);

describe('a flood of connections', () => {
  it.skipIf(!existsSync('/proc/self/fd') || idleSockets < 200)(
    'leaves an actor answering, replicating, and with its fds back afterwards',
    async () => {
      const base = await freeBase(2);
      const url = (i: number) => `http://127.0.0.1:${base + i}`;
      const actors = [0, 1].map((i) =>
        startCli(['-a', String(i), '-c', '2', '-b', String(base), '--memory', '--interval', '20-50', '--sync-interval', '300', '--verify-interval', '1000', '--seed', String(7 + i)], {}, ACTOR_FDS),
      );
      const pid = actors[0]?.child.pid as number;
      const status = (i: number) => requestJson<Status>(`${url(i)}/status`);
      const heard = async (from: number, of: number): Promise<number> => (await status(from)).version[String(of)] ?? 0;
      await waitFor('each actor to hold ops of the other', async () => (await heard(0, 1)) > 0 && (await heard(1, 0)) > 0);
      const fdsBefore = fdCount(pid);
      const start = { of1: await heard(0, 1), of0: await heard(1, 0) };

      const f = flood(base, idleSockets, SLOW);
      stopFlood = f.stop;
      const startedAt = Date.now();
      const polls = { healthz: 0, failed: [] as string[] }; // failed: any poll of /healthz or /status
      const samples: Array<{ at: number; of1: number; of0: number }> = [];
      let fdsMax = fdsBefore;
      let floodMax = 0;
      while (Date.now() - startedAt < FLOOD_MS) {
        try {
          await requestJson(`${url(0)}/healthz`, { timeoutMs: 2000 });
          polls.healthz++;
          samples.push({ at: Date.now() - startedAt, of1: await heard(0, 1), of0: await heard(1, 0) });
        } catch (err) {
          polls.failed.push(err instanceof Error ? err.message : String(err));
        }
        fdsMax = Math.max(fdsMax, fdCount(pid));
        floodMax = Math.max(floodMax, f.open());
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      f.stop();
      const fdsAfter = await waitFor('actor 0 to close the flood sockets', () => {
        const n = fdCount(pid);
        return n <= fdsBefore + 10 && n;
      });
      const mid = samples.filter((s) => s.at < FLOOD_MS / 2).at(-1);
      const last = samples.at(-1);
      console.info(
        `flood: ${f.stats.opened} connections opened (${idleSockets} idle + ${SLOW} slow at once, at most ${floodMax} open), ` +
          `${f.stats.closedByServer} closed by actor 0; its fds ${fdsBefore} before, at most ${fdsMax} during, ${fdsAfter} after; ` +
          `/healthz ${polls.healthz} ok, ${polls.failed.length} polls failed; actor 0 held ${start.of1} -> ${mid?.of1} -> ${last?.of1} ops of actor 1, ` +
          `actor 1 held ${start.of0} -> ${mid?.of0} -> ${last?.of0} of actor 0`,
      );

      expect(polls.failed).toEqual([]);
      expect(polls.healthz).toBeGreaterThan(10);
      // The flood was real: more connections than the cap, and the actor had to close some.
      expect(f.stats.opened).toBeGreaterThan(cap);
      expect(f.stats.closedByServer).toBeGreaterThan(0);
      expect(actors[0]?.stderr.join('')).toContain('idle connection(s) to stay within');
      // The cap held, with room for the actor's own files and peer sockets, below its fd limit.
      expect(fdsMax - fdsBefore).toBeLessThanOrEqual(cap + 32);
      expect(fdsMax).toBeLessThan(ACTOR_FDS);
      // Replication went on both ways, in both halves of the flood.
      expect(mid?.of1).toBeGreaterThan(start.of1);
      expect(last?.of1).toBeGreaterThan(mid?.of1 ?? Infinity);
      expect(mid?.of0).toBeGreaterThan(start.of0);
      expect(last?.of0).toBeGreaterThan(mid?.of0 ?? Infinity);
    },
    60_000,
  );
});
