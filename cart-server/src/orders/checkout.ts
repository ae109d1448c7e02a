/**
 * Checkout, order queries and seller inventory updates: the request side of the order path.
 *
 * Checkout is idempotent by construction: the order id is derived from (user, Idempotency-Key),
 * and the log append carries it as its dedupe id, so however often a request is retried — even
 * concurrently, even after a crash between the append and the reply — the log holds the order
 * once. Only the request whose append was first removes the purchased lines from the cart; a
 * replay re-runs that removal with the *recorded* snapshot, which is harmless (observed-remove
 * with the same context is idempotent) and finishes a removal a crash may have interrupted.
 */
import { createHash, randomUUID } from 'node:crypto';
import { lookupProduct } from './catalog-lookup.js';
import { OrderError } from './errors.js';
import {
  decodeLogEvent,
  type InventoryUpdate,
  MAX_LINE_QUANTITY,
  MAX_ORDER_LINES,
  type OrderLine,
  type OrderPlaced,
  type OrderView,
  PRODUCT_ID_PATTERN,
} from './events.js';
import type { LogPosition, OrderLog } from './log/order-log.js';
import { noopOrderMetrics, type OrderMetrics } from './metrics.js';
import type { CartPort, CartSnapshot, CatalogPort, CatalogProductView } from './ports.js';
import type { ProcessorStore } from './processor-store.js';

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

export function deriveOrderId(userId: string, idempotencyKey: string): string {
  return `ord_${createHash('sha256').update(`${userId}\n${idempotencyKey}`).digest('hex').slice(0, 32)}`;
}

export interface CheckoutRequest {
  readonly userId: string;
  readonly cartId: string;
  readonly idempotencyKey: string;
  readonly email?: string;
  /** Buy at the catalog's current prices even when a line's price snapshot differs. */
  readonly acceptPriceChanges?: boolean;
}

export interface CheckoutResult {
  readonly orderId: string;
  readonly status: OrderView['status'];
  /** True when the key had already placed this order. */
  readonly replayed: boolean;
  readonly partition: number;
  readonly offset: number;
}

/** Reads order status: the processor's outcome if any, else 'pending' from the log. */
export class OrderQuery {
  readonly #log: OrderLog;
  readonly #store: ProcessorStore;

  constructor(log: OrderLog, store: ProcessorStore) {
    this.#log = log;
    this.#store = store;
  }

  async get(orderId: string): Promise<OrderView | undefined> {
    // Every order is in the log before it can be processed, so one index lookup answers the
    // common case (a new key) without touching the processor's state.
    const position = await this.#log.find(orderId, orderId);
    if (position === undefined) return undefined;
    const processed = await this.#store.order(orderId);
    if (processed !== undefined) return processed;
    const pending = await this.#read(position);
    if (pending === undefined) return undefined;
    const event = pending;
    return {
      orderId,
      userId: event.userId,
      cartId: event.cartId,
      status: 'pending',
      lines: event.lines,
      totalMinor: event.totalMinor,
      currency: event.currency,
      createdAt: event.createdAt,
      partition: position.partition,
      offset: position.offset,
    };
  }

  /** The order event as appended (with the cart snapshot it recorded). */
  async placed(orderId: string): Promise<OrderPlaced | undefined> {
    const position = await this.#log.find(orderId, orderId);
    return position === undefined ? undefined : this.#read(position);
  }

  async #read(position: LogPosition): Promise<OrderPlaced | undefined> {
    const [record] = await this.#log.read(position.partition, position.offset, 1);
    const event = record === undefined ? undefined : decodeLogEvent(record.value);
    return event?.type === 'order.placed' ? event : undefined;
  }
}

export interface CheckoutServiceOptions {
  readonly log: OrderLog;
  readonly query: OrderQuery;
  readonly cart: CartPort;
  readonly catalog: CatalogPort;
  readonly metrics?: OrderMetrics;
  readonly now?: () => number;
  readonly onCartError?: (err: unknown) => void;
  /** Called once per order, when its append was the first (the popularity signal; never awaited). */
  readonly onPlaced?: (order: OrderPlaced) => void;
}

export class CheckoutService {
  readonly #o: CheckoutServiceOptions;
  readonly #metrics: OrderMetrics;
  readonly #now: () => number;

  constructor(options: CheckoutServiceOptions) {
    this.#o = options;
    this.#metrics = options.metrics ?? noopOrderMetrics;
    this.#now = options.now ?? Date.now;
  }

  async checkout(request: CheckoutRequest): Promise<CheckoutResult> {
    try {
      const result = await this.#checkout(request);
      this.#metrics.checkout(result.replayed ? 'replayed' : 'accepted');
      return result;
    } catch (err) {
      this.#metrics.checkout('refused');
      throw err;
    }
  }

  async #checkout(request: CheckoutRequest): Promise<CheckoutResult> {
    const { userId, cartId, idempotencyKey } = request;
    if (!IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
      throw new OrderError(
        'IDEMPOTENCY_KEY_INVALID',
        'Idempotency-Key must be 1-128 characters [A-Za-z0-9_.:-]',
      );
    }
    const orderId = deriveOrderId(userId, idempotencyKey);
    const earlier = await this.#replay(orderId, request);
    if (earlier !== undefined) return earlier;

    const snapshot = await this.#o.cart.snapshot(userId, cartId);
    if (snapshot.lines.length === 0) {
      // A concurrent request with the same key may have placed the order and emptied the cart
      // between our replay check and this snapshot: answer with that order, not an error.
      const placedMeanwhile = await this.#replay(orderId, request);
      if (placedMeanwhile !== undefined) return placedMeanwhile;
      throw new OrderError('EMPTY_CART', `cart ${cartId} has no lines`);
    }
    if (snapshot.lines.length > MAX_ORDER_LINES) {
      throw new OrderError('ORDER_TOO_LARGE', `an order holds at most ${MAX_ORDER_LINES} lines`);
    }
    const lines = await this.#price(snapshot, request.acceptPriceChanges === true);
    const currency = lines[0]!.currency;
    if (lines.some((l) => l.currency !== currency)) {
      throw new OrderError('ORDER_INVALID', 'all lines of an order must share one currency');
    }
    const event: OrderPlaced = {
      type: 'order.placed',
      v: 1,
      orderId,
      userId,
      cartId,
      email:
        request.email ?? `${userId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64)}@users.cartwheel.invalid`,
      createdAt: this.#now(),
      lines,
      totalMinor: lines.reduce((sum, l) => sum + l.unitPriceMinor * l.quantity, 0),
      currency,
      cartContext: Buffer.from(snapshot.context).toString('base64'),
    };
    let appended: Awaited<ReturnType<OrderLog['append']>>;
    try {
      appended = await this.#o.log.append({ key: orderId, value: JSON.stringify(event), dedupeId: orderId });
    } catch (err) {
      throw new OrderError(
        'ORDER_LOG_UNAVAILABLE',
        'the order could not be recorded; retry with the same key',
        {
          cause: err,
        },
      );
    }
    if (appended.duplicate) {
      // A concurrent request with the same key won the append: it owns the cart removal.
      const view = await this.#o.query.get(orderId);
      return { orderId, status: view?.status ?? 'pending', replayed: true, ...position(appended) };
    }
    try {
      this.#o.onPlaced?.(event);
    } catch {
      // a listener's failure is not the order's
    }
    await this.#removePurchased(userId, cartId, snapshot);
    return { orderId, status: 'pending', replayed: false, ...position(appended) };
  }

  async #replay(orderId: string, request: CheckoutRequest): Promise<CheckoutResult | undefined> {
    const view = await this.#o.query.get(orderId);
    if (view === undefined) return undefined;
    if (view.cartId !== request.cartId) {
      throw new OrderError(
        'IDEMPOTENCY_CONFLICT',
        'this Idempotency-Key already placed an order for another cart',
        {
          details: { orderId },
        },
      );
    }
    const placed = await this.#o.query.placed(orderId);
    if (placed !== undefined) {
      const snapshot: CartSnapshot = {
        lines: placed.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
        context: Buffer.from(placed.cartContext, 'base64'),
      };
      await this.#removePurchased(request.userId, request.cartId, snapshot);
    }
    return {
      orderId,
      status: view.status,
      replayed: true,
      partition: view.partition ?? 0,
      offset: view.offset ?? 0,
    };
  }

  async #removePurchased(userId: string, cartId: string, snapshot: CartSnapshot): Promise<void> {
    try {
      await this.#o.cart.removePurchased(userId, cartId, snapshot);
    } catch (err) {
      // The order stands; a retry with the same key finishes the removal.
      this.#o.onCartError?.(err);
    }
  }

  async #price(snapshot: CartSnapshot, acceptPriceChanges: boolean): Promise<OrderLine[]> {
    for (const line of snapshot.lines) {
      if (
        !PRODUCT_ID_PATTERN.test(line.productId) ||
        !Number.isInteger(line.quantity) ||
        line.quantity < 1 ||
        line.quantity > MAX_LINE_QUANTITY
      ) {
        throw new OrderError('ORDER_INVALID', `cart line ${line.productId} cannot be ordered`);
      }
    }
    const products = await Promise.all(
      snapshot.lines.map((l) => lookupProduct(this.#o.catalog, l.productId)),
    );
    const missing = snapshot.lines.filter((_, i) => products[i] === undefined).map((l) => l.productId);
    if (missing.length > 0) {
      throw new OrderError('PRODUCT_NOT_FOUND', `unknown products: ${missing.join(', ')}`, {
        details: { missing },
      });
    }
    const found = products as CatalogProductView[];
    const unavailable = found.filter((p) => !p.available).map((p) => p.id);
    if (unavailable.length > 0) {
      throw new OrderError('OUT_OF_STOCK', `not available: ${unavailable.join(', ')}`, {
        details: { unavailable },
      });
    }
    const changed = snapshot.lines.flatMap((line, i) => {
      const seen = line.meta?.priceMinor;
      const now = found[i]!.priceMinor;
      return typeof seen === 'number' && seen !== now
        ? [{ productId: line.productId, cartPriceMinor: seen, currentPriceMinor: now }]
        : [];
    });
    if (changed.length > 0 && !acceptPriceChanges) {
      throw new OrderError('PRICE_CHANGED', 'prices changed since the items were added; review the cart', {
        details: { changed },
      });
    }
    return snapshot.lines.map((line, i) => ({
      productId: line.productId,
      quantity: line.quantity,
      unitPriceMinor: found[i]!.priceMinor,
      currency: found[i]!.currency,
      title: found[i]!.title.slice(0, 500),
    }));
  }
}

const position = (p: LogPosition): { partition: number; offset: number } => ({
  partition: p.partition,
  offset: p.offset,
});

export interface InventoryUpdateRequest {
  readonly sellerId: string;
  readonly productId: string;
  readonly mode: 'set' | 'adjust';
  readonly quantity: number;
  readonly idempotencyKey?: string;
}

/** Seller inventory updates go through the same log as orders (keyed by product). */
export class InventoryService {
  readonly #log: OrderLog;
  readonly #store: ProcessorStore;
  readonly #catalog: CatalogPort;
  readonly #now: () => number;

  constructor(options: { log: OrderLog; store: ProcessorStore; catalog: CatalogPort; now?: () => number }) {
    this.#log = options.log;
    this.#store = options.store;
    this.#catalog = options.catalog;
    this.#now = options.now ?? Date.now;
  }

  async update(
    request: InventoryUpdateRequest,
  ): Promise<{ eventId: string; partition: number; offset: number }> {
    if (request.idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(request.idempotencyKey)) {
      throw new OrderError(
        'IDEMPOTENCY_KEY_INVALID',
        'Idempotency-Key must be 1-128 characters [A-Za-z0-9_.:-]',
      );
    }
    if ((await lookupProduct(this.#catalog, request.productId)) === undefined) {
      throw new OrderError('PRODUCT_NOT_FOUND', `unknown product ${request.productId}`);
    }
    const eventId =
      request.idempotencyKey === undefined
        ? `inv_${randomUUID().replaceAll('-', '')}`
        : `inv_${createHash('sha256').update(`${request.sellerId}\n${request.idempotencyKey}`).digest('hex').slice(0, 32)}`;
    const event: InventoryUpdate = {
      type: 'inventory.update',
      v: 1,
      eventId,
      sellerId: request.sellerId,
      productId: request.productId,
      mode: request.mode,
      quantity: request.quantity,
      at: this.#now(),
    };
    try {
      const r = await this.#log.append({
        key: request.productId,
        value: JSON.stringify(event),
        dedupeId: eventId,
      });
      return { eventId, partition: r.partition, offset: r.offset };
    } catch (err) {
      throw new OrderError('ORDER_LOG_UNAVAILABLE', 'the update could not be recorded; retry', {
        cause: err,
      });
    }
  }

  /** Durable (checkpointed) stock level. */
  stock(productId: string): Promise<number | undefined> {
    return this.#store.stock(productId);
  }
}
