/**
 * Adapters from the cart server's own pieces to the orders ports: the catalog's product documents
 * to CatalogPort, and the server's bearer-token verification to Authenticate (so the tokens
 * `POST /v1/devices` and `npm run dev-token` issue work on /v1/orders too). The cart server's
 * CartService already has CartPort's shape (snapshot + removePurchased) and needs no adapter.
 */
import type { Context } from 'hono';
import { verifyToken } from '../auth/tokens.js';
import { ApiError } from '../http/errors.js';
import { lookupProduct } from './catalog-lookup.js';
import type { CatalogPort, CatalogProductLike, CatalogProductView } from './ports.js';
import type { Authenticate, Principal } from './routes.js';

/**
 * Wraps a catalog whose getProduct throws PRODUCT_NOT_FOUND for unknown ids. (CatalogPort accepts
 * that shape directly too; this adapter gives a port that always answers CatalogProductView.)
 */
export function catalogPortFrom(catalog: {
  getProduct(id: string): Promise<CatalogProductLike>;
}): CatalogPort {
  return { getProduct: (id: string): Promise<CatalogProductView | undefined> => lookupProduct(catalog, id) };
}

/**
 * Authenticates with the cart server's token rules (HS256, claims sub/role/act/exp). Verified
 * tokens are cached until their expiry (bounded) because WebCrypto verification dominates the
 * cost of a checkout otherwise.
 */
export function cartServerAuthenticator(secret: string, options: { cacheSize?: number } = {}): Authenticate {
  const cacheSize = options.cacheSize ?? 10_000;
  const cache = new Map<string, { principal: Principal; expMs: number }>();
  return async (c: Context) => {
    const match = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
    if (match === null)
      throw new ApiError('UNAUTHORIZED', 'missing bearer token (Authorization: Bearer <jwt>)');
    const token = match[1]!;
    const hit = cache.get(token);
    if (hit !== undefined && hit.expMs > Date.now()) return hit.principal;
    const claims = await verifyToken(secret, token);
    const principal: Principal = { userId: claims.sub, role: claims.role };
    const exp = tokenExpiry(token);
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
    cache.set(token, { principal, expMs: exp ?? Date.now() + 60_000 });
    return principal;
  };
}

function tokenExpiry(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
