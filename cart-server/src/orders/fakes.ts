/**
 * In-memory CartPort and CatalogPort for tests, benchmarks and the processor harness. The fake
 * cart keeps the one property checkout relies on: every add carries a unique tag (a dot), a
 * snapshot's context lists the tags it saw, and removePurchased removes only those
 * (observed-remove), so an add made after the snapshot survives — as in @cartwheel/crdt's Cart.
 */
import type {
  CartPort,
  CartSnapshot,
  CatalogPort,
  CatalogProductView,
  LineMetaValue,
  SnapshotLine,
} from './ports.js';

interface FakeLine {
  /** dot → quantity added under that dot */
  readonly dots: Map<string, number>;
  meta?: Readonly<Record<string, LineMetaValue>>;
}

export class InMemoryCartPort implements CartPort {
  readonly #carts = new Map<string, Map<string, FakeLine>>();
  #counter = 0;
  /** Calls of removePurchased (to check replays and failures). */
  removals = 0;
  failRemovals = false;

  #cart(userId: string, cartId: string): Map<string, FakeLine> {
    const key = `${userId}/${cartId}`;
    let cart = this.#carts.get(key);
    if (cart === undefined) {
      cart = new Map();
      this.#carts.set(key, cart);
    }
    return cart;
  }

  add(
    userId: string,
    cartId: string,
    productId: string,
    quantity: number,
    meta?: Readonly<Record<string, LineMetaValue>>,
  ): void {
    const cart = this.#cart(userId, cartId);
    const line = cart.get(productId) ?? { dots: new Map<string, number>() };
    line.dots.set(`fake:${++this.#counter}`, quantity);
    if (meta !== undefined) line.meta = meta;
    cart.set(productId, line);
  }

  lines(userId: string, cartId: string): SnapshotLine[] {
    return [...this.#cart(userId, cartId)]
      .map(([productId, line]) => {
        const quantity = [...line.dots.values()].reduce((a, b) => a + b, 0);
        const dots = [...line.dots.keys()];
        return line.meta === undefined
          ? { productId, quantity, dots }
          : { productId, quantity, dots, meta: line.meta };
      })
      .sort((a, b) => (a.productId < b.productId ? -1 : 1));
  }

  async snapshot(userId: string, cartId: string): Promise<CartSnapshot> {
    const seen = [...this.#cart(userId, cartId).values()].flatMap((l) => [...l.dots.keys()]);
    return { lines: this.lines(userId, cartId), context: new TextEncoder().encode(JSON.stringify(seen)) };
  }

  async removePurchased(userId: string, cartId: string, snapshot: CartSnapshot): Promise<void> {
    this.removals++;
    if (this.failRemovals) throw new Error('cart store unavailable');
    const seen = new Set(JSON.parse(new TextDecoder().decode(snapshot.context)) as string[]);
    const cart = this.#cart(userId, cartId);
    for (const { productId } of snapshot.lines) {
      const line = cart.get(productId);
      if (line === undefined) continue;
      for (const dot of [...line.dots.keys()]) if (seen.has(dot)) line.dots.delete(dot);
      if (line.dots.size === 0) cart.delete(productId);
    }
  }
}

export class InMemoryCatalogPort implements CatalogPort {
  readonly products = new Map<string, CatalogProductView>();

  put(product: Partial<CatalogProductView> & { id: string }): void {
    this.products.set(product.id, {
      title: `Product ${product.id}`,
      priceMinor: 1000,
      currency: 'EUR',
      available: true,
      ...product,
    });
  }

  async getProduct(id: string): Promise<CatalogProductView | undefined> {
    return this.products.get(id);
  }
}
