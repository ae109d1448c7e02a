/**
 * The storefront's static files (built by sync-client into `storefront-dist/`), served at `/`
 * after every API route so `/v1/*`, `/healthz` and friends always win.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Env, Hono } from 'hono';

/** `sync-client/storefront-dist/` of this checkout (same depth from `src/http/` and `dist/http/`). */
export const DEFAULT_STOREFRONT_DIR = fileURLToPath(
  new URL('../../../sync-client/storefront-dist/', import.meta.url),
);

/** Mounts the storefront at `/*` when `dir` (default {@link DEFAULT_STOREFRONT_DIR}) exists. */
export function mountStorefront<E extends Env>(app: Hono<E>, dir: string | undefined): void {
  const root = dir ?? DEFAULT_STOREFRONT_DIR;
  if (!existsSync(root)) return;
  app.use('/*', serveStatic({ root, rewriteRequestPath: (p) => (p === '/' ? '/index.html' : p) }));
}
