import type { HistoryOp } from '../history/history.js';
import { CausalPast, joinInto, pastHolds, type Vector } from './causal-past.js';

/** What a group of kills removed: the ids they observed and the causal past those reach. */
class Removed {
  readonly observed = new Set<string>();
  readonly past: Vector = new Map();

  holds(id: string): boolean {
    return this.observed.has(id) || pastHolds(this.past, id);
  }
}

/** The bucket of clears: they remove every product. */
const EVERY_PRODUCT = '\u0000clear';

/**
 * Shared reasoning of the checkers about one cart's history. A write (add or set-quantity) can
 * only be removed by a remove/clear/set-quantity of its product that *observed* it, or that
 * observed a write it happened before: an observed-remove cart must not let a write the remover
 * had in its causal past survive (the remover saw a state that already followed it). Stores
 * report the ids each kill observed and, if causal, where each op sits in the causal order
 * (CausalPast); a kill whose outcome is unknown may have observed anything that existed before
 * it was invoked.
 */
export class CartModel {
  readonly writes: HistoryOp[] = [];
  readonly kills: HistoryOp[] = [];
  readonly causal: CausalPast;
  /** productId (or EVERY_PRODUCT) → what acknowledged kills removed. */
  private readonly removed = new Map<string, Removed>();
  /** Likewise for kills with a known observed set that may not have taken effect (unsynced devices). */
  private readonly mayBeRemoved = new Map<string, Removed>();

  /** `finalIds`: write ids live at the end, which tell writes from the dots kills mint. */
  constructor(ops: readonly HistoryOp[], finalIds: Iterable<string> = []) {
    for (const op of ops) {
      if (op.outcome === 'fail') continue;
      if (op.f === 'add' || op.f === 'setQuantity') this.writes.push(op);
      if (op.f === 'remove' || op.f === 'clear' || op.f === 'setQuantity') this.kills.push(op);
    }
    this.causal = new CausalPast(ops, finalIds);
    // Kills whose observed set is known: acknowledged ones, and device ops (applied locally,
    // so what they observed is exact even before a sync acknowledges them).
    for (const k of this.kills) {
      if (k.observed === undefined) continue;
      const index = k.outcome === 'ok' ? this.removed : this.mayBeRemoved;
      const key = k.f === 'clear' ? EVERY_PRODUCT : (k.productId ?? '');
      let removed = index.get(key);
      if (removed === undefined) {
        removed = new Removed();
        index.set(key, removed);
      }
      for (const id of k.observed) if (id !== k.writeId) removed.observed.add(id);
      joinInto(removed.past, this.causal.reach(k));
    }
  }

  private holds(index: Map<string, Removed>, writeId: string, productId: string): boolean {
    return (
      (index.get(productId)?.holds(writeId) ?? false) || (index.get(EVERY_PRODUCT)?.holds(writeId) ?? false)
    );
  }

  /**
   * An acknowledged kill of `productId` (or a clear) that removed this write id: it observed
   * the write, or a write the given one happened before.
   */
  removedBy(writeId: string, productId: string): HistoryOp | undefined {
    if (!this.holds(this.removed, writeId, productId)) return undefined;
    return this.kills.find(
      (k) =>
        k.outcome === 'ok' &&
        k.observed !== undefined &&
        (k.f === 'clear' || k.productId === productId) &&
        ((k.writeId !== writeId && k.observed.includes(writeId)) || pastHolds(this.causal.reach(k), writeId)),
    );
  }

  /** Like removedBy, also counting kills that may not have taken effect. */
  mayHaveBeenRemoved(writeId: string, productId: string): boolean {
    return this.holds(this.removed, writeId, productId) || this.holds(this.mayBeRemoved, writeId, productId);
  }

  /**
   * A kill whose observed set we do not know (outcome unknown) that may have read the state
   * after `write` was minted: it may have removed it. An unknown kill can act any time after its
   * invocation until `effectBy` (unbounded while its request may still be in flight).
   */
  maybeRemovedByUnknown(write: HistoryOp): boolean {
    return this.kills.some(
      (k) =>
        k !== write &&
        k.observed === undefined &&
        (k.f === 'clear' || k.productId === write.productId) &&
        (k.effectBy === undefined || k.effectBy >= write.invokeAt),
    );
  }

  /** Surely live at the end: acknowledged, id known, and nothing could have removed it. */
  definitelyLive(write: HistoryOp): boolean {
    return (
      write.outcome === 'ok' &&
      write.writeId !== undefined &&
      !this.mayHaveBeenRemoved(write.writeId, write.productId ?? '') &&
      !this.maybeRemovedByUnknown(write)
    );
  }

  /** Possibly live at the end: not failed and not removed by an acknowledged kill. */
  possiblyLive(write: HistoryOp): boolean {
    return write.writeId === undefined || !this.holds(this.removed, write.writeId, write.productId ?? '');
  }
}
