// The dashboard's shell kept for a reload without the network: the page, its style, its icon and
// its modules, network first, with the last copy fetched as the fallback. Never /api/* or /events
// (live data and controls must fail when the lab is out of reach). Registered by the replica
// panel; copies are kept under the path alone, so the token of `/?token=…` is never stored.

const CACHE = 'crdt-genome-shell-v1';
const SHELL = /^\/(?:[\w-]+\.(?:js|css|svg))?$/;

/** The cache key of a shell URL of this origin, or null for anything else. */
function shellKey(href) {
  const url = new URL(href, self.location.origin);
  return url.origin === self.location.origin && SHELL.test(url.pathname) ? url.origin + url.pathname : null;
}

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const key = event.request.method === 'GET' ? shellKey(event.request.url) : null;
  if (key !== null) event.respondWith(networkFirst(event.request, key));
});

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(key, response.clone());
    return response;
  } catch (err) {
    const kept = await cache.match(key);
    if (kept === undefined) throw err;
    return kept;
  }
}

// The page names what its first load fetched before this worker controlled it; the answer on
// the port says whether all of it is kept.
self.addEventListener('message', (event) => {
  if (event.data?.type !== 'keep' || !Array.isArray(event.data.urls)) return;
  const keys = [...new Set(event.data.urls.map(shellKey).filter((key) => key !== null))];
  const kept = caches.open(CACHE).then((cache) => cache.addAll(keys)).then(() => true, () => false);
  event.waitUntil(kept.then((ok) => event.ports[0]?.postMessage(ok)));
});
