/// <reference lib="dom" />
// The lab's replica routes, as the page calls them: join a guest slot, relay one session message.

import type { JoinAnswer } from '../web/types.js';

/** What `POST /api/replica/join` answers: the slot this tab's replica holds in the lab. */
export type Joined = Readonly<JoinAnswer>;

/** A refusal of the lab (a status other than 200), with its error code (`no_slot`, `slot_taken`, ...). */
export class LabRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The lab token, as web/state.js keeps it: in the address bar on the first load, then in this
 * tab's sessionStorage (state.js takes it out of the URL; either module may run first).
 */
export function labToken(): string | null {
  const value = new URL(location.href).searchParams.get('token') ?? sessionStorage.getItem('lab-token');
  return value === '' ? null : value;
}

async function post(token: string, path: string, type: string, body: BodyInit): Promise<Response> {
  const res = await fetch(path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body, cache: 'no-store' });
  if (res.ok) return res;
  let code = `http_${res.status}`;
  let message = `${res.status} ${res.statusText}`;
  try {
    const answer = (await res.json()) as { error?: unknown; message?: unknown };
    if (typeof answer.error === 'string') code = answer.error;
    if (typeof answer.message === 'string') message = answer.message;
  } catch {
    // Not JSON: keep the status line.
  }
  throw new LabRefusal(res.status, code, message);
}

/**
 * Joins the lab as the tab `tab`, asking for `member` (the slot of the replica it keeps) should
 * the lab no longer know the tab (restarted). Throws a `LabRefusal`, or a TypeError when the lab
 * is not reached.
 */
export async function join(token: string, tab: string, member?: number): Promise<Joined> {
  const res = await post(token, '/api/replica/join', 'application/json', JSON.stringify({ tab, member }));
  const j = (await res.json()) as Record<string, unknown>;
  const whole = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  if (!whole(j.member) || !whole(j.members) || j.member >= j.members || typeof j.cluster !== 'string' || !Array.isArray(j.actors) || !j.actors.every(whole) || !whole(j.actor)) {
    throw new LabRefusal(200, 'bad_answer', `the lab answered a join with ${JSON.stringify(j)}`);
  }
  return { member: j.member, members: j.members, actor: j.actor, actors: j.actors, cluster: j.cluster };
}

/** Hands one session message to `actor` through the lab; resolves to the answer's bytes. */
export async function relay(token: string, actor: number, bytes: Uint8Array): Promise<Uint8Array> {
  const res = await post(token, `/api/replica/${actor}`, 'application/octet-stream', bytes as Uint8Array<ArrayBuffer>);
  return new Uint8Array(await res.arrayBuffer());
}
