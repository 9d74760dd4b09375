/// <reference lib="dom" />
// The dashboard's "your replica" panel: this tab holds a replica of the lab's genome, as one of its
// guest members. It keeps its ops in IndexedDB, edits offline, and syncs with every actor through
// the lab's relay (/api/replica/*), authorised by the lab token. Bundled into web/replica-bundle.js.
import { formatActor } from '../crdt/ids.js';
import { byteCodec } from '../crdt/value-codec.js';
import { isGene } from '../genome/gene.js';
import { deleteBrowserReplica, persistentBrowserSession } from '../session/browser.js';
import { pump } from '../session/pump.js';
import type { SessionMessage, SyncSession } from '../session/SyncSession.js';
import { join, labToken, LabRefusal, relay, type Joined } from './lab.js';
import { keepShell } from './offline.js';
import { chosenIndex, onClick, showGenes, showPanel, showStatus, type View } from './panel.js';
import { saveJoin, savedJoin, tabId } from './saved.js';

/** The IndexedDB database (and Web Lock) of this origin's replica. */
const NAME = 'lab-replica';
/**
 * The session's peers are the actors, each reached through the relay: every one must hear the
 * tab's sync requests (they carry what it retired), or none could collect.
 */
const peerOf = (actor: number): string => `actor-${actor}`;
const actorOf = (peer: string): number => Number(peer.slice('actor-'.length));

interface Open {
  readonly session: SyncSession<number>;
  readonly flushed: () => Promise<void>;
  readonly pump: { wake(): void; stop(): void };
  readonly stop: () => void;
}

const view: View = { state: 'starting', member: null, incarnation: null, reached: '', online: navigator.onLine, mayEdit: false, length: 0, stored: true, offlineReady: false, note: null };
let replica: Open | null = null;
let joined: Joined | null = null;
/** Actor → whether the relay reached it last time. */
const reached = new Map<number, boolean>();

const render = (): void => {
  const reachable = [...reached.values()].filter(Boolean).length;
  view.online = navigator.onLine && (reached.size === 0 || reachable > 0);
  view.reached = `${reachable} of ${reached.size}`;
  view.mayEdit = replica?.session.mayEdit() ?? false;
  showStatus(view);
};

function fail(state: string, note: string | null): void {
  close();
  Object.assign(view, { state, note });
  render();
}

function close(): void {
  replica?.stop();
  replica = null;
}

const sameSlot = (a: Joined, b: Joined): boolean => a.cluster === b.cluster && a.member === b.member;

/** Joins the lab (or, out of its reach, takes the last join), then opens the replica. */
async function start(token: string): Promise<void> {
  Object.assign(view, { state: 'starting', note: null });
  render();
  const before = savedJoin();
  let now: Joined | null;
  try {
    now = await join(token, tabId(), before?.member);
  } catch (err) {
    if (err instanceof LabRefusal && err.code === 'no_slot') return fail('no-slot', `no guest slot is free in this lab: ${err.message}`);
    if (err instanceof LabRefusal && err.status === 401) return fail('unauthorised', 'the lab refused the token');
    if (err instanceof LabRefusal && err.status < 500) return fail('failed', `the lab refused to join: ${err.message}`);
    // Out of reach (offline, the lab down): the last join, if any, opens the same replica.
    now = null;
  }
  if (now === null && before === null) {
    fail('offline-unjoined', 'the lab is out of reach and this browser never joined it: the replica opens once it is back');
    addEventListener('online', () => void start(token), { once: true });
    return;
  }
  if (now !== null && (before === null || !sameSlot(now, before))) {
    // What is kept belongs to another cluster, or was signed as another member (or nothing says
    // whose it is): it cannot join this one.
    if (!(await discard())) return;
  }
  joined = now ?? (before as Joined);
  saveJoin(joined);
  await openReplica(token, joined);
  if (now === null) addEventListener('online', () => void rejoin(token), { once: true });
}

/** Back online after opening from the last join: join again, starting over if the lab changed. */
async function rejoin(token: string): Promise<void> {
  try {
    const now = await join(token, tabId(), joined?.member);
    if (joined !== null && !sameSlot(now, joined)) {
      close();
      await start(token);
    } else {
      joined = now;
      saveJoin(now);
    }
  } catch {
    addEventListener('online', () => void rejoin(token), { once: true });
  }
}

async function openReplica(token: string, j: Joined): Promise<void> {
  let opened;
  try {
    // states: a tab far behind is caught up from an actor's state (the relay inflates it), as actors collect what it lacks.
    opened = await persistentBrowserSession(NAME, { member: j.member, members: j.members, voters: j.actors.length, peers: j.actors.map(peerOf), codec: byteCodec, isValue: isGene, states: true });
  } catch (err) {
    const message = (err as Error).message;
    return /another tab/.test(message) ? fail('locked', 'this replica is open in another tab of this browser: use that tab, or close it and reload this one') : fail('failed', message);
  }
  const { session, store } = opened;
  const flushed = (): Promise<void> => store.flushed();
  let queued = false;
  const showList = (): void => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      showGenes(session.list.toArray());
      view.length = session.list.length;
      render();
    });
  };
  const unfollow = session.list.onChange(showList);
  const p = pump(session, (m) => send(token, m), { flushed });
  const stop = (): void => {
    p.stop();
    unfollow();
    session.close();
  };
  replica = { session, flushed, pump: p, stop };
  reached.clear();
  for (const actor of j.actors) reached.set(actor, true);
  Object.assign(view, { state: 'ready', note: null, member: j.member, incarnation: formatActor(session.actor) });
  showList();
  p.wake();
}

/** Hands one message to the lab's relay; the answer goes back to the session. False: not sent. */
function send(token: string, m: SessionMessage): boolean {
  const open = replica;
  if (open === null || !navigator.onLine) return false;
  const actor = actorOf(m.peer);
  relay(token, actor, m.bytes).then(
    (bytes) => {
      if (replica !== open) return;
      reached.set(actor, true);
      try {
        // Refused ops are left out, and the rest taken: worth a word in the console, no more.
        const why = open.session.receive(m.peer, bytes, Date.now());
        if (why !== null) console.warn(`replica: ${why}`);
      } catch (err) {
        // The store failed (IndexedDB): nothing more can be kept.
        return fail('failed', (err as Error).message);
      }
      open.pump.wake();
      render();
    },
    (err: unknown) => {
      if (replica !== open) return;
      // Tried again after a backoff (an actor down: 502 actor_unreachable; the tab offline).
      reached.set(actor, false);
      open.session.disconnected(m.peer, Date.now());
      if (err instanceof LabRefusal && err.code === 'slot_taken') {
        return fail('slot-taken', `the lab holds another incarnation for member ${view.member}: reset this replica to join again as a new one (edits it has not synced are lost)`);
      }
      if (err instanceof LabRefusal && err.status === 401) return fail('unauthorised', 'the lab refused the token');
      render();
    },
  );
  return true;
}

/** Runs one edit, and shows when it is in IndexedDB. */
async function edit(f: (session: SyncSession<number>) => void): Promise<void> {
  const open = replica;
  if (open === null) return;
  try {
    f(open.session);
  } catch (err) {
    // Catching up (mayEdit): the buttons wait for it too, but a click may come first.
    view.note = (err as Error).message;
    render();
    return;
  }
  view.note = null;
  view.stored = false;
  open.pump.wake();
  render();
  try {
    await open.flushed();
    view.stored = true;
    render();
  } catch (err) {
    fail('failed', (err as Error).message);
  }
}

/** Deletes the replica kept; false (and says why) when another tab holds it. */
async function discard(): Promise<boolean> {
  try {
    await deleteBrowserReplica(NAME);
    return true;
  } catch (err) {
    fail('locked', `${(err as Error).message}: close it, then reload this one`);
    return false;
  }
}

const randomInt = (below: number): number => Math.floor(Math.random() * below);

async function reset(token: string): Promise<void> {
  close();
  Object.assign(view, { state: 'starting', note: null });
  render();
  if (!(await discard())) return;
  saveJoin(null);
  await start(token);
}

const token = labToken();
void keepShell().then(
  (ok) => {
    view.offlineReady = ok;
    render();
  },
  () => undefined,
);
if (token !== null) {
  showPanel();
  onClick('replica-insert', () => void edit((s) => s.insert(chosenIndex(s.list.length + 1) ?? randomInt(s.list.length + 1), randomInt(256))));
  onClick('replica-delete', () => void edit((s) => s.list.length > 0 && s.delete(chosenIndex(s.list.length) ?? randomInt(s.list.length))));
  onClick('replica-reset', () => void reset(token));
  for (const event of ['online', 'offline']) addEventListener(event, () => (replica?.pump.wake(), render()));
  void start(token).catch((err: unknown) => fail('failed', (err as Error).message));
}
