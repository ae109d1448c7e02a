/**
 * Normalises what a CatalogPort answers (see ports.ts) into the view the order path uses:
 * an unknown product is `undefined`; the catalog's availability status becomes `available`.
 */
import type { CatalogPort, CatalogProductLike, CatalogProductView } from '../ports.js';

/** Statuses that may be ordered; actual stock is enforced by the order processor. */
const ORDERABLE = new Set(['in_stock', 'preorder']);

export function toProductView(product: CatalogProductView | CatalogProductLike): CatalogProductView {
  if ('available' in product) return product;
  return {
    id: product.id,
    title: product.title,
    priceMinor: product.priceMinor,
    currency: product.currency,
    available: ORDERABLE.has(product.availability.status),
  };
}

export async function lookupProduct(
  catalog: CatalogPort,
  id: string,
): Promise<CatalogProductView | undefined> {
  try {
    const product = await catalog.getProduct(id);
    return product === undefined ? undefined : toProductView(product);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'PRODUCT_NOT_FOUND' || code === 'INVALID_PRODUCT_ID') return undefined;
    throw err;
  }
}
