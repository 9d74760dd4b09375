// What the page knows: the control token, the latest snapshot and when it came, and how to redraw.

/**
 * The token leaves the address bar (and screenshots, and history) and is kept for this tab only
 * (sessionStorage), so a reload keeps the controls; closing the tab forgets it.
 */
function takeToken() {
  const url = new URL(location.href);
  const value = url.searchParams.get('token');
  if (value === null) return sessionStorage.getItem('lab-token');
  url.searchParams.delete('token');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  if (value === '') {
    sessionStorage.removeItem('lab-token');
    return null;
  }
  sessionStorage.setItem('lab-token', value);
  return value;
}

export const token = takeToken();

/**
 * Above this many actors the page takes its large layout: the match matrix becomes a heat map and
 * the actor rows become compact and scroll in a box of their own.
 */
const LARGE_ABOVE = 16;

/** Whether the latest snapshot calls for the large layout. */
export const large = () => snap !== null && snap.actors.length > LARGE_ABOVE;

/** Latest snapshot, and when (performance.now()) it arrived, to tick the clocks between snapshots. */
export let snap = null;
let receivedAt = 0;

export function setSnapshot(snapshot) {
  snap = snapshot;
  receivedAt = performance.now();
}

/** Lab time now, extrapolated from the last snapshot. */
export const labNow = () => (snap === null ? 0 : snap.t + (performance.now() - receivedAt));

/** Draws the whole page from `snap`: set by app.js, which knows every part. */
let renderer = () => {};

export function setRenderer(render) {
  renderer = render;
}

/** Draws the page again from the latest snapshot, if one has come. */
export function redraw() {
  if (snap !== null) renderer();
}
