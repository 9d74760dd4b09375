import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lan, requireNetworks, withHostname } from '../helpers/netns.js';
import { killAll, runCli, startCliUnder, tmpDataDir, waitFor, type Proc } from '../helpers/processes.js';

/**
 * Three actors deployed as a StatefulSet deploys them: each on a host of its own (a network
 * namespace, reached through a switch) named `genome-<i>`, each listening on the same port, all
 * started with one command line that names the peers by DNS name.
 */
const PORT = 7000;
const MUTATIONS = 20;
const names = [0, 1, 2].map((i) => `genome-${i}.genome`);
const peers = names.map((name) => `http://${name}:${PORT}`);
const args = (): string[] => [
  '--actor-from-hostname', '--count', '3', '--peers', peers.join(','), '--port', String(PORT), '--host', '0.0.0.0',
  '--data-dir', tmpDataDir(), '--interval', '20-100', '--mutations', String(MUTATIONS), '--sync-interval', '300', '--verify-interval', '1000',
];
const env = { GENOME_CLUSTER_KEY: 'dns-peers-cluster-key-0123' };

let lan: Lan | undefined;
beforeAll(() => {
  requireNetworks();
  lan = new Lan(3);
  lan.up();
}, 20_000);
afterAll(() => {
  killAll();
  lan?.remove();
});

/** What actor i answers on `/status` and `/readyz`, asked by its own DNS name from inside its host. */
async function probe(net: Lan, i: number): Promise<{ status: { actor: number; digest: string; version: Record<string, number> }; ready: number }> {
  const script = `const get = (p) => fetch(process.argv[1] + p, { signal: AbortSignal.timeout(2000) });
Promise.all([get('/status').then((r) => r.json()), get('/readyz')]).then(([status, ready]) => console.log(JSON.stringify({ status, ready: ready.status })));`;
  const [command, ...rest] = net.in(i, [process.execPath, '-e', script, peers[i] as string]) as [string, ...string[]];
  const { stdout } = await promisify(execFile)(command, rest, { timeout: 10_000 });
  return JSON.parse(stdout) as Awaited<ReturnType<typeof probe>>;
}

describe('DNS-named peers across hosts', () => {
  it('actors take their ids from their host names, retry a peer whose name does not resolve yet, converge, and turn ready', async () => {
    const net = lan as Lan;
    const all = Object.fromEntries(names.map((name, i) => [name, net.address(i)]));
    // Host 0 cannot resolve genome-2 yet, as a pod before its peer's DNS record exists.
    net.setHosts(0, { [names[0] as string]: net.address(0), [names[1] as string]: net.address(1) });
    for (const i of [1, 2]) net.setHosts(i, all);
    const start = (i: number): Proc => startCliUnder(net.in(i, withHostname(`genome-${i}`)), args(), env);

    // Alone, with no peer answering, actor 0 serves but is not ready.
    const first = start(0);
    const alone = await waitFor('genome-0 to serve', () => probe(net, 0));
    expect(alone.status.actor).toBe(0);
    expect(alone.ready).toBe(503);
    const log = (): string => first.stderr.join('');
    await waitFor('genome-0 to retry genome-2, whose name does not resolve', () => /to http:\/\/genome-2\.genome:7000 failed, retrying with backoff: ENOTFOUND/.test(log()));

    const others = [1, 2].map(start);
    net.setHosts(0, all);
    const verify = await runCli(['verify', '--peers', peers.join(','), '--expect-ops', String(MUTATIONS), '--timeout', '40000'], 50_000, net.in(0));
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    // Ready follows holding everything: once a sync with a peer has run to its end (within a sync
    // interval or two of converging), or after 10 s without a page.
    const seen = await waitFor('every actor ready', async () => {
      const probes = await Promise.all([0, 1, 2].map((i) => probe(net, i)));
      return probes.every((p) => p.ready === 200) && probes;
    }, 20_000, 250);
    seen.forEach(({ status, ready }, i) => {
      expect(status.actor).toBe(i);
      expect(status.version).toEqual({ 0: MUTATIONS, 1: MUTATIONS, 2: MUTATIONS });
      expect(status.digest).toBe(seen[0]?.status.digest);
      expect(ready).toBe(200);
    });
    for (const actor of [first, ...others]) expect(actor.stderr.join('')).toMatch(/"msg":"ready: /);
    expect(first.child.exitCode).toBeNull();
  }, 90_000);
});
