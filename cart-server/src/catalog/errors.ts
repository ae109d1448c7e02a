/**
 * Catalog errors (products, images, the product cache and store). Each class carries a stable `code` (listed in
 * cart-server/docs/catalog.md) that the HTTP layer maps to a status in one place; the codes follow
 * the cart server's suffix rule (`*_NOT_FOUND` → 404, `INVALID_*` → 400, `*_CONFLICT` → 409,
 * `*_TOO_LARGE` → 413, `*_UNAVAILABLE` → 503).
 */
export class CatalogError extends Error {
  readonly code: string;
  readonly details: unknown;
  constructor(code: string, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }
}

export class ProductNotFoundError extends CatalogError {
  readonly productId: string;
  constructor(productId: string) {
    super('PRODUCT_NOT_FOUND', `product ${JSON.stringify(productId)} not found`);
    this.productId = productId;
  }
}

/** A product document or a product id failed schema validation. */
export class InvalidProductError extends CatalogError {
  constructor(message: string, options?: { cause?: unknown; details?: unknown }) {
    super('INVALID_PRODUCT', message, options);
  }
}

/** A product document is valid but its JSON exceeds MAX_PRODUCT_BYTES. */
export class ProductTooLargeError extends CatalogError {
  constructor(message: string) {
    super('PRODUCT_TOO_LARGE', message);
  }
}

/** Query string / body of a catalog request failed validation. */
export class InvalidCatalogRequestError extends CatalogError {
  constructor(message: string, options?: { cause?: unknown; details?: unknown }) {
    super('INVALID_CATALOG_REQUEST', message, options);
  }
}

export class PayloadTooLargeError extends CatalogError {
  constructor(message: string) {
    super('CATALOG_PAYLOAD_TOO_LARGE', message);
  }
}

export class ImageNotFoundError extends CatalogError {
  constructor(name: string) {
    super('IMAGE_NOT_FOUND', `image ${JSON.stringify(name)} not found`);
  }
}

/** The cache backend (Redis) failed or timed out; readers fall back to the store. */
export class CacheUnavailableError extends CatalogError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CACHE_UNAVAILABLE', message, options);
  }
}

/** The product store (PostgreSQL) could not be reached or failed; nothing was written. */
export class ProductStoreUnavailableError extends CatalogError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PRODUCT_STORE_UNAVAILABLE', message, options);
  }
}
