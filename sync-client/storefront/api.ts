/**
 * The storefront's calls to the server: catalog reads (through catalog-cache.ts, so what was
 * seen online is there offline, marked stale) and the order routes. There is no built-in
 * catalog: offline with nothing saved, a page says so.
 */
import { type Fetched, getCatalogJson, HttpError, OfflineError, savedHits } from './catalog-cache.js';

export { HttpError, OfflineError };

export const PAGE_SIZE = 24;

/** A product as the pages show it: a search hit, or a product document (with `details`). */
export interface ProductView {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly priceMinor: number;
  readonly currency: string;
  readonly category: string;
  readonly image: string | null;
  /** in_stock | out_of_stock | preorder | discontinued */
  readonly availability: string;
  /** Units in stock, when the answer says (product documents do; search hits do not). */
  readonly stock?: number;
  readonly details?: ProductDetails;
}

export interface ProductDetails {
  readonly brand?: string;
  readonly rating?: number;
  readonly reviews?: number;
  readonly attributes: ReadonlyArray<readonly [string, string]>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Reads a search hit or a product document; undefined when it is not one. */
export function toView(raw: unknown): ProductView | undefined {
  const s = raw as Record<string, unknown>;
  if (typeof s !== 'object' || s === null) return undefined;
  const id = str(s.id);
  const title = str(s.title);
  const priceMinor = num(s.priceMinor);
  if (id === undefined || title === undefined || priceMinor === undefined) return undefined;
  const images = Array.isArray(s.images) ? s.images : [];
  const availability = s.availability as { status?: unknown; stock?: unknown } | string | undefined;
  const attrs =
    typeof s.attributes === 'object' && s.attributes !== null
      ? (s.attributes as Record<string, unknown>)
      : undefined;
  const stock = typeof availability === 'object' ? num(availability?.stock) : undefined;
  const view: ProductView = {
    id,
    title,
    description: str(s.description) ?? str(s.snippet) ?? '',
    priceMinor,
    currency: str(s.currency) ?? 'EUR',
    category: str(s.category) ?? '',
    image: str(s.image) ?? str(images[0]) ?? null,
    availability: typeof availability === 'string' ? availability : (str(availability?.status) ?? 'in_stock'),
    ...(stock === undefined ? {} : { stock }),
  };
  if (attrs === undefined) return view;
  const { brand, rating, reviews, ...rest } = attrs;
  const details: ProductDetails = {
    ...(str(brand) === undefined ? {} : { brand: str(brand)! }),
    ...(num(rating) === undefined ? {} : { rating: num(rating)! }),
    ...(num(reviews) === undefined ? {} : { reviews: num(reviews)! }),
    attributes: Object.entries(rest)
      .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))
      .map(([k, v]) => [k, v === true ? 'yes' : v === false ? 'no' : String(v)] as const),
  };
  return { ...view, details };
}

export interface ListQuery {
  readonly q?: string;
  readonly category?: string;
  readonly cursor?: string;
  readonly limit?: number;
}

/** The one spelling of a search URL (the offline copy is found by the same URL). */
export function searchPath(query: ListQuery): string {
  const params = new URLSearchParams({ limit: String(query.limit ?? PAGE_SIZE) });
  if (query.q !== undefined && query.q !== '') params.set('q', query.q);
  if (query.category !== undefined && query.category !== '') params.set('category', query.category);
  if (query.cursor !== undefined) params.set('cursor', query.cursor);
  return `/v1/search?${params}`;
}

export interface ProductPage {
  readonly products: ProductView[];
  readonly total: number;
  readonly nextCursor?: string;
  readonly correctedQuery?: string;
  readonly stale: boolean;
  readonly savedAt?: number;
  /** Offline, no saved copy of this exact page: matches found among the saved products. */
  readonly fromSaved: boolean;
}

interface SearchAnswer {
  items?: unknown;
  total?: unknown;
  nextCursor?: unknown;
  correctedQuery?: unknown;
}

const views = (items: unknown): ProductView[] =>
  (Array.isArray(items) ? items : []).map(toView).filter((p): p is ProductView => p !== undefined);

export async function listProducts(query: ListQuery): Promise<ProductPage> {
  let answer: Fetched<SearchAnswer>;
  try {
    answer = await getCatalogJson<SearchAnswer>(searchPath(query));
  } catch (error) {
    if (!(error instanceof OfflineError)) throw error;
    return searchSaved(query);
  }
  const { data } = answer;
  return {
    products: views(data.items),
    total: num(data.total) ?? 0,
    ...(str(data.nextCursor) === undefined ? {} : { nextCursor: str(data.nextCursor)! }),
    ...(str(data.correctedQuery) === undefined ? {} : { correctedQuery: str(data.correctedQuery)! }),
    stale: answer.stale,
    ...(answer.savedAt === undefined ? {} : { savedAt: answer.savedAt }),
    fromSaved: false,
  };
}

/** Offline search over the saved products: every word in the title or category. */
async function searchSaved(query: ListQuery): Promise<ProductPage> {
  const { hits, savedAt } = await savedHits();
  const words = (query.q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const products = views(hits).filter((p) => {
    if (query.category !== undefined && query.category !== '' && p.category !== query.category) return false;
    const text = `${p.title} ${p.category}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
  if (products.length === 0 && hits.length === 0) throw new OfflineError(searchPath(query));
  const limit = query.limit ?? PAGE_SIZE;
  return {
    products: products.slice(0, limit),
    total: products.length,
    stale: true,
    savedAt,
    fromSaved: true,
  };
}

export interface Category {
  readonly slug: string;
  readonly name: string;
  readonly products: number;
}

/** "home-kitchen" → "Home kitchen". */
export function categoryName(slug: string): string {
  const words = slug.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export async function listCategories(): Promise<Category[]> {
  try {
    const { data } = await getCatalogJson<{ categories?: unknown }>('/v1/categories');
    return (Array.isArray(data.categories) ? data.categories : []).flatMap((c) => {
      const slug = str((c as { category?: unknown }).category);
      return slug === undefined
        ? []
        : [{ slug, name: categoryName(slug), products: num((c as { products?: unknown }).products) ?? 0 }];
    });
  } catch {
    return [];
  }
}

export interface ProductAnswer {
  readonly product: ProductView | undefined;
  readonly stale: boolean;
  readonly savedAt?: number;
}

/**
 * One product document: `view` marks the read as a shopper opening the product page, which the
 * server counts once for popularity (`?view=1`); every other read is plain. Offline, the saved
 * document, or the saved search hit when only that was seen.
 */
export async function getProduct(id: string, view: boolean): Promise<ProductAnswer> {
  const path = `/v1/products/${encodeURIComponent(id)}${view ? '?view=1' : ''}`;
  try {
    const answer = await getCatalogJson<unknown>(path);
    return {
      product: toView(answer.data),
      stale: answer.stale,
      ...(answer.savedAt === undefined ? {} : { savedAt: answer.savedAt }),
    };
  } catch (error) {
    if (error instanceof HttpError && error.status === 404) return { product: undefined, stale: false };
    if (!(error instanceof OfflineError)) throw error;
    const { hits, savedAt } = await savedHits();
    const hit = views(hits).find((p) => p.id === id);
    if (hit === undefined) throw error;
    return { product: hit, stale: true, savedAt };
  }
}

// ---- orders

export interface OrderAnswer {
  readonly ok: boolean;
  readonly status: number;
  readonly body: unknown;
}

async function answerOf(response: Response): Promise<OrderAnswer> {
  return { ok: response.ok, status: response.status, body: await response.json().catch(() => undefined) };
}

/** POST /v1/orders; the caller keeps `idempotencyKey` for retries of the same attempt. */
export async function placeOrder(
  userToken: string,
  cartId: string,
  idempotencyKey: string,
  acceptPriceChanges = false,
): Promise<OrderAnswer> {
  const response = await fetch('/v1/orders', {
    method: 'POST',
    headers: {
      authorization: `Bearer ${userToken}`,
      'content-type': 'application/json',
      'idempotency-key': idempotencyKey,
    },
    body: JSON.stringify(acceptPriceChanges ? { cartId, acceptPriceChanges } : { cartId }),
  });
  return answerOf(response);
}

/** GET /v1/orders/:id as the signed-in shopper. */
export async function getOrder(userToken: string, orderId: string): Promise<OrderAnswer> {
  const response = await fetch(`/v1/orders/${encodeURIComponent(orderId)}`, {
    headers: { authorization: `Bearer ${userToken}`, accept: 'application/json' },
    signal: AbortSignal.timeout(10_000),
  });
  return answerOf(response);
}
