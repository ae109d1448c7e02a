import type { CausalStamp, ObservedLine, QuorumOptions, SimCartOp } from '../stores/store.js';

export type OpOutcome = 'ok' | 'fail' | 'unknown';
export type OpFunction = SimCartOp['type'] | 'read' | 'sync';

/**
 * One operation of the history, Jepsen style: an invoke and its completion. `fail` means the
 * operation certainly had no effect (the coordinator refused the connection); `unknown` means it
 * may or may not have taken effect (timeout, quorum not met after a local write, crash).
 */
export interface HistoryOp {
  readonly index: number;
  readonly process: string;
  readonly cart: string;
  readonly f: OpFunction;
  readonly productId: string | undefined;
  readonly quantity: number | undefined;
  readonly coordinator: string | undefined;
  readonly invokeAt: number;
  completeAt: number | undefined;
  outcome: OpOutcome | 'pending';
  writeId: string | undefined;
  observed: readonly string[] | undefined;
  /** Causal stores: the dot this op minted and the version vector it was minted against. */
  causal: CausalStamp | undefined;
  readLines: readonly ObservedLine[] | undefined;
  /** For reads: write ids of this process's earlier acknowledged writes the read had NOT seen. */
  unseenOwnWrites: readonly string[] | undefined;
  versions: number | undefined;
  error: string | undefined;
  /**
   * Latest virtual time at which the operation can have read the state it acted on: its
   * completion when the coordinator answered (even with an error), unbounded (undefined) when
   * the request may still be in flight — a delayed forwarded request can act much later.
   */
  effectBy: number | undefined;
  readonly quorum: QuorumOptions | undefined;
  readonly device: boolean;
}

/**
 * A nemesis event, as Jepsen records them (`:process :nemesis`, `:type :info`): a fault window
 * opening (`start-<nemesis>`) or closing (`stop-<nemesis>`), with what it did in `value`.
 * Kept beside the client ops, not among them, so the checkers and fingerprints see only ops.
 */
export interface NemesisEvent {
  readonly time: number;
  readonly process: 'nemesis';
  readonly type: 'info';
  readonly f: string;
  readonly nemesis: string;
  readonly value: string;
}

export class History {
  readonly ops: HistoryOp[] = [];
  readonly nemesis: NemesisEvent[] = [];

  /** Records a fault window edge (`start` or `stop`) of `nemesis` at virtual time `at`. */
  nemesisEvent(at: number, edge: 'start' | 'stop', nemesis: string, value: string): void {
    this.nemesis.push({
      time: at,
      process: 'nemesis',
      type: 'info',
      f: `${edge}-${nemesis}`,
      nemesis,
      value,
    });
  }

  invoke(
    at: number,
    fields: Pick<HistoryOp, 'process' | 'cart' | 'f' | 'coordinator' | 'quorum' | 'device'> & {
      productId?: string;
      quantity?: number;
    },
  ): HistoryOp {
    const op: HistoryOp = {
      index: this.ops.length,
      process: fields.process,
      cart: fields.cart,
      f: fields.f,
      productId: fields.productId,
      quantity: fields.quantity,
      coordinator: fields.coordinator,
      quorum: fields.quorum,
      device: fields.device,
      invokeAt: at,
      completeAt: undefined,
      outcome: 'pending',
      writeId: undefined,
      observed: undefined,
      causal: undefined,
      readLines: undefined,
      unseenOwnWrites: undefined,
      versions: undefined,
      error: undefined,
      effectBy: undefined,
    };
    this.ops.push(op);
    return op;
  }

  complete(op: HistoryOp, at: number, outcome: OpOutcome, error?: string): void {
    if (op.outcome !== 'pending') return;
    op.outcome = outcome;
    op.completeAt = at;
    if (error !== undefined) op.error = error;
  }

  /** Operations still pending at the end of a run become `unknown` (Jepsen's `:info`). */
  closePending(at: number): void {
    for (const op of this.ops)
      if (op.outcome === 'pending') this.complete(op, at, 'unknown', 'pending at end');
  }

  /**
   * A compact fingerprint used to prove two runs of one seed are identical: FNV-1a over one
   * line of fields per op. The pieces are mixed in order rather than concatenated first (FNV
   * is sequential, so the value is the same), which keeps a 60 s run's ~10^5 short strings off
   * the heap.
   */
  fingerprint(): string {
    let h = 0x811c9dc5;
    const mix = (s: string) => {
      for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
    };
    const field = (value: unknown, last = false) => {
      mix(String(value));
      if (!last) h = Math.imul(h ^ 0x7c, 0x01000193) >>> 0; // '|'
    };
    for (const op of this.ops) {
      field(op.index);
      field(op.process);
      field(op.f);
      field(op.cart);
      field(op.productId);
      field(op.quantity);
      field(op.coordinator);
      field(op.invokeAt);
      field(op.completeAt);
      field(op.outcome);
      field(op.writeId);
      field(op.observed?.join(','));
      field(op.readLines?.map((l) => `${l.productId}:${l.quantity}:${l.ids.join('+')}`).join(';'));
      field(op.causal?.dot);
      field(op.causal === undefined ? '' : JSON.stringify(op.causal.context), true);
    }
    return h.toString(16).padStart(8, '0');
  }
}
