import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/processes.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const run = promisify(execFile);

interface Example {
  child: ChildProcess;
  out: string[];
}

const running: Example[] = [];
afterEach(() => {
  for (const { child } of running.splice(0)) child.kill('SIGKILL');
});

/** examples/websocket.mjs with `args`, its stdout collected line by line. */
function websocket(args: string[]): Example {
  const child = spawn(process.execPath, [`${EXAMPLES}websocket.mjs`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const example: Example = { child, out: [] };
  let rest = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    example.out.push(...lines);
  });
  running.push(example);
  return example;
}

/** The last list a process printed. */
const listOf = (e: Example): string[] | null => {
  const line = [...e.out].reverse().find((l) => l.startsWith('list: '));
  return line === undefined ? null : line.slice('list: '.length).split(',').filter((w) => w !== '');
};

const holds = (e: Example, words: string[]): boolean => JSON.stringify([...(listOf(e) ?? [])].sort()) === JSON.stringify([...words].sort());

describe('the examples', () => {
  it('lossy-channel.mjs: two replicas in one process converge over a channel that loses half the messages', async () => {
    for (const seed of ['1', '2', '3']) {
      const { stdout } = await run(process.execPath, [`${EXAMPLES}lossy-channel.mjs`, '--loss', '0.5', '--seed', seed]);
      const [summary, alice, bob] = stdout.trim().split('\n');
      expect(summary, `seed ${seed}`).toMatch(/^\d+ messages sent, [1-9]\d* lost; converged \d+ ms after the channel stopped losing$/);
      expect(alice?.slice('alice: '.length)).toBe(bob?.slice('bob:   '.length));
      expect(alice?.split(' ').length).toBeGreaterThan(10);
    }
  });

  it('websocket.mjs: two processes sync over a WebSocket, edits typed in go both ways, and a restarted end catches up', async () => {
    const server = websocket(['--member', '0', '--listen', '0', '--words', 'milk,eggs']);
    const url = await waitFor('the server listening', () => /listening on (ws:\/\/\S+)/.exec(server.out.join('\n'))?.[1]);
    let client = websocket(['--member', '1', '--connect', url, '--words', 'tea']);
    await waitFor('both ends holding every word', () => holds(server, ['milk', 'eggs', 'tea']) && holds(client, ['milk', 'eggs', 'tea']));
    expect(listOf(server)).toEqual(listOf(client));

    client.child.stdin?.write('jam\n');
    server.child.stdin?.write('-\n');
    const four = [...(listOf(server) as string[]).slice(1), 'jam'];
    await waitFor('the typed edits on both ends', () => holds(server, four) && holds(client, four));
    expect(listOf(server)).toEqual(listOf(client));

    // A client that restarts (a new incarnation, its memory gone) dials again and gets everything.
    client.child.kill('SIGKILL');
    client = websocket(['--member', '1', '--connect', url]);
    await waitFor('the restarted client caught up', () => holds(client, four));
    expect(listOf(client)).toEqual(listOf(server));
    // ... and what it types then reaches the server: its new incarnation is a member's.
    client.child.stdin?.write('bread\n');
    await waitFor('the new incarnation\'s edit on both ends', () => holds(server, [...four, 'bread']) && holds(client, [...four, 'bread']));
  }, 60_000);
});
