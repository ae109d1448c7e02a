/**
 * Checkout: turns a cart into an order in the log, and tells the truth about it.
 *
 * - Idempotent: the order id is derived from (user, Idempotency-Key) and the append carries it as
 *   its dedupe id, so however often a request is retried — concurrently, after a crash between
 *   the append and the reply — the log holds the order once.
 * - A cart's lines are bought at most once, whatever the keys: the append claims the dots of the
 *   lines it buys, atomically, in the user's partition. A second checkout that observed the same
 *   adds finds them claimed and is refused (409 CART_ALREADY_ORDERED, naming the order that holds
 *   them); items added later carry new dots and can be bought by the next order. A rejected
 *   order's claims are given back when the next checkout meets them.
 * - Lines leave the cart only when the order is confirmed (the processor puts the cart removal in
 *   the outbox with the confirmation); a rejected order leaves the cart as it was.
 *
 * The order's home partition is its user's, encoded in the order id, so the status can be read
 * from any node.
 */
import { createHash } from 'node:crypto';
import { OrderError } from '../errors.js';
import {
  MAX_LINE_QUANTITY,
  MAX_ORDER_LINES,
  type OrderLine,
  type OrderPlaced,
  type OrderView,
  orderPlacedSchema,
  PRODUCT_ID_PATTERN,
} from '../events.js';
import { ClaimConflictError, MAX_CLAIMS, MAX_LOG_VALUE_BYTES, type OrderLog } from '../log/order-log.js';
import { noopOrderMetrics, type OrderMetrics } from '../metrics.js';
import type { CartPort, CartSnapshot, CatalogPort, CatalogProductView } from '../ports.js';
import { lookupProduct } from './catalog-lookup.js';
import type { OrderQuery } from './order-query.js';

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Why the log or the processor would refuse this order, if they would: checked before the append,
 * so the shopper gets a clear 413 instead of a 503 to retry forever — or an order the processor
 * cannot decode, pending for good.
 */
function recordProblem(event: OrderPlaced, claims: readonly string[]): string | undefined {
  if (claims.length > MAX_CLAIMS) {
    return `this cart's history is too long to order at once (${claims.length} changes of its lines; at most ${MAX_CLAIMS})`;
  }
  if (!orderPlacedSchema.safeParse(event).success) return 'this cart is too large to order at once';
  if (Buffer.byteLength(JSON.stringify(event)) > MAX_LOG_VALUE_BYTES)
    return 'this order is too large to record';
  return undefined;
}

/** `ord_<home partition, 3 hex><29 hex of sha256(user, key)>`: stable per (user, key). */
export function deriveOrderId(userId: string, idempotencyKey: string, home: number): string {
  const digest = createHash('sha256').update(`${userId}\n${idempotencyKey}`).digest('hex');
  return `ord_${home.toString(16).padStart(3, '0')}${digest.slice(0, 29)}`;
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
}

export interface CheckoutServiceOptions {
  readonly log: OrderLog;
  readonly query: OrderQuery;
  readonly cart: CartPort;
  readonly catalog: CatalogPort;
  readonly metrics?: OrderMetrics;
  readonly now?: () => number;
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

  /** The order id a (user, key) pair places. */
  orderIdFor(userId: string, idempotencyKey: string): string {
    return deriveOrderId(userId, idempotencyKey, this.#o.log.partitionFor(userId));
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
    const orderId = this.orderIdFor(userId, idempotencyKey);
    // No read of earlier orders up front: a replayed key is recognised by the append's dedupe id
    // (and a refusal below first checks whether this key already placed the order).
    const refuse = async (err: unknown): Promise<CheckoutResult> => {
      const earlier = await this.#replay(orderId, cartId);
      if (earlier !== undefined) return earlier;
      throw err;
    };
    const snapshot = await this.#o.cart.snapshot(userId, cartId);
    if (snapshot.lines.length === 0)
      return refuse(new OrderError('EMPTY_CART', `cart ${cartId} has no lines`));
    if (snapshot.lines.length > MAX_ORDER_LINES) {
      return refuse(new OrderError('ORDER_TOO_LARGE', `an order holds at most ${MAX_ORDER_LINES} lines`));
    }
    let lines: OrderLine[];
    try {
      lines = await this.#price(snapshot, request.acceptPriceChanges === true);
    } catch (err) {
      return refuse(err);
    }
    const currency = lines[0]!.currency;
    if (lines.some((l) => l.currency !== currency)) {
      return refuse(new OrderError('ORDER_INVALID', 'all lines of an order must share one currency'));
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
    const claims = snapshot.lines.flatMap((l) => (l.dots ?? []).map((dot) => `${userId}/${cartId}#${dot}`));
    const tooLarge = recordProblem(event, claims);
    if (tooLarge !== undefined) return refuse(new OrderError('ORDER_TOO_LARGE', tooLarge));
    const duplicate = await this.#append(event, claims);
    if (duplicate) {
      // This key placed the order before (a retry, or a concurrent request that won the append).
      const earlier = await this.#replay(orderId, cartId);
      return earlier ?? { orderId, status: 'pending', replayed: true };
    }
    try {
      this.#o.onPlaced?.(event);
    } catch {
      // a listener's failure is not the order's
    }
    return { orderId, status: 'pending', replayed: false };
  }

  /** Appends with the claims; frees claims of rejected orders it meets (at most a few rounds). */
  async #append(event: OrderPlaced, claims: readonly string[]): Promise<boolean> {
    const home = this.#o.log.partitionFor(event.userId);
    for (let round = 0; ; round++) {
      try {
        const appended = await this.#o.log.append({
          key: event.userId,
          partition: home,
          value: JSON.stringify(event),
          dedupeId: event.orderId,
          claims,
        });
        return appended.duplicate;
      } catch (err) {
        if (!(err instanceof ClaimConflictError)) {
          throw new OrderError(
            'ORDER_LOG_UNAVAILABLE',
            'the order could not be recorded; retry with the same key',
            {
              cause: err,
            },
          );
        }
        const holder = await this.#o.query.get(err.holder);
        if (holder?.status !== 'rejected' || round >= 3) {
          throw new OrderError(
            'CART_ALREADY_ORDERED',
            `these cart lines are already being bought by order ${err.holder}`,
            { details: { orderId: err.holder, status: holder?.status ?? 'pending' } },
          );
        }
        await this.#o.log.releaseClaims(home, claims, err.holder);
      }
    }
  }

  async #replay(orderId: string, cartId: string): Promise<CheckoutResult | undefined> {
    const view = await this.#o.query.get(orderId);
    if (view === undefined) return undefined;
    if (view.cartId !== cartId) {
      throw new OrderError(
        'IDEMPOTENCY_CONFLICT',
        'this Idempotency-Key already placed an order for another cart',
        {
          details: { orderId },
        },
      );
    }
    return { orderId, status: view.status, replayed: true };
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
    const unavailable = found.filter((p) => !p.available);
    if (unavailable.length > 0) {
      throw new OrderError('OUT_OF_STOCK', `not available: ${unavailable.map((p) => p.title).join(', ')}`, {
        details: { unavailable: unavailable.map((p) => ({ productId: p.id, title: p.title })) },
      });
    }
    const changed = snapshot.lines.flatMap((line, i) => {
      const seen = line.meta?.priceMinor;
      const now = found[i]!.priceMinor;
      return typeof seen === 'number' && seen !== now
        ? [
            {
              productId: line.productId,
              title: found[i]!.title,
              cartPriceMinor: seen,
              currentPriceMinor: now,
            },
          ]
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
