/// <reference lib="dom" />
// What the tab remembers between visits (localStorage): its id, and its last join, so a reload
// with the lab out of reach opens the same replica.
import type { Joined } from './lab.js';

const TAB = 'replica-tab';
const JOINED = 'replica-joined';

/** This browser's tab id for the lab (one replica per origin: the Web Lock keeps it to one tab). */
export function tabId(): string {
  let id = localStorage.getItem(TAB);
  if (id === null || !/^[\w-]{8,64}$/.test(id)) {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    id = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    localStorage.setItem(TAB, id);
  }
  return id;
}

export function savedJoin(): Joined | null {
  try {
    const j = JSON.parse(localStorage.getItem(JOINED) ?? 'null') as Joined | null;
    return j !== null && Number.isInteger(j.member) && Number.isInteger(j.members) && typeof j.cluster === 'string' ? j : null;
  } catch {
    return null;
  }
}

export function saveJoin(j: Joined | null): void {
  if (j === null) localStorage.removeItem(JOINED);
  else localStorage.setItem(JOINED, JSON.stringify(j));
}
