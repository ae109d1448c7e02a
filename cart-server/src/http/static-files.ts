/**
 * The storefront's static files (built by sync-client into `storefront-dist/`), served at `/`
 * after every API route so `/v1/*`, `/healthz` and friends always win.
 *
 * - Compression: the build writes `.br` and `.gz` twins of every compressible file; the twin the
 *   browser accepts is sent (`Content-Encoding`, `Vary: Accept-Encoding`), so nothing is
 *   compressed per request.
 * - Caching: content-hashed names (`app.<hash>.js`, `styles.<hash>.css`) never change and are
 *   `immutable` for a year; `index.html`, `/` and `sw.js` are `no-cache` (always revalidated,
 *   so a new build is seen at once); anything else (icons) a day.
 * - Source maps are never served (`.map` → 404), whatever a build left in the folder.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Env, Hono, MiddlewareHandler } from 'hono';

/** `sync-client/storefront-dist/` of this checkout (same depth from `src/http/` and `dist/http/`). */
export const DEFAULT_STOREFRONT_DIR = fileURLToPath(
  new URL('../../../sync-client/storefront-dist/', import.meta.url),
);

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';
const DAY = 'public, max-age=86400';

/** `name.<8+ chars of hash>.js|css`, as sync-client/scripts/bundle.ts names them. */
const HASHED = /\.[0-9A-Za-z]{8,}\.(?:js|css)$/;

/** The Cache-Control of a served path (the request path, before `/` → index.html). */
export function cacheControlFor(path: string): string {
  if (HASHED.test(path)) return IMMUTABLE;
  if (path === '/' || path.endsWith('.html') || path.endsWith('/sw.js')) return REVALIDATE;
  return DAY;
}

/** Static files of `root` with precompressed twins, cache headers, and no source maps. */
export function storefrontFiles<E extends Env>(root: string): MiddlewareHandler<E> {
  const files = serveStatic<E>({
    root,
    precompressed: true,
    rewriteRequestPath: (p) => (p === '/' ? '/index.html' : p),
  });
  return async (c, next) => {
    const path = c.req.path;
    // Source maps and the build's compressed twins are not addressable themselves.
    if (path.endsWith('.map') || path.endsWith('.br') || path.endsWith('.gz')) return next();
    const res = await files(c, next);
    // Set on the file's own response (not the context): a 404 from next() gets none of them.
    if (res instanceof Response && res.status < 300) {
      res.headers.set('cache-control', cacheControlFor(path));
      res.headers.set('x-content-type-options', 'nosniff');
    }
    return res;
  };
}

/** Mounts the storefront at `/*` when `dir` (default {@link DEFAULT_STOREFRONT_DIR}) exists. */
export function mountStorefront<E extends Env>(app: Hono<E>, dir: string | undefined): void {
  const root = dir ?? DEFAULT_STOREFRONT_DIR;
  if (!existsSync(root)) return;
  app.use('/*', storefrontFiles<E>(root));
}
