/**
 * The device's replica of one cart: a crdt `Cart` in memory plus its durable form in a
 * ReplicaStore. A local change is applied in memory at once (so a subscriber can repaint) and
 * its promise resolves only after the delta is durable. Remote deltas are logged too, so a
 * reload while offline shows everything this device had seen.
 */
import {
  type ActorId,
  Cart,
  type CartDelta,
  type CartOp,
  type CartState,
  type CausalContext,
  decodeCart,
  decodeCartDelta,
  encodeCart,
  encodeCartDelta,
  reassignActor,
} from '@cartwheel/crdt';
import { SyncClientError } from './errors.js';
import type { ReplicaStore } from './store/replica-store.js';

export interface LocalChange {
  readonly seq: number;
  readonly delta: CartDelta;
}

/** Log entries folded into the snapshot once there are this many (bounds load time). */
const COMPACT_AFTER = 128;

export class LocalReplica {
  readonly store: ReplicaStore;
  readonly key: string;
  #cart: Cart;
  #lastSeq: number;
  #logLength: number;
  readonly #pending: Set<number>;
  #compaction: Promise<void> = Promise.resolve();
  readonly #appending = new Set<Promise<void>>();
  readonly #clock: (() => number) | undefined;

  private constructor(
    store: ReplicaStore,
    key: string,
    cart: Cart,
    lastSeq: number,
    logLength: number,
    pending: Iterable<number>,
    clock: (() => number) | undefined,
  ) {
    this.store = store;
    this.key = key;
    this.#cart = cart;
    this.#lastSeq = lastSeq;
    this.#logLength = logLength;
    this.#pending = new Set(pending);
    this.#clock = clock;
  }

  /**
   * Loads the replica stored under `key` (or an empty one), acting as `actor`. Dots of the
   * `replaced` actors (ids another user claimed before this device could) are re-minted under
   * `actor` piece by piece — the snapshot and every log entry — so a crash in the middle of a
   * re-mint leaves nothing under an actor this device does not own.
   */
  static async open(
    store: ReplicaStore,
    key: string,
    actor: ActorId,
    clock?: () => number,
    replaced: readonly ActorId[] = [],
  ): Promise<LocalReplica> {
    const stored = await store.load(key);
    const options = clock === undefined ? { actor } : { actor, clock };
    const own = (state: CartState): CartState => {
      for (const old of replaced) state = reassignActor(state, old, actor);
      return state;
    };
    let cart: Cart;
    let moved = false;
    try {
      if (stored.snapshot === undefined) cart = Cart.create(options);
      else {
        const snapshot = decodeCart(stored.snapshot);
        const mine = own(snapshot);
        moved ||= mine !== snapshot;
        cart = Cart.fromState(mine, options);
      }
      for (const entry of stored.log) {
        const delta = decodeCartDelta(entry.delta);
        const mine = own(delta);
        moved ||= mine !== delta;
        cart.applyDelta(mine);
      }
    } catch (error) {
      throw new SyncClientError('SYNC_STORE_CORRUPT', `stored replica ${key} does not decode`, {
        cause: error,
      });
    }
    const lastSeq = Math.max(stored.lastSeq, stored.log.at(-1)?.seq ?? 0, stored.pending.at(-1) ?? 0);
    const replica = new LocalReplica(store, key, cart, lastSeq, stored.log.length, stored.pending, clock);
    if (moved || stored.log.length >= COMPACT_AFTER) await replica.compact(moved);
    return replica;
  }

  get cart(): Cart {
    return this.#cart;
  }

  get actor(): ActorId {
    return this.#cart.actor;
  }

  /** Local changes not yet acknowledged by the server, ascending. */
  pendingSeqs(): number[] {
    return [...this.#pending].sort((a, b) => a - b);
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Applies `op` now (synchronously, before the first await) and resolves once it is durable.
   * Throws the crdt's error for an invalid op (e.g. a quantity out of range) before storing.
   */
  applyLocal(op: CartOp): { change: LocalChange; stored: Promise<void> } {
    const delta = this.#cart.apply(op);
    const seq = ++this.#lastSeq;
    this.#pending.add(seq);
    const stored = this.#append(seq, encodeCartDelta(delta), true);
    return { change: { seq, delta }, stored };
  }

  /** Joins a delta received from the server and stores it. Throws CRDT_DECODE_ERROR for bad bytes. */
  async applyRemote(bytes: Uint8Array): Promise<void> {
    const delta = decodeCartDelta(bytes);
    this.#cart.applyDelta(delta);
    await this.#append(++this.#lastSeq, bytes, false);
  }

  async acknowledge(seqs: readonly number[]): Promise<void> {
    const known = seqs.filter((seq) => this.#pending.delete(seq));
    if (known.length > 0) await this.store.acknowledge(this.key, known);
  }

  /** Continue as a different actor (after the server re-registered this device). */
  rebind(actor: ActorId): void {
    if (actor === this.#cart.actor) return;
    const options = this.#clock === undefined ? { actor } : { actor, clock: this.#clock };
    this.#cart = Cart.fromState(this.#cart.state(), options);
  }

  /**
   * Re-mints this device's history under `to`: every dot of `from` (an actor the device chose but
   * another user claimed first, so none of its dots ever reached a server) becomes a dot of `to`.
   * Synchronous in memory — a change made right after already uses `to` — then made durable as a
   * fresh snapshot once the appends of the old actor's deltas have landed. The caller records
   * `from` in the replica's meta (`replaced`) first, so a crash before the snapshot is re-minted
   * again on the next load. Pending marks stay: the next catch-up carries the re-minted changes.
   * With `keep` (the server's context) only the dots of `from` the server lacks move.
   */
  async reassign(from: ActorId, to: ActorId, keep?: CausalContext): Promise<void> {
    const options = this.#clock === undefined ? { actor: to } : { actor: to, clock: this.#clock };
    this.#cart = Cart.fromState(reassignActor(this.#cart.state(), from, to, keep), options);
    await Promise.all(this.#appending);
    await this.compact(true);
  }

  async #append(seq: number, delta: Uint8Array, local: boolean): Promise<void> {
    const write = this.store.append(this.key, { seq, delta, local });
    this.#appending.add(write);
    try {
      await write;
    } finally {
      this.#appending.delete(write);
    }
    if (++this.#logLength >= COMPACT_AFTER) await this.compact();
  }

  /**
   * Folds the log into a fresh snapshot; serialised so two compactions never interleave.
   * `force` writes the snapshot even with an empty log (after a re-mint).
   */
  compact(force = false): Promise<void> {
    const run = this.#compaction.then(async () => {
      if (this.#logLength === 0 && !force) return;
      const through = this.#lastSeq;
      const snapshot = encodeCart(this.#cart.state());
      const folded = this.#logLength;
      await this.store.compact(this.key, snapshot, through);
      this.#logLength = Math.max(0, this.#logLength - folded);
    });
    this.#compaction = run.catch(() => {});
    return run;
  }
}
