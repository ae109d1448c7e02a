/**
 * What the orders subsystem needs from the rest of the server (hexagonal ports). The cart server
 * implements CartPort over its replicated carts; the catalog implements CatalogPort.
 */

export type LineMetaValue = string | number | boolean;

export interface SnapshotLine {
  readonly productId: string;
  readonly quantity: number;
  /** Line metadata, e.g. `{ priceMinor: 1299, currency: 'EUR' }` (the price seen when added). */
  readonly meta?: Readonly<Record<string, LineMetaValue>>;
  /**
   * The dots (`<actor>:<counter>`) of the cart entries that make this line, as read. Checkout
   * claims them, so two orders can never buy the same add.
   */
  readonly dots?: readonly string[];
}

/**
 * The cart as it was read, with the causal context of that read (`encodeContext` bytes from
 * @cartwheel/crdt). The order records the context, so it says exactly which cart state was
 * bought; `removePurchased` removes only what this context observed (observed-remove), so items
 * added concurrently — on another device, after the snapshot — stay in the cart.
 */
export interface CartSnapshot {
  readonly lines: readonly SnapshotLine[];
  readonly context: Uint8Array;
}

export interface CartPort {
  /** Reads the user's cart (an empty cart has no lines), each line with its dots. */
  snapshot(userId: string, cartId: string): Promise<CartSnapshot>;
  /**
   * Removes the snapshot's lines as observed by its context; idempotent. Called once the order is
   * confirmed (only `productId` of the lines is used).
   */
  removePurchased(userId: string, cartId: string, snapshot: CartSnapshot): Promise<void>;
}

export interface CatalogProductView {
  readonly id: string;
  readonly title: string;
  /** Price in integer minor units (cents). */
  readonly priceMinor: number;
  /** ISO 4217 code, e.g. 'EUR'. */
  readonly currency: string;
  /** The catalog's availability flag; actual stock is enforced by the order processor. */
  readonly available: boolean;
}

/** The fields of the catalog's product document the order path reads (catalog/product.ts). */
export interface CatalogProductLike {
  readonly id: string;
  readonly title: string;
  readonly priceMinor: number;
  readonly currency: string;
  readonly availability: { readonly status: string };
}

/**
 * `getProduct` may answer either shape, and may signal an unknown product by resolving
 * `undefined` or by throwing an error with code PRODUCT_NOT_FOUND — so the catalog's own
 * `catalogPort(catalog)` plugs in unchanged.
 */
export interface CatalogPort {
  getProduct(id: string): Promise<CatalogProductView | CatalogProductLike | undefined>;
}
