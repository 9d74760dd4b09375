// The token-guarded control routes (/api/*), and running one from a control on the page.

import { redraw, token } from './state.js';
import { toast } from './toast.js';

async function api(path, body) {
  const init = { method: 'POST', headers: { authorization: `Bearer ${token}` } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new Error('the lab is not answering');
  }
  if (res.ok) return;
  let message = `${res.status} ${res.statusText}`;
  try {
    const answer = await res.json();
    message = answer.message ?? answer.error ?? message;
  } catch {
    // Not JSON: keep the status line.
  }
  throw new Error(message);
}

/** Runs a control action: the control is disabled while it runs, a failure becomes a toast. */
export async function act(control, label, path, body) {
  if (token === null) return;
  control.disabled = true;
  try {
    await api(path, body);
  } catch (err) {
    toast(`${label}: ${err.message}`);
  } finally {
    control.disabled = false;
    // Re-apply the per-phase enabling the action may have changed meanwhile.
    redraw();
  }
}
