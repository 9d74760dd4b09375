/// <reference lib="dom" />
// The "your replica" panel of web/index.html: what it shows, and its buttons.
import { toHex } from '../genome/hex.js';

/** Where the replica stands, as the status line shows it (and its data-* attributes, for tests). */
export interface View {
  /** starting, ready, offline-unjoined, locked, slot-taken, no-slot, unauthorised, failed. */
  state: string;
  member: number | null;
  incarnation: string | null;
  /** How many of the actors the relay reached last time: "2 of 3". */
  reached: string;
  /** The browser says it is online, and the relay reached an actor last time. */
  online: boolean;
  /** Not catching up on deletes an actor retired (`SyncSession.mayEdit`). */
  mayEdit: boolean;
  length: number;
  /** Every edit so far is in IndexedDB. */
  stored: boolean;
  /** The service worker keeps the page for a reload offline. */
  offlineReady: boolean;
  /** What the user should know (a refusal, another tab), or null. */
  note: string | null;
}

const el = <E extends HTMLElement = HTMLElement>(id: string): E => document.getElementById(id) as E;

export function showPanel(): void {
  el('replica').hidden = false;
}

export function showStatus(v: View): void {
  const status = el('replica-status');
  const ready = v.state === 'ready';
  const parts = ready
    ? [`member ${v.member}`, v.incarnation, v.online ? `online, syncs with ${v.reached} actors` : `${navigator.onLine ? 'no actor reached' : 'offline'}: edits are kept`, `${v.length} genes`, v.stored ? null : 'saving…', v.mayEdit ? null : 'catching up…']
    : [v.state.replace('-', ' ')];
  status.textContent = parts.filter((p) => p !== null).join(' · ');
  Object.assign(status.dataset, { state: v.state, member: String(v.member ?? ''), incarnation: v.incarnation ?? '', reached: v.reached, mayEdit: String(v.mayEdit), online: String(v.online), length: String(v.length), stored: String(v.stored), offlineReady: String(v.offlineReady) });
  status.dataset.tone = !ready ? 'bad' : v.online ? 'good' : 'warn';
  const note = el('replica-note');
  note.hidden = v.note === null;
  note.textContent = v.note ?? '';
  for (const id of ['replica-insert', 'replica-delete']) el<HTMLButtonElement>(id).disabled = !ready || !v.mayEdit || (id === 'replica-delete' && v.length === 0);
  el<HTMLInputElement>('replica-index').max = String(v.length);
  // Only a replica this tab holds, or one the lab refused, is reset: otherwise nothing would come of it but loss.
  el<HTMLButtonElement>('replica-reset').disabled = !['ready', 'slot-taken', 'failed'].includes(v.state);
}

export function showGenes(genes: readonly number[]): void {
  const out = el('replica-genes');
  out.textContent = toHex(genes);
  out.dataset.length = String(genes.length);
}

/** The index typed in the panel, if it is a whole number in 0 .. below; null for none (random). */
export function chosenIndex(below: number): number | null {
  const text = el<HTMLInputElement>('replica-index').value.trim();
  const i = Number(text);
  return text !== '' && Number.isInteger(i) && i >= 0 && i < below ? i : null;
}

export function onClick(id: 'replica-insert' | 'replica-delete' | 'replica-reset', run: () => void): void {
  el(id).addEventListener('click', run);
}
