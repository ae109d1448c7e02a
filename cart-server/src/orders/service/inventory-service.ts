/**
 * Seller inventory updates and the catalog's initial stock go through the same log partitions as
 * the orders' reservations (keyed by product), so the product's partition applies them in one
 * order with the reservations; the durable level is read from that partition's checkpoint.
 */
import { createHash, randomUUID } from 'node:crypto';
import { OrderError } from '../errors.js';
import { type InventoryUpdate, MAX_STOCK, PRODUCT_ID_PATTERN } from '../events.js';
import type { OrderLog } from '../log/order-log.js';
import type { CatalogPort } from '../ports.js';
import type { PartitionStore } from '../state/partition-store.js';
import { lookupProduct } from './catalog-lookup.js';
import { IDEMPOTENCY_KEY_PATTERN } from './checkout-service.js';

export interface InventoryUpdateRequest {
  readonly sellerId: string;
  readonly productId: string;
  readonly mode: 'set' | 'adjust';
  readonly quantity: number;
  readonly idempotencyKey?: string;
}

export interface InitialStock {
  readonly productId: string;
  readonly stock: number;
}

export class InventoryService {
  readonly #log: OrderLog;
  readonly #store: PartitionStore;
  readonly #catalog: CatalogPort;
  readonly #now: () => number;

  constructor(options: { log: OrderLog; store: PartitionStore; catalog: CatalogPort; now?: () => number }) {
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
    if (!Number.isSafeInteger(request.quantity) || Math.abs(request.quantity) > MAX_STOCK) {
      throw new OrderError('ORDER_INVALID', `quantity must be an integer within ±${MAX_STOCK}`);
    }
    if ((await lookupProduct(this.#catalog, request.productId)) === undefined) {
      throw new OrderError('PRODUCT_NOT_FOUND', `unknown product ${request.productId}`);
    }
    if (request.mode === 'adjust') {
      // The partition is the authority (it refuses an adjustment leaving 0..MAX_STOCK when it
      // applies it); refusing what the checkpointed level already rules out answers clearly.
      const current = (await this.stock(request.productId)) ?? 0;
      const next = current + request.quantity;
      if (next < 0 || next > MAX_STOCK) {
        throw new OrderError(
          'STOCK_OUT_OF_RANGE',
          `stock would be ${next}; it must stay within 0..${MAX_STOCK}`,
          {
            details: { current, adjustment: request.quantity },
          },
        );
      }
    }
    const eventId =
      request.idempotencyKey === undefined
        ? `inv_${randomUUID().replaceAll('-', '')}`
        : `inv_${createHash('sha256').update(`${request.sellerId}\n${request.idempotencyKey}`).digest('hex').slice(0, 32)}`;
    return this.#append({
      type: 'inventory.update',
      v: 1,
      eventId,
      sellerId: request.sellerId,
      productId: request.productId,
      mode: request.mode,
      quantity: request.quantity,
      at: this.#now(),
    });
  }

  /**
   * Records the catalog's stock of products as their initial inventory: applied only where no
   * level is recorded yet, and appended once per product ever (its dedupe id), so re-imports and
   * every node of a cluster seeding the same catalog change nothing. Seller updates own the
   * level afterwards.
   */
  async seed(products: Iterable<InitialStock>): Promise<number> {
    const appends: Promise<unknown>[] = [];
    for (const { productId, stock } of products) {
      if (
        !PRODUCT_ID_PATTERN.test(productId) ||
        !Number.isSafeInteger(stock) ||
        stock < 0 ||
        stock > MAX_STOCK
      )
        continue;
      appends.push(
        this.#append({
          type: 'inventory.update',
          v: 1,
          eventId: `init.${productId}`,
          sellerId: 'catalog',
          productId,
          mode: 'init',
          quantity: stock,
          at: this.#now(),
        }),
      );
    }
    await Promise.all(appends);
    return appends.length;
  }

  async #append(event: InventoryUpdate): Promise<{ eventId: string; partition: number; offset: number }> {
    try {
      const r = await this.#log.append({
        key: event.productId,
        value: JSON.stringify(event),
        dedupeId: event.eventId,
      });
      return { eventId: event.eventId, partition: r.partition, offset: r.offset };
    } catch (err) {
      throw new OrderError('ORDER_LOG_UNAVAILABLE', 'the update could not be recorded; retry', {
        cause: err,
      });
    }
  }

  /** Durable (checkpointed) stock level. */
  stock(productId: string): Promise<number | undefined> {
    return this.#store.stock(this.#log.partitionFor(productId), productId);
  }
}
