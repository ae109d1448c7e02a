/**
 * Per-product inventory as keyed state, sharded by log partition — the role Flink's keyed state
 * plays in the source design, where each order line is routed (keyBy product) to the task owning
 * that product. An order's lines are reserved shard by shard; if any line cannot be reserved the
 * earlier reservations are released (compensation, as in a saga), otherwise all are committed.
 * Stock never goes negative: a reservation needs `stock - reserved >= quantity`.
 */
import type { OrderRejection } from './events.js';

export interface LineRequest {
  readonly productId: string;
  readonly quantity: number;
}

export class InventoryShard {
  readonly #stock = new Map<string, number>();
  readonly #reserved = new Map<string, number>();
  readonly #reservations = new Map<string, LineRequest[]>();

  stockOf(productId: string): number | undefined {
    return this.#stock.get(productId);
  }

  /** Restores a checkpointed level (no validation beyond the invariant). */
  load(productId: string, stock: number): void {
    if (!Number.isSafeInteger(stock) || stock < 0) throw new TypeError(`bad stock ${stock} for ${productId}`);
    this.#stock.set(productId, stock);
  }

  available(productId: string): number {
    return (this.#stock.get(productId) ?? 0) - (this.#reserved.get(productId) ?? 0);
  }

  /** Reserves every line or none; on failure says which line and why. */
  reserve(reservationId: string, lines: readonly LineRequest[]): OrderRejection | undefined {
    if (this.#reservations.has(reservationId)) throw new TypeError(`reservation ${reservationId} exists`);
    for (const line of lines) {
      if (!this.#stock.has(line.productId)) {
        return {
          productId: line.productId,
          reason: 'UNKNOWN_PRODUCT',
          requested: line.quantity,
          available: 0,
          message: `no inventory is recorded for product ${line.productId}`,
        };
      }
      const available = this.available(line.productId);
      if (available < line.quantity) {
        return {
          productId: line.productId,
          reason: 'INSUFFICIENT_STOCK',
          requested: line.quantity,
          available,
          message: `only ${available} of ${line.productId} in stock, ${line.quantity} requested`,
        };
      }
    }
    for (const line of lines) {
      this.#reserved.set(line.productId, (this.#reserved.get(line.productId) ?? 0) + line.quantity);
    }
    this.#reservations.set(reservationId, [...lines]);
    return undefined;
  }

  /** Turns a reservation into a decrement; returns the products whose stock changed. */
  commit(reservationId: string): string[] {
    const lines = this.#take(reservationId);
    for (const line of lines) {
      this.#stock.set(line.productId, this.#stock.get(line.productId)! - line.quantity);
    }
    return lines.map((l) => l.productId);
  }

  /** Compensation: gives the reserved units back. */
  release(reservationId: string): void {
    this.#take(reservationId);
  }

  #take(reservationId: string): LineRequest[] {
    const lines = this.#reservations.get(reservationId);
    if (lines === undefined) throw new TypeError(`no reservation ${reservationId}`);
    this.#reservations.delete(reservationId);
    for (const line of lines) {
      const left = this.#reserved.get(line.productId)! - line.quantity;
      if (left === 0) this.#reserved.delete(line.productId);
      else this.#reserved.set(line.productId, left);
    }
    return lines;
  }

  /** Applies a seller update; refuses one that would make stock negative. */
  applyUpdate(productId: string, mode: 'set' | 'adjust', quantity: number): { ok: boolean; stock: number } {
    const current = this.#stock.get(productId) ?? 0;
    const next = mode === 'set' ? quantity : current + quantity;
    if (!Number.isSafeInteger(next) || next < (this.#reserved.get(productId) ?? 0) || next < 0) {
      return { ok: false, stock: current };
    }
    this.#stock.set(productId, next);
    return { ok: true, stock: next };
  }
}

/** Routes lines to shards by partition and runs reserve → commit | release over them. */
export class InventoryRouter {
  readonly #shards = new Map<number, InventoryShard>();
  readonly #partitionFor: (productId: string) => number;

  constructor(partitionFor: (productId: string) => number) {
    this.#partitionFor = partitionFor;
  }

  shardFor(productId: string): InventoryShard {
    const p = this.#partitionFor(productId);
    let shard = this.#shards.get(p);
    if (shard === undefined) {
      shard = new InventoryShard();
      this.#shards.set(p, shard);
    }
    return shard;
  }

  stockOf(productId: string): number | undefined {
    return this.shardFor(productId).stockOf(productId);
  }

  /**
   * All-or-nothing over the order's lines (quantities of repeated products are summed first).
   * Returns the changed product ids on success, or the first failing line.
   */
  reserveAll(
    orderId: string,
    lines: readonly LineRequest[],
  ): { changed: string[] } | { rejection: OrderRejection } {
    const merged = new Map<string, number>();
    for (const l of lines) merged.set(l.productId, (merged.get(l.productId) ?? 0) + l.quantity);
    const byShard = new Map<number, LineRequest[]>();
    for (const [productId, quantity] of [...merged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const p = this.#partitionFor(productId);
      const group = byShard.get(p) ?? [];
      group.push({ productId, quantity });
      byShard.set(p, group);
    }
    const reserved: InventoryShard[] = [];
    for (const [, group] of [...byShard].sort(([a], [b]) => a - b)) {
      const shard = this.shardFor(group[0]!.productId);
      const rejection = shard.reserve(orderId, group);
      if (rejection !== undefined) {
        for (const s of reserved) s.release(orderId);
        return { rejection };
      }
      reserved.push(shard);
    }
    return { changed: reserved.flatMap((s) => s.commit(orderId)) };
  }
}
