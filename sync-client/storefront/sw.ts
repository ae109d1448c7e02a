/**
 * Service worker: keeps the storefront's shell (HTML, JS, CSS) in Cache Storage so the page
 * loads — and shows the cart from IndexedDB — while the device is offline. Network first, so a
 * new build reaches online shoppers at once; API calls (/v1/...) are never cached.
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

const scope = self as unknown as WorkerScope;
const CACHE = 'cartwheel-shell-v1';
const SHELL = ['./', './index.html', './app.js', './styles.css'];

scope.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => scope.skipWaiting()),
  );
});

scope.addEventListener('activate', (event) => {
  event.waitUntil(scope.clients.claim());
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
      try {
        const response = await fetch(event.request);
        if (response.ok) await cache.put(event.request, response.clone());
        return response;
      } catch (error) {
        const cached =
          (await cache.match(event.request, { ignoreSearch: true })) ??
          (event.request.mode === 'navigate' ? await cache.match('./index.html') : undefined);
        if (cached !== undefined) return cached;
        throw error;
      }
    })(),
  );
});
