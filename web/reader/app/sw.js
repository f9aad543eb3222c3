// sw: keeps the reader's shell (the page, this worker, the manifest and the
// icon) so the reader opens with no network. Network first, so a mirror's
// new version is picked up whenever it can be reached; the cache when the
// network fails or hangs (a blocked line often hangs rather than fails).
// Nothing else is cached (the app keeps verified articles itself), and
// requests to other origins are left alone.
'use strict';

const CACHE = 'samizdat-shell-v1';
const SHELL = ['./', './sw.js', './manifest.webmanifest', './icon.svg'];
// How long the network has before the cached shell is served instead.
// The fetch goes on, and still refreshes the cache if it succeeds.
const NETWORK_WAIT_MS = 4000;

const scope = new URL(self.registration.scope);
const shellPaths = new Set(SHELL.map((p) => new URL(p, scope).pathname));

// install fetches the shell past the HTTP cache. The page itself must be
// cached; the other files are worth having but not worth failing for.
self.addEventListener('install', (ev) => {
  const get = (c, p) => c.add(new Request(p, { cache: 'reload' }));
  ev.waitUntil(
    caches.open(CACHE)
      .then((c) => Promise.all(SHELL.map((p) => (p === './' ? get(c, p) : get(c, p).catch(() => {})))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('samizdat-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== scope.origin) return;
  const isShell = shellPaths.has(url.pathname) && !url.search;
  if (req.mode === 'navigate' || isShell) ev.respondWith(networkFirst(req, isShell));
});

// networkFirst answers from the network, else from the cache. Only the
// shell's own URLs are written to the cache; any other navigation (a page
// of the mirror, say) falls back to the cached app.
function networkFirst(req, isShell) {
  const key = isShell ? req : './';
  const network = fetch(req).then((res) => {
    if (isShell && res.ok && res.type === 'basic') {
      const copy = res.clone();
      caches.open(CACHE).then((c) => c.put(req, copy));
    }
    return res;
  });
  const cached = () => caches.match(key, { ignoreSearch: !isShell });
  return new Promise((resolve, reject) => {
    let done = false;
    const fallback = () => {
      if (done) return;
      cached().then((res) => {
        if (res && !done) {
          done = true;
          resolve(res);
        }
      });
    };
    // Only the shell is worth not waiting for: any other page the
    // network is slow to give is still that page.
    const timer = isShell ? setTimeout(fallback, NETWORK_WAIT_MS) : 0;
    network.then(
      (res) => {
        clearTimeout(timer);
        if (!done) {
          done = true;
          resolve(res);
        }
      },
      (err) => {
        clearTimeout(timer);
        cached().then((res) => {
          if (done) return;
          done = true;
          if (res) resolve(res);
          else reject(err);
        });
      },
    );
  });
}
