/**
 * Service worker: keeps the storefront's shell (HTML, the hashed JS and CSS, the icon) in Cache
 * Storage so the page loads — and shows the cart from IndexedDB and the saved catalog
 * (catalog-cache.ts) — while the device is offline. Network first for the HTML, so a new build
 * reaches online shoppers at once; hashed files never change, so they are served from the cache.
 * API calls (/v1/...) are not handled here: the page saves catalog answers itself, from its
 * very first visit.
 */
interface FetchEventLike extends Event {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}
interface ExtendableEventLike extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface WorkerScope {
  readonly location: Location;
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void> };
  addEventListener(type: 'install' | 'activate', fn: (e: ExtendableEventLike) => void): void;
  addEventListener(type: 'fetch', fn: (e: FetchEventLike) => void): void;
}

/** The build's shell files, hashed names included (scripts/bundle.ts defines it). */
declare const __SHELL__: readonly string[];
/** A hash of the shell list: a new build gets a new cache and drops the old one. */
declare const __BUILD__: string;

const scope = self as unknown as WorkerScope;
const CACHE = `cartwheel-shell-${__BUILD__}`;
const SHELL = ['./', ...__SHELL__];
const HASHED = /\.[0-9A-Za-z]{8,}\.(js|css)$/;

scope.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => scope.skipWaiting()),
  );
});

scope.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys())
        if (name.startsWith('cartwheel-shell-') && name !== CACHE) await caches.delete(name);
      await scope.clients.claim();
    })(),
  );
});

scope.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (
    event.request.method !== 'GET' ||
    url.origin !== scope.location.origin ||
    url.pathname.startsWith('/v1/')
  )
    return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      if (HASHED.test(url.pathname)) {
        const hit = await cache.match(event.request);
        if (hit !== undefined) return hit;
      }
      try {
        const response = await fetch(event.request);
        if (response.ok) await cache.put(event.request, response.clone());
        return response;
      } catch (error) {
        const cached =
          (await cache.match(event.request, { ignoreSearch: true })) ??
          (event.request.mode === 'navigate' ? await cache.match('./') : undefined);
        if (cached !== undefined) return cached;
        throw error;
      }
    })(),
  );
});
