import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { expectUsageError, freeBase, getJson, killAll, runCli, startCli, waitFor } from '../helpers/processes.js';

afterAll(killAll);

describe('crdt-genome CLI', () => {
  it('-h lists the actor flags and the subcommands', async () => {
    const { code, stdout } = await runCli(['-h']);
    expect(code).toBe(0);
    for (const flag of ['--actor', '--actor-from-hostname', '--port', '--count', '--base', '--host', '--peers', '--interval', '--mutations', '--seed', '--verify-interval', '--sync-interval', '--compact-every', '--drop-rate', '--data-dir', '--memory', '--token', 'GENOME_TOKEN', '--log-level', 'cluster', 'verify', 'repair']) {
      expect(stdout).toContain(flag);
    }
  });

  it('-V prints the version from package.json', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const { code, stdout } = await runCli(['-V']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(version);
  });

  const bad: Array<[string[], string[]]> = [
    [['-a', '3', '-c', '3', '-b', '9000'], ['--actor', '3']],
    [['-a', 'x', '-c', '3', '-b', '9000'], ['--actor', 'x']],
    [['-a', '-1', '-c', '3', '-b', '9000'], ['--actor', '-1']],
    [['-a', '0', '-c', '0', '-b', '9000'], ['--count', '0']],
    [['-a', '0', '-c', '3', '-b', '0'], ['--base', '0']],
    [['-a', '0', '-c', '3', '-b', '70000'], ['--base', '70000']],
    [['-a', '0', '-c', '3', '-b', '65534'], ['--base', '65536']],
    [['-a', '0', '-c', '3', '-b', '9000', '--interval', '10'], ['--interval', '10']],
    [['-a', '0', '-c', '3', '-b', '9000', '--interval', '50-10'], ['--interval', '50-10']],
    [['-a', '0', '-c', '3', '-b', '9000', '--interval', 'a-b'], ['--interval', 'a-b']],
    [['-a', '0', '-c', '3', '-b', '9000', '--mutations', '-5'], ['--mutations', '-5']],
    [['-a', '0', '-c', '3', '-b', '9000', '--mutations', '1.5'], ['--mutations', '1.5']],
    [['-a', '0', '-c', '3', '-b', '9000', '--seed', 'abc'], ['--seed', 'abc']],
    [['-a', '0', '-c', '3', '-b', '9000', '--verify-interval', '0'], ['--verify-interval', '0']],
    [['-a', '0', '-c', '3', '-b', '9000', '--log-level', 'loud'], ['--log-level', 'loud']],
    [['-a', '0', '-b', '9000', '--peers', 'not a url'], ['--peers', 'not a url']],
    [['-a', '0', '-c', '4', '-b', '9000', '--peers', 'http://h1:9001,http://h2:9002'], ['--count', '4']],
    [['-a', '0', '-c', '3', '-b', '9000', '--bogus'], ['--bogus']],
    [['-a', '0', '-b', '9000', '--peers', 'http://h1:9001,http://h1:9001'], ['--peers', 'http://h1:9001']],
    [['-a', '0', '-c', '3', '--port', '7000'], ['--peers', '--port 7000']],
    [['-a', '0', '-b', '9000', '--port', '7000', '--peers', 'http://h1:7000'], ['--port 7000', '--base 9000']],
    [['-a', '0', '--peers', 'http://h1:9001'], ['--base', '--port']],
    [['-a', '0', '--port', '0', '--peers', 'http://h1:9001'], ['--port', '0']],
    [['-a', '0', '-b', '9000', '--peers', 'http://h1:9001,http://127.0.0.1:9000'], ['--peers', 'position 0', 'http://127.0.0.1:9000']],
    [['-a', '0', '-c', '2', '--port', '7000', '--peers', 'http://h0:7000,http://h1:7000'], ['--count', '`2`', "own URL"]],
    [['-a', '0', '-c', '3', '-b', '9000', '--interval', '5000000000-5000000000'], ['--interval', '5000000000']],
    [['-a', '0', '-c', '3', '-b', '9000', '--sync-interval', '3000000000'], ['--sync-interval', '3000000000']],
    [['-a', '0', '-c', '3', '-b', '9000', '--drop-rate', '1.5'], ['--drop-rate', '1.5']],
    [['-a', '0', '-c', '3', '-b', '9000', '--drop-rate', 'half'], ['--drop-rate', 'half']],
    [['-a', '0', '-c', '3', '-b', '9000', '--sync-interval', '0'], ['--sync-interval', '0']],
    [['-a', '0', '-c', '3', '-b', '9000', '--compact-every', '-5'], ['--compact-every', '-5']],
    [['cluster', '--compact-every', 'often'], ['--compact-every', 'often']],
    [['-a', '0', '-c', '3', '-b', '9000', '--data-dir', ''], ['--data-dir']],
    [['-a', '0', '-c', '3', '-b', '9000', '--token', 'short'], ['--token', 'at least 8']],
    [['-a', '0', '-c', '3', '-b', '9000', '--token', 'with a space'], ['--token', 'without spaces']],
    [['-c', '3', '-b', '9000'], ['--actor']],
    [['-a', '0', '-b', '9000'], ['--count']],
    [['cluster', '--count', '0'], ['--count', '0']],
    [['cluster', '--count', '65'], ['--count', '65']],
    [['cluster', '--guests', '65'], ['--guests', '65']],
    [['-a', '0', '-c', '3', '-b', '9000', '--guests', '-1'], ['--guests', '-1']],
    [['-a', '0', '-c', '65535', '-b', '1', '--guests', '2'], ['--guests', '65535 + 2']],
    [['cluster', '--interval', '1-'], ['--interval', '1-']],
    [['verify'], ['--count']],
    [['repair'], ['--actor']],
    [['-a', '0', '-c', '3', '-b', '9000', '--cluster-key', 'short-key'], ['--cluster-key', 'at least 16']],
    [['-a', '0', '-c', '3', '-b', '9000', '--host', '0.0.0.0'], ['--cluster-key', '0.0.0.0', '--insecure']],
    [['cluster', '--cluster-key', 'short-key'], ['--cluster-key', 'at least 16']],
    [['repair', '--actor', 'x'], ['--actor', 'x']],
    [['repair', '--actor', '0', '--data-dir', ''], ['--data-dir']],
    [['verify', '-c', '3', '-b', '9000', '--timeout', 'soon'], ['--timeout', 'soon']],
    [['verify', '-c', '3', '-b', '9000', '--expect-ops', '-1'], ['--expect-ops', '-1']],
    [['sim', '--mutations', '0'], ['--mutations', '0']],
    [['-a', '0', '-c', '3', '-b', '9000', '--fanout', '0'], ['--fanout', '0']],
    [['-a', '0', '-c', '3', '-b', '9000', '--fanout', '3'], ['--fanout', '3']],
    [['cluster', '--count', '4', '--fanout', '4'], ['--fanout', '4']],
    [['sim', '--loss', '1'], ['--loss', '1']],
    [['sim', '--loss', '-0.1'], ['--loss', '-0.1']],
    [['sim', '--actors', '1001', '--loss', '0.1'], ['--actors', '1001']],
    [['sim', '--actors', '65'], ['--actors', '65']],
    [['sim', '--actors', '10', '--fanout', '10'], ['--fanout', '10']],
    [['sim', '--ops-per-actor', '0'], ['--ops-per-actor', '0']],
    [['sim', '--report', 'xml'], ['--report', 'xml']],
    [['sim', '--mutations', '20000000'], ['--mutations', '20000000']],
    [['sim', '--mutations', 'many'], ['--mutations', 'many']],
  ];
  for (const [args, mentions] of bad) {
    it(`exits 2 with one line naming the problem: ${args.join(' ')}`, async () => {
      expectUsageError(await runCli(args), mentions);
    });
  }

  it('sim --actors 200 --loss 0.1 --report json: a dissemination experiment converges within log2 N + ln N + 3 rounds, its last line the report', { timeout: 120_000 }, async () => {
    for (const seed of ['1', '2']) {
      const { code, stdout } = await runCli(['sim', '--actors', '200', '--loss', '0.1', '--ops-per-actor', '1', '--seed', seed, '--report', 'json']);
      expect(code).toBe(0);
      const lines = stdout.trim().split('\n');
      const report = JSON.parse(lines[lines.length - 1] as string) as Record<string, unknown>;
      expect(Object.keys(report)).toEqual(['actors', 'ops', 'converged', 'rounds', 'maxMessagesPerActorPerRound', 'messagesPerActorPerRound', 'bytesPerActorPerRound']);
      expect(report).toMatchObject({ actors: 200, ops: 200, converged: true });
      expect(report.rounds).toBeLessThanOrEqual(Math.ceil(Math.log2(200) + Math.log(200)) + 3);
      expect(report.maxMessagesPerActorPerRound).toBeLessThanOrEqual(10);
    }
  });

  it('sim --mutations runs a long plan and prints its tombstone figures on the summary', async () => {
    const { code, stdout } = await runCli(['sim', '--seed', '3', '--mutations', '3000']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^seed 3: ok: converged: 3 actors hold 3000 ops/);
    expect(stdout).toMatch(/tombstones: at most \d+ \(\d+ genes live then; at most \d+ live at any time\), \d+ in the end/);
  });

  it('sim still takes --collect-always, from older replay commands: the run is the same, collecting in every run', async () => {
    // Seed 831 copies a key, and its replicas collect.
    const plain = await runCli(['sim', '--seed', '831']);
    const old = await runCli(['sim', '--seed', '831', '--collect-always']);
    expect(plain.code).toBe(0);
    expect(old).toEqual(plain);
    expect(plain.stdout).toMatch(/^seed 831: ok: converged: .* [1-9]\d* elements collected/);
  });

  it('checks a token from env `GENOME_TOKEN` as `--token`, without printing it', async () => {
    const proc = startCli(['-a', '0', '-c', '1', '-b', '9000', '--memory'], { GENOME_TOKEN: 'secret\n' });
    expect(await proc.exited).toBe(2);
    const lines = proc.stderr.join('').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('--token');
    expect(lines[0]).toContain('GENOME_TOKEN');
    expect(lines[0]).not.toContain('secret');
  });

  it('refuses a cluster key given as a flag and in env with different values, echoing neither', async () => {
    const proc = startCli(['-a', '0', '-c', '1', '-b', '9000', '--memory', '--cluster-key', 'flag-key-0123456789'], { GENOME_CLUSTER_KEY: 'env-key-0123456789ab' });
    expect(await proc.exited).toBe(2);
    const out = proc.stderr.join('');
    expect(out.trim().split('\n')).toHaveLength(1);
    expect(out).toMatch(/--cluster-key.*GENOME_CLUSTER_KEY.*disagree/);
    expect(out).not.toMatch(/flag-key|env-key/);
  });

  it('serves a non-loopback address without a key only with --insecure, and warns', async () => {
    const base = await freeBase(1);
    const actor = startCli(['-a', '0', '-c', '1', '-b', String(base), '--host', '0.0.0.0', '--insecure', '--memory']);
    await waitFor('the actor to serve', () => getJson(`http://127.0.0.1:${base}/healthz`));
    actor.child.kill('SIGTERM');
    expect(await actor.exited).toBe(0);
    expect(actor.stderr.join('')).toMatch(/--insecure: serving 0\.0\.0\.0 without a cluster key/);
  });

  it('serves the admin API only with a token, and never logs it', async () => {
    const base = await freeBase(2);
    const token = 'cli-token-0123456789';
    const withToken = startCli(['-a', '0', '-c', '2', '-b', String(base), '--memory', '--log-level', 'debug'], { GENOME_TOKEN: token });
    const without = startCli(['-a', '1', '-c', '2', '-b', String(base), '--memory', '--token', '']);
    const admin = (i: number, auth = token) => fetch(`http://127.0.0.1:${base + i}/admin/faults`, { headers: { authorization: `Bearer ${auth}` }, signal: AbortSignal.timeout(2000) });
    await waitFor('both actors to serve', () => Promise.all([0, 1].map((i) => getJson(`http://127.0.0.1:${base + i}/healthz`))));
    expect((await admin(0)).status).toBe(200);
    expect((await admin(0, 'wrong-token-0123456')).status).toBe(401);
    expect((await admin(1)).status).toBe(404);
    const metrics = await fetch(`http://127.0.0.1:${base}/metrics`, { signal: AbortSignal.timeout(2000) });
    expect(await metrics.text()).toMatch(/^process_cpu_seconds_total /m);
    withToken.child.kill('SIGTERM');
    without.child.kill('SIGTERM');
    expect(await withToken.exited).toBe(0);
    expect(withToken.stderr.join('')).toContain('admin request refused');
    expect(withToken.stderr.join('')).not.toContain(token);
  });

  it('takes `--actor=0` as well as `--actor 0`, serves, and exits 0 on SIGTERM', async () => {
    const base = await freeBase(2);
    const actor = startCli([`--actor=1`, `--count=2`, `--base=${base}`, '--memory', '--interval', '0-0', '--mutations', '5']);
    const status = await waitFor('actor 1 to serve', () => getJson<{ actor: number; mutations: number }>(`http://127.0.0.1:${base + 1}/status`).then((s) => s.mutations === 5 && s));
    expect(status.actor).toBe(1);
    actor.child.kill('SIGTERM');
    expect(await actor.exited).toBe(0);
  });

  it('exits 0 on SIGINT too', async () => {
    const base = await freeBase(1);
    const actor = startCli(['-a', '0', '-c', '1', '-b', String(base), '--memory', '--log-level', 'silent']);
    await waitFor('actor to serve', () => getJson(`http://127.0.0.1:${base}/healthz`));
    actor.child.kill('SIGINT');
    expect(await actor.exited).toBe(0);
  });
});
