/**
 * The real catalog, offline: every catalog answer the page receives (search pages, categories,
 * product documents) is kept in Cache Storage, plus a bounded slice fetched once per session
 * while online (the most popular products and the first page of every category). When the
 * server cannot be reached, reads answer from that copy, marked stale with the time it was
 * saved — never from a made-up catalog. The cache is written by the page itself, not the
 * service worker, so the very first visit is saved too (a service worker controls a page only
 * from its next load).
 */
export const CATALOG_CACHE = 'cartwheel-catalog-v1';
/** Bound on saved answers (oldest dropped first): ~100 pages + ~400 products is a few MB at most. */
export const MAX_SAVED_ANSWERS = 500;
const SAVED_AT = 'x-cartwheel-saved-at';
const FETCH_TIMEOUT_MS = 8000;

/** A catalog answer and where it came from. */
export interface Fetched<T> {
  readonly data: T;
  /** True when the server could not be reached and this is the copy saved at `savedAt`. */
  readonly stale: boolean;
  readonly savedAt?: number;
}

/** The server could not be reached and nothing was saved for this request. */
export class OfflineError extends Error {
  constructor(readonly path: string) {
    super(`offline and nothing saved for ${path}`);
    this.name = 'OfflineError';
  }
}

/** An HTTP error answer (the server was reached). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
    this.name = 'HttpError';
  }
}

const hasCaches = (): boolean => typeof caches !== 'undefined';

/** Cache key of a request: product reads are one document whatever their query (`?view=1`). */
export function cacheKey(path: string): string {
  const url = new URL(path, location.origin);
  if (url.pathname.startsWith('/v1/products/')) url.search = '';
  return url.href;
}

async function save(path: string, text: string): Promise<void> {
  if (!hasCaches()) return;
  const cache = await caches.open(CATALOG_CACHE);
  const key = cacheKey(path);
  await cache.delete(key); // re-inserted last: keys() lists oldest first
  await cache.put(
    key,
    new Response(text, {
      headers: { 'content-type': 'application/json', [SAVED_AT]: String(Date.now()) },
    }),
  );
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - MAX_SAVED_ANSWERS))) await cache.delete(old);
}

async function saved(path: string): Promise<{ data: unknown; savedAt: number } | undefined> {
  if (!hasCaches()) return undefined;
  const cache = await caches.open(CATALOG_CACHE);
  const hit = await cache.match(cacheKey(path));
  if (hit === undefined) return undefined;
  return { data: await hit.json(), savedAt: Number(hit.headers.get(SAVED_AT) ?? 0) };
}

/**
 * GET `path` as JSON: from the server (and saved), or — when the server cannot be reached
 * (network error, timeout, 502/503/504) — the saved copy marked stale. Other HTTP errors throw
 * HttpError; offline with nothing saved throws OfflineError.
 */
export async function getCatalogJson<T>(path: string): Promise<Fetched<T>> {
  let response: Response | undefined;
  try {
    response = await fetch(path, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch {
    response = undefined;
  }
  if (response?.ok) {
    const text = await response.text();
    void save(path, text).catch(() => {});
    return { data: JSON.parse(text) as T, stale: false };
  }
  if (response !== undefined && ![502, 503, 504].includes(response.status)) {
    throw new HttpError(response.status, await response.json().catch(() => undefined));
  }
  const copy = await saved(path);
  if (copy === undefined) throw new OfflineError(path);
  return { data: copy.data as T, stale: true, savedAt: copy.savedAt };
}

/** Every search hit saved so far (deduplicated by id): the offline search's corpus. */
export async function savedHits(): Promise<{ hits: unknown[]; savedAt: number }> {
  if (!hasCaches()) return { hits: [], savedAt: 0 };
  const cache = await caches.open(CATALOG_CACHE);
  const byId = new Map<string, unknown>();
  let savedAt = 0;
  for (const request of await cache.keys()) {
    if (!new URL(request.url).pathname.startsWith('/v1/search')) continue;
    const hit = await cache.match(request);
    if (hit === undefined) continue;
    savedAt = Math.max(savedAt, Number(hit.headers.get(SAVED_AT) ?? 0));
    const page = (await hit.json().catch(() => undefined)) as { items?: unknown } | undefined;
    if (!Array.isArray(page?.items)) continue;
    for (const item of page.items) {
      const id = (item as { id?: unknown }).id;
      if (typeof id === 'string' && !byId.has(id)) byId.set(id, item);
    }
  }
  return { hits: [...byId.values()], savedAt };
}

const SLICE_KEY = 'cartwheel.catalogSliceAt';
const SLICE_EVERY_MS = 60 * 60 * 1000;

/**
 * Saves a bounded slice of the catalog for offline use, at most once an hour per browser: the
 * categories, the 100 most popular products and the first page of every category. Runs after
 * the page is shown; failures are ignored (it is only a head start).
 */
export async function saveCatalogSlice(
  searchPath: (query: { category?: string; limit?: number }) => string,
): Promise<void> {
  if (!hasCaches()) return;
  const last = Number(localStorage.getItem(SLICE_KEY) ?? 0);
  if (Date.now() - last < SLICE_EVERY_MS) return;
  localStorage.setItem(SLICE_KEY, String(Date.now()));
  try {
    const { data } = await getCatalogJson<{ categories?: Array<{ category?: unknown }> }>('/v1/categories');
    await getCatalogJson(searchPath({ limit: 100 }));
    await getCatalogJson(searchPath({}));
    for (const c of data.categories ?? []) {
      if (typeof c.category === 'string') await getCatalogJson(searchPath({ category: c.category }));
    }
  } catch {
    localStorage.removeItem(SLICE_KEY);
  }
}
