/**
 * Local error → response mapping for the catalog sub-app, identical in shape to the cart
 * server's `src/http/errors.ts` (`{ error: { code, message } }`, codes mapped by table then by
 * suffix). Kept local so the catalog routes work and test on their own; when mounted, the cart
 * server's handler sees the same codes. TODO(catalog): switch to `createErrorHandler` from
 * ../http/errors.js once that file is committed.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CatalogError } from './errors.js';

const TABLE: Readonly<Record<string, ContentfulStatusCode>> = {
  PRODUCT_NOT_FOUND: 404,
  IMAGE_NOT_FOUND: 404,
  GENERATION_NOT_FOUND: 404,
  INVALID_PRODUCT: 400,
  INVALID_CATALOG_REQUEST: 400,
  INVALID_CURSOR: 400,
  INVALID_IMAGE: 400,
  INVALID_IMAGE_TYPE: 415,
  CATALOG_PAYLOAD_TOO_LARGE: 413,
  GENERATION_CONFLICT: 409,
  CACHE_UNAVAILABLE: 503,
  GENERATION_POINTER_UNAVAILABLE: 503,
};

export function catalogStatus(code: string): ContentfulStatusCode {
  const known = TABLE[code];
  if (known !== undefined) return known;
  if (code.endsWith('_NOT_FOUND')) return 404;
  if (code.endsWith('_CONFLICT')) return 409;
  if (code.endsWith('_UNAVAILABLE')) return 503;
  if (code.endsWith('_TOO_LARGE')) return 413;
  if (code.startsWith('INVALID_') || code.endsWith('_INVALID')) return 400;
  return 500;
}

export function catalogErrorHandler(err: unknown, c: Context): Response {
  if (err instanceof CatalogError) {
    const status = catalogStatus(err.code);
    const message = status === 500 ? 'internal error' : err.message;
    return c.json({ error: { code: err.code, message } }, status);
  }
  if (err instanceof HTTPException) {
    const code =
      err.status === 413
        ? 'CATALOG_PAYLOAD_TOO_LARGE'
        : err.status === 401
          ? 'UNAUTHORIZED'
          : err.status === 403
            ? 'FORBIDDEN'
            : 'BAD_REQUEST';
    return c.json({ error: { code, message: err.message || code } }, err.status as ContentfulStatusCode);
  }
  return c.json({ error: { code: 'INTERNAL', message: 'internal error' } }, 500);
}
