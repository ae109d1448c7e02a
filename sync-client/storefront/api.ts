/**
 * The storefront's calls to the server's catalog, search and order routes. Catalog reads fall
 * back to the demo catalog when the routes are missing or the network is down.
 */
import { DEMO_CATALOG, type ProductView, searchDemo } from './demo-catalog.js';

interface Summary {
  id?: unknown;
  title?: unknown;
  snippet?: unknown;
  description?: unknown;
  priceMinor?: unknown;
  currency?: unknown;
  image?: unknown;
  images?: unknown;
  availability?: unknown;
}

function toView(s: Summary): ProductView | undefined {
  if (typeof s.id !== 'string' || typeof s.title !== 'string' || typeof s.priceMinor !== 'number')
    return undefined;
  const images = Array.isArray(s.images) ? s.images : [];
  const availability = s.availability as { status?: unknown } | string | undefined;
  return {
    id: s.id,
    title: s.title,
    description:
      typeof s.description === 'string' ? s.description : typeof s.snippet === 'string' ? s.snippet : '',
    priceMinor: s.priceMinor,
    currency: typeof s.currency === 'string' ? s.currency : 'EUR',
    image: typeof s.image === 'string' ? s.image : typeof images[0] === 'string' ? images[0] : null,
    availability:
      typeof availability === 'string'
        ? availability
        : typeof availability?.status === 'string'
          ? availability.status
          : 'in_stock',
  };
}

export interface CatalogResult {
  readonly products: ProductView[];
  /** True when the built-in demo catalog answered. */
  readonly demo: boolean;
}

async function getJson(path: string): Promise<unknown> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

export async function searchProducts(q: string): Promise<CatalogResult> {
  try {
    const params = new URLSearchParams({ limit: '24' });
    if (q !== '') params.set('q', q);
    const page = (await getJson(`/v1/search?${params}`)) as { items?: unknown };
    if (!Array.isArray(page.items)) throw new Error('unexpected search answer');
    const products = page.items
      .map((i) => toView(i as Summary))
      .filter((p): p is ProductView => p !== undefined);
    if (products.length === 0 && q === '') throw new Error('empty catalog');
    return { products, demo: false };
  } catch {
    return { products: q === '' ? [...DEMO_CATALOG] : searchDemo(q), demo: true };
  }
}

export async function getProduct(id: string): Promise<ProductView | undefined> {
  const demo = DEMO_CATALOG.find((p) => p.id === id);
  if (demo !== undefined) return demo;
  try {
    return toView((await getJson(`/v1/products/${encodeURIComponent(id)}`)) as Summary);
  } catch {
    return undefined;
  }
}

export interface OrderAnswer {
  readonly ok: boolean;
  readonly status: number;
  readonly body: unknown;
}

/** POST /v1/orders; the caller keeps `idempotencyKey` for retries of the same attempt. */
export async function placeOrder(
  userToken: string,
  cartId: string,
  idempotencyKey: string,
): Promise<OrderAnswer> {
  const response = await fetch('/v1/orders', {
    method: 'POST',
    headers: {
      authorization: `Bearer ${userToken}`,
      'content-type': 'application/json',
      'idempotency-key': idempotencyKey,
    },
    body: JSON.stringify({ cartId }),
  });
  return { ok: response.ok, status: response.status, body: await response.json().catch(() => undefined) };
}
