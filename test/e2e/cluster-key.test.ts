import { afterAll, describe, expect, it } from 'vitest';
import { forgedInserts, push, signedByOwnKey } from '../helpers/forger.js';
import { freeBase, getJson, killAll, runCli, startCli, waitFor } from '../helpers/processes.js';

afterAll(killAll);

describe('a cluster with a key', () => {
  it('refuses a stranger\'s push with 401 and converges on exactly its own ops; the key is never logged', async () => {
    const base = await freeBase(3);
    const key = 'e2e-cluster-key-0123456789';
    const actors = [0, 1, 2].map((i) =>
      startCli(['-a', String(i), '-c', '3', '-b', String(base), '--memory', '--interval', '5-20', '--mutations', '30', '--sync-interval', '200'], { GENOME_CLUSTER_KEY: key }),
    );
    await waitFor('every actor to serve', () => Promise.all([0, 1, 2].map((i) => getJson(`http://127.0.0.1:${base + i}/healthz`))));
    // Actor 1's coming counters, forged by someone without the key, in the README's JSON format
    // (wire v2: under actor 1's author id, with a proof signed by a key of the forger's own).
    const a1 = (await getJson<{ incarnation: number }>(`http://127.0.0.1:${base + 1}/status`)).incarnation;
    const ops = forgedInserts(a1, 13, 15, () => 9);
    const forged = push(a1, ops, signedByOwnKey(a1, ops));
    const res = await fetch(`http://127.0.0.1:${base}/genome`, { method: 'POST', body: JSON.stringify(forged), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(2000) });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('unauthorized');
    const verify = await runCli(['verify', '-c', '3', '-b', String(base), '--expect-ops', '30', '--timeout', '30000']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    for (const a of actors) a.child.kill('SIGTERM');
    await Promise.all(actors.map((a) => a.exited));
    const logs = actors.map((a) => a.stderr.join('') + a.stdout.join('')).join('');
    expect(logs).toContain('refused: no cluster MAC');
    expect(logs).not.toContain(key);
  });
});
