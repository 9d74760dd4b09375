/// <reference lib="dom" />
// The page reloads without the network: web/sw.js keeps its shell.

/**
 * Registers the shell's service worker and has it keep what this load fetched (the page and its
 * modules came before the worker controlled it). Resolves to whether all of it is kept.
 */
export async function keepShell(): Promise<boolean> {
  if (!('serviceWorker' in navigator)) return false;
  await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  const worker = (await navigator.serviceWorker.ready).active;
  if (worker === null) return false;
  const urls = [location.pathname, ...performance.getEntriesByType('resource').map((entry) => entry.name)];
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data === true);
    worker.postMessage({ type: 'keep', urls }, [channel.port2]);
  });
}
