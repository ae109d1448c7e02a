import type { HistoryOp } from '../history/history.js';

/**
 * Shared reasoning of the checkers about one cart's history. A write (add or set-quantity) can
 * only be removed by a remove/clear/set-quantity of its product that *observed* it: stores report
 * the ids each successful kill observed; a kill whose outcome is unknown may have observed
 * anything that existed before it was invoked.
 */
export class CartModel {
  readonly writes: HistoryOp[] = [];
  readonly kills: HistoryOp[] = [];
  /** writeId → the ok kills that observed (and so removed) it. */
  private readonly killedBy = new Map<string, HistoryOp[]>();
  /** writeId → kills with a known observed set that may not have taken effect (unsynced devices). */
  private readonly mayBeKilledBy = new Map<string, HistoryOp[]>();

  constructor(ops: readonly HistoryOp[]) {
    for (const op of ops) {
      if (op.outcome === 'fail') continue;
      if (op.f === 'add' || op.f === 'setQuantity') this.writes.push(op);
      if (op.f === 'remove' || op.f === 'clear' || op.f === 'setQuantity') this.kills.push(op);
    }
    // Kills whose observed set is known: acknowledged ones, and device ops (applied locally,
    // so what they observed is exact even before a sync acknowledges them).
    for (const k of this.kills) {
      if (k.observed === undefined) continue;
      const index = k.outcome === 'ok' ? this.killedBy : this.mayBeKilledBy;
      for (const id of k.observed) {
        if (id === k.writeId) continue;
        let list = index.get(id);
        if (list === undefined) {
          list = [];
          index.set(id, list);
        }
        list.push(k);
      }
    }
  }

  /** An acknowledged kill of `productId` (or a clear) observed, and so removed, this write id. */
  observedRemoved(writeId: string, productId: string): HistoryOp | undefined {
    return this.killedBy.get(writeId)?.find((k) => k.f === 'clear' || k.productId === productId);
  }

  /** Like observedRemoved, also counting kills that may not have taken effect. */
  mayHaveObservedRemoved(writeId: string, productId: string): boolean {
    const hit = (k: HistoryOp) => k.f === 'clear' || k.productId === productId;
    return (
      this.observedRemoved(writeId, productId) !== undefined ||
      (this.mayBeKilledBy.get(writeId)?.some(hit) ?? false)
    );
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
      !this.mayHaveObservedRemoved(write.writeId, write.productId ?? '') &&
      !this.maybeRemovedByUnknown(write)
    );
  }

  /** Possibly live at the end: not failed and not observed-removed by an acknowledged kill. */
  possiblyLive(write: HistoryOp): boolean {
    return (
      write.writeId === undefined || this.observedRemoved(write.writeId, write.productId ?? '') === undefined
    );
  }
}
