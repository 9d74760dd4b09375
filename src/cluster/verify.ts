import { setTimeout as sleep } from 'node:timers/promises';
import type { Status } from '../actor/ActorState.js';
import { requestJson, REQUEST_TIMEOUT_MS } from '../transport/http-client.js';
import { mapBounded, POLL_CONCURRENCY } from '../util/bounded.js';

export interface VerifyOptions {
  urls: string[];
  timeoutMs: number;
  /** Also require exactly this many ops from every actor and nothing pending. */
  expectOps?: number;
  pollMs?: number;
}

type Answer = { url: string; status: Status } | { url: string; error: string };

/**
 * Poll every actor's /status until all digests are equal (and, with `expectOps`, every version
 * shows exactly that many ops from each actor and nothing is pending). Prints a table to stdout.
 * Returns 0 on success, 1 on timeout; never takes longer than the timeout plus one second.
 */
export async function verify(opts: VerifyOptions, out: (line: string) => void = console.log): Promise<number> {
  const deadline = Date.now() + opts.timeoutMs;
  let answers: Answer[] = [];
  for (;;) {
    const remaining = deadline - Date.now();
    const timeoutMs = Math.max(1, Math.min(REQUEST_TIMEOUT_MS, remaining + 500));
    answers = await mapBounded(opts.urls, POLL_CONCURRENCY, async (url): Promise<Answer> => {
      try {
        return { url, status: await requestJson<Status>(`${url}/status`, { timeoutMs }) };
      } catch (err) {
        return { url, error: err instanceof Error ? err.message : String(err) };
      }
    });
    const problem = findProblem(answers, opts.expectOps);
    if (problem === null) {
      printTable(answers, out);
      out(`converged: ${answers.length} actors hold the same genome`);
      return 0;
    }
    if (Date.now() + (opts.pollMs ?? 250) >= deadline) {
      printTable(answers, out);
      out(`not converged after ${opts.timeoutMs} ms: ${problem}`);
      return 1;
    }
    await sleep(opts.pollMs ?? 250);
  }
}

function findProblem(answers: Answer[], expectOps: number | undefined): string | null {
  const down = answers.filter((a) => 'error' in a);
  if (down.length > 0) return `no answer from ${down.map((a) => a.url).join(', ')}`;
  const statuses = answers.map((a) => (a as { status: Status }).status);
  if (new Set(statuses.map((s) => s.digest)).size > 1) return 'digests differ';
  if (expectOps === undefined) return null;
  const actors = statuses.map((s) => String(s.actor));
  for (const s of statuses) {
    if (s.pending !== 0) return `actor ${s.actor} has ${s.pending} ops pending`;
    for (const a of actors) {
      const held = s.version[a] ?? 0;
      if (held !== expectOps) return `actor ${s.actor} holds ${held} ops from actor ${a}, expected ${expectOps}`;
    }
  }
  return null;
}

function printTable(answers: Answer[], out: (line: string) => void): void {
  const rows = answers.map((a) =>
    'error' in a
      ? [a.url, '-', '-', '-', '-', `unreachable: ${a.error}`]
      : [a.url, String(a.status.actor), String(a.status.length), a.status.digest.slice(0, 16), String(a.status.pending), JSON.stringify(a.status.version)],
  );
  const table = [['url', 'actor', 'length', 'digest', 'pending', 'version'], ...rows];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => (r[c] ?? '').length)));
  for (const r of table) out(r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  '));
}
