import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireHostnames, withHostname } from '../helpers/netns.js';
import { expectUsageError, freeBase, getJson, killAll, runCli, startCliUnder, waitFor } from '../helpers/processes.js';

beforeAll(requireHostnames);
afterAll(killAll);

describe('--actor-from-hostname (each case under a host name of its own)', () => {
  const refused: Array<[string, string[], string[]]> = [
    ['genome', ['-c', '3'], ['--actor-from-hostname', '`genome`', '-<id>']],
    ['genome-1', ['-c', '3', '--actor', '2'], ['--actor 2', '--actor-from-hostname', 'actor 1', '`genome-1`']],
    ['genome-5', ['-c', '3'], ['--actor-from-hostname', '`genome-5`', 'below the actor count 3', '`5`']],
  ];
  for (const [hostname, flags, mentions] of refused) {
    it(`exits 2 with one line naming the flag and the value: host ${hostname}, ${flags.join(' ')}`, async () => {
      expectUsageError(await runCli(['--actor-from-hostname', ...flags, '-b', '9000', '--memory'], 30_000, withHostname(hostname)), mentions);
    });
  }

  it('serves as the actor its host name ends in, on base + that id', async () => {
    const base = await freeBase(2);
    const actor = startCliUnder(withHostname('genome-1'), ['--actor-from-hostname', '--actor', '1', '-c', '2', '-b', String(base), '--memory', '--log-level', 'warn']);
    const status = await waitFor('actor 1 to serve', () => getJson<{ actor: number }>(`http://127.0.0.1:${base + 1}/status`));
    expect(status.actor).toBe(1);
    actor.child.kill('SIGTERM');
    expect(await actor.exited).toBe(0);
  });
});
