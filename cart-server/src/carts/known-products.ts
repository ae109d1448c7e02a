/**
 * Which product ids a cart may hold: the catalog's. The cart service asks through one narrow
 * function, `KnownProducts`, so it depends on no catalog type; the composition root (the
 * platform wiring) builds it from the catalog with `knownProductsFrom`. Carts only
 * (`--platform off`, no catalog) wire none, and then any well-formed id is accepted.
 */

/** Resolves to the subset of `ids` the catalog holds. Rejects when the catalog cannot answer. */
export type KnownProducts = (ids: readonly string[]) => Promise<Set<string>>;

export interface KnownProductsOptions {
  /** Positive answers remembered (LRU); a product rarely disappears while it sits in carts. */
  readonly cacheSize?: number;
  /** How long a positive answer is trusted (ms): a deleted product is refused after at most this. */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/**
 * A `KnownProducts` over a per-id existence check (e.g. the catalog's cached `findProduct`),
 * remembering positive answers: adds of popular products cost no catalog read. Negative answers
 * are never cached, so a product created a moment ago is accepted at once.
 */
export function knownProductsFrom(
  exists: (id: string) => Promise<boolean>,
  options: KnownProductsOptions = {},
): KnownProducts {
  const cacheSize = options.cacheSize ?? 100_000;
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;
  const known = new Map<string, number>(); // id → expiry; insertion order = LRU order
  return async (ids) => {
    const out = new Set<string>();
    const ask: string[] = [];
    const t = now();
    for (const id of new Set(ids)) {
      const expires = known.get(id);
      if (expires !== undefined && expires > t) {
        known.delete(id);
        known.set(id, expires);
        out.add(id);
      } else ask.push(id);
    }
    const answers = await Promise.all(ask.map((id) => exists(id)));
    ask.forEach((id, i) => {
      if (!answers[i]) return;
      out.add(id);
      known.delete(id);
      known.set(id, t + ttlMs);
      if (known.size > cacheSize) known.delete(known.keys().next().value as string);
    });
    return out;
  };
}

/** Codes a catalog answers for an id it could never hold: the product is unknown, not an outage. */
const NOT_A_PRODUCT = new Set(['PRODUCT_NOT_FOUND', 'INVALID_PRODUCT', 'INVALID_PRODUCT_ID']);

/**
 * `knownProductsFrom` over a catalog's `findProduct` (resolves undefined for a missing product):
 * an id the catalog rejects as malformed is unknown too; any other failure (the catalog is down)
 * propagates, so the cart refuses with a 5xx rather than accepting or refusing blindly. The
 * platform wiring: `ctx.carts.useKnownProducts(catalogKnownProducts((id) => shop.service.findProduct(id)))`.
 */
export function catalogKnownProducts(
  findProduct: (id: string) => Promise<unknown>,
  options: KnownProductsOptions = {},
): KnownProducts {
  return knownProductsFrom(async (id) => {
    try {
      return (await findProduct(id)) !== undefined;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && NOT_A_PRODUCT.has(code)) return false;
      throw error;
    }
  }, options);
}
