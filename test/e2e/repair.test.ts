import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { freeBase, getJson, killAll, runCli, startCli, tmpDataDir, waitFor } from '../helpers/processes.js';

afterAll(killAll);

describe('a store an earlier version let a bad row into', () => {
  it('is refused at start with the row and the way out; `crdt-genome repair` drops it after a backup; the actor then starts with its ops', async () => {
    const base = await freeBase(1);
    const dataDir = tmpDataDir();
    const args = ['-a', '0', '-c', '2', '-b', String(base), '--data-dir', dataDir, '--interval', '0-0', '--mutations', '5', '--log-level', 'warn'];
    const first = startCli(args);
    await waitFor('5 mutations', () => getJson<{ mutations: number }>(`http://127.0.0.1:${base}/status`).then((s) => s.mutations === 5));
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // What a push from before the id checks could leave: an op of actor 1 at counter 2^53.
    const file = join(dataDir, 'actor-0.db');
    const db = new Database(file);
    db.exec(`INSERT INTO ops (actor, counter, body) VALUES (1, 9007199254740992, X'0005')`);
    db.close();

    const refused = startCli(args);
    expect(await refused.exited).toBe(1);
    const error = refused.stderr.join('');
    expect(error).toContain(file);
    expect(error).toMatch(/row 6: op a1\.9007199254740992 has a counter outside/);
    expect(error).toContain(`crdt-genome repair --data-dir ${dataDir} --actor 0`);

    const repair = await runCli(['repair', '--data-dir', dataDir, '--actor', '0']);
    expect(repair.code).toBe(0);
    expect(repair.stdout).toMatch(/dropped row 6: op a1\.9007199254740992/);
    expect(repair.stdout).toMatch(/dropped 1 of 6 rows that could not be loaded; backup copy: .*actor-0\.db\.backup-/);
    const backups = readdirSync(dataDir).filter((f) => f.startsWith('actor-0.db.backup-'));
    expect(backups).toHaveLength(1);

    const again = await runCli(['repair', '--data-dir', dataDir, '--actor', '0']);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('all 5 rows load; nothing to repair') });

    startCli(args);
    const status = await waitFor('the repaired actor to serve', () => getJson<{ version: Record<string, number>; mutations: number }>(`http://127.0.0.1:${base}/status`));
    expect(status.version).toEqual({ 0: 5 });
    expect(status.mutations).toBe(5);
  });

  it('a damaged snapshot is refused at start with the way out; repair drops it and the actor goes on as a new incarnation', async () => {
    const base = await freeBase(1);
    const dataDir = tmpDataDir();
    const args = ['-a', '0', '-c', '2', '-b', String(base), '--data-dir', dataDir, '--interval', '0-0', '--mutations', '30', '--compact-every', '10', '--log-level', 'warn'];
    const first = startCli(args);
    const before = await waitFor('30 mutations', () => getJson<{ mutations: number; incarnation: number }>(`http://127.0.0.1:${base}/status`).then((s) => s.mutations === 30 && s));
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const file = join(dataDir, 'actor-0.db');
    const db = new Database(file);
    const { body } = db.prepare('SELECT body FROM snapshot').get() as { body: Buffer };
    db.prepare('UPDATE snapshot SET body = ?').run(body.subarray(0, body.length >> 1));
    db.close();

    const refused = startCli(args);
    expect(await refused.exited).toBe(1);
    const error = refused.stderr.join('');
    expect(error).toContain(file);
    expect(error).toContain("the store's snapshot cannot be loaded");
    expect(error).toContain(`crdt-genome repair --data-dir ${dataDir} --actor 0`);

    const repair = await runCli(['repair', '--data-dir', dataDir, '--actor', '0']);
    expect(repair.code).toBe(0);
    expect(repair.stdout).toMatch(/dropped the snapshot, which cannot be loaded .*new incarnation/);
    expect(repair.stdout).toMatch(/backup copy: .*actor-0\.db\.backup-/);

    startCli(args);
    const after = await waitFor('the repaired actor to serve', () => getJson<{ incarnation: number; mutations: number }>(`http://127.0.0.1:${base}/status`));
    // A new author id: the ids the lost snapshot held are never made again.
    expect(after.incarnation).not.toBe(before.incarnation);
  });

  it('repair refuses a missing store, and never creates one', async () => {
    const dataDir = tmpDataDir();
    const { code, stderr } = await runCli(['repair', '--data-dir', dataDir, '--actor', '3']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/actor-3\.db: no such file/);
    expect(existsSync(join(dataDir, 'actor-3.db'))).toBe(false);
  });
});
