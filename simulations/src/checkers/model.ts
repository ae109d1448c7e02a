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

  constructor(ops: readonly HistoryOp[]) {
    for (const op of ops) {
      if (op.outcome === 'fail') continue;
      if (op.f === 'add' || op.f === 'setQuantity') this.writes.push(op);
      if (op.f === 'remove' || op.f === 'clear' || op.f === 'setQuantity') this.kills.push(op);
    }
    for (const k of this.kills) {
      if (k.outcome !== 'ok' || k.observed === undefined) continue;
      for (const id of k.observed) {
        if (id === k.writeId) continue;
        let list = this.killedBy.get(id);
        if (list === undefined) {
          list = [];
          this.killedBy.set(id, list);
        }
        list.push(k);
      }
    }
  }

  /** An ok kill of `productId` (or a clear) observed this write id. */
  observedRemoved(writeId: string, productId: string): HistoryOp | undefined {
    return this.killedBy.get(writeId)?.find((k) => k.f === 'clear' || k.productId === productId);
  }

  /** A kill with an unknown outcome that was invoked after `write` and might have removed it. */
  maybeRemovedByUnknown(write: HistoryOp): boolean {
    return this.kills.some(
      (k) =>
        k !== write &&
        k.outcome !== 'ok' &&
        (k.f === 'clear' || k.productId === write.productId) &&
        k.invokeAt >= write.invokeAt,
    );
  }

  /** Surely live at the end: acknowledged, id known, and nothing could have removed it. */
  definitelyLive(write: HistoryOp): boolean {
    return (
      write.outcome === 'ok' &&
      write.writeId !== undefined &&
      this.observedRemoved(write.writeId, write.productId ?? '') === undefined &&
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
