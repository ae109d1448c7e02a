/**
 * `Cart`: a mutable cart replica with cheap in-place delta mutators.
 *
 * Model: an observed-remove map of product lines sharing one causal context, each line a dot store
 * list (see line.ts) in the package's one dot store (types/dot-store.ts). Every action mints a fresh
 * dot of this replica's actor; setQuantity, remove and clear carry the dots they observed in their
 * delta's context, so joining the delta anywhere removes exactly those dots and nothing concurrent
 * (add-wins, no resurrection, no tombstones): ORSWOT (riak_dt) generalised with delta mutators
 * (Almeida, Shoker, Baquero, arXiv 1603.01529).
 *
 * Delivery contract (README): every delta carries the version vector its replica had seen, and a
 * replica joins a delta only once it has that causal past. `applyDelta` holds an early delta back
 * (bounded) and joins it as soon as what it depends on arrives, so a remove always removes
 * everything in the causal past of what its replica saw, whatever order deltas travel in.
 *
 * Every mutator computes everything that can fail (validation, limits, dot counters, timestamps)
 * before it changes anything: a thrown error leaves the replica as it was.
 */
import { v4 as uuidv4 } from 'uuid';
import { CausalContext } from '../causal/causal-context.js';
import { type ActorId, checkActorId } from '../causal/dot.js';
import { Hlc, hlcPhysical } from '../causal/hlc.js';
import { CrdtInvalidOpError } from '../errors.js';
import { DotStore, mintingStore } from '../types/dot-store.js';
import {
  CART_KIND,
  type CartDelta,
  type CartLine,
  CartState,
  countVisible,
  toCartLine,
  visibleLines,
} from './cart-state.js';
import { Entry, INC, lwwGreater, META, SET } from './line.js';
import {
  type LineMeta,
  MAX_QUANTITY,
  normalizeMeta,
  validateMeta,
  validateProductId,
  validateQuantity,
} from './validate.js';

export type CartOp =
  | { readonly type: 'add'; readonly productId: string; readonly quantity: number; readonly meta?: LineMeta }
  | { readonly type: 'setQuantity'; readonly productId: string; readonly quantity: number }
  | { readonly type: 'remove'; readonly productId: string }
  | { readonly type: 'clear' };

export interface CartOptions {
  /** This replica's actor id; defaults to a fresh UUID v4. Never share one actor between writers. */
  actor?: ActorId;
  /** Wall clock in ms for HLC timestamps (default Date.now). */
  clock?: () => number;
}

/**
 * An actor keeps at most this many of its own add-increments live on one line: the add that would
 * pass it folds them (and its own quantity) into one fresh increment. See README, "Bounded state":
 * a remove concurrent with the fold does not remove the folded units (they are re-added under the
 * new dot, as a concurrent re-add would be).
 */
export const FOLD_INCREMENTS_AT = 16;

/**
 * Package-internal: a replica of `state` whose next timestamp is ≥ `hlc`, for cartType.apply: it
 * mints one op's delta and changes nothing (mintingStore), so a 500-line state is not copied.
 */
export let cartAt: (state: CartState, actor: ActorId, hlc: number) => Cart;

export class Cart {
  readonly actor: ActorId;
  readonly #hlc: Hlc;
  readonly #store: DotStore<Entry, CartState>;

  private constructor(actor: ActorId, hlc: Hlc, state: CartState | undefined, mintOnly = false) {
    this.actor = actor;
    this.#hlc = hlc;
    this.#store =
      mintOnly && state !== undefined ? mintingStore(CART_KIND, state) : new DotStore(CART_KIND, state);
  }

  static create(options: CartOptions = {}): Cart {
    return new Cart(checkActor(options.actor), new Hlc(options.clock), undefined);
  }

  /** A replica starting from `state` (copied lazily: lines are shared copy-on-write). */
  static fromState(state: CartState, options: CartOptions = {}): Cart {
    if (!(state instanceof CartState)) throw new TypeError('fromState expects a CartState');
    return new Cart(checkActor(options.actor), new Hlc(options.clock), state);
  }

  static {
    cartAt = (state, actor, hlc) => {
      const clock = new Hlc(() => hlcPhysical(hlc));
      if (hlc > 0) clock.observe(hlc - 1);
      return new Cart(checkActorId(actor), clock, state, true);
    };
  }

  // ---- mutators -------------------------------------------------------------------------------

  add(productId: string, quantity: number, meta?: LineMeta): CartDelta {
    validateProductId(productId);
    validateQuantity(quantity);
    if (meta !== undefined) validateMeta(meta);
    const actor = this.actor;
    const entries = this.#store.get(productId) ?? [];
    const carried = meta === undefined ? carriedMeta(entries) : undefined;
    const first = this.#store.reserve(actor, meta === undefined && carried === undefined ? 1 : 2);
    // fold this actor's own increments once they reach the bound
    let own = 0;
    if (entries.length >= FOLD_INCREMENTS_AT)
      for (const e of entries) if (e.kind === INC && e.actor === actor) own++;
    const drop: Entry[] =
      own >= FOLD_INCREMENTS_AT ? entries.filter((e) => e.kind === INC && e.actor === actor) : [];
    let value = quantity;
    for (const e of drop) value += e.value;
    const add = [new Entry(actor, first, INC, Math.min(value, MAX_QUANTITY), 0, undefined)];
    if (meta !== undefined) {
      let observed = -1;
      for (const e of entries) {
        if (e.kind !== META) continue;
        if (e.hlc > observed) observed = e.hlc;
        drop.push(e);
      }
      add.push(new Entry(actor, first + 1, META, 0, this.#stamp(observed), normalizeMeta(meta)));
    } else if (carried !== undefined) {
      for (const e of entries) if (e.kind === META) drop.push(e);
      add.push(new Entry(actor, first + 1, META, 0, carried.hlc, carried.meta));
    }
    return this.#store.commit(actor, first, add.length, [{ key: productId, drop, add }]);
  }

  /**
   * Sets the quantity (creating the line if absent). Adds concurrent with it still count. The
   * line's metadata travels with it (see `carriedMeta`), so a concurrent remove cannot leave the
   * surviving quantity without its title and price.
   */
  setQuantity(productId: string, quantity: number): CartDelta {
    validateProductId(productId);
    validateQuantity(quantity);
    const entries = this.#store.get(productId) ?? [];
    const carried = carriedMeta(entries);
    const c = this.#store.reserve(this.actor, carried === undefined ? 1 : 2);
    let observed = -1;
    const drop: Entry[] = [];
    for (const e of entries) {
      if (e.kind === META && carried === undefined) continue;
      if (e.kind === SET && e.hlc > observed) observed = e.hlc;
      drop.push(e);
    }
    const add = [new Entry(this.actor, c, SET, quantity, this.#stamp(observed), undefined)];
    if (carried !== undefined) add.push(new Entry(this.actor, c + 1, META, 0, carried.hlc, carried.meta));
    return this.#store.commit(this.actor, c, add.length, [{ key: productId, drop, add }]);
  }

  /** Observed-remove of a line: removes the dots seen here; a concurrent add survives. */
  remove(productId: string): CartDelta {
    validateProductId(productId);
    const c = this.#store.reserve(this.actor, 1);
    return this.#store.commit(this.actor, c, 1, [{ key: productId, dropAll: true }]);
  }

  /** Observed-remove of every line. */
  clear(): CartDelta {
    const c = this.#store.reserve(this.actor, 1);
    return this.#store.clearAll(this.actor, c);
  }

  apply(op: CartOp): CartDelta {
    if (typeof op !== 'object' || op === null) throw new CrdtInvalidOpError('op must be an object');
    switch (op.type) {
      case 'add':
        return this.add(op.productId, op.quantity, op.meta);
      case 'setQuantity':
        return this.setQuantity(op.productId, op.quantity);
      case 'remove':
        return this.remove(op.productId);
      case 'clear':
        return this.clear();
      default:
        throw new CrdtInvalidOpError(`unknown op type ${String((op as { type?: unknown }).type)}`);
    }
  }

  // ---- join -----------------------------------------------------------------------------------

  /**
   * Joins a delta (or any state): idempotent, any order, duplicates fine. A delta whose causal past
   * this replica lacks is held back (returns false) and joined as soon as that past arrives;
   * `missing()` says what to pull meanwhile. Returns true when the delta was joined.
   */
  applyDelta(delta: CartDelta): boolean {
    if (!(delta instanceof CartState)) throw new TypeError('applyDelta expects a CartDelta');
    return this.#store.receive(delta);
  }

  /** Joins a delta or throws CrdtCausalGapError (nothing changed) when its causal past is missing. */
  joinDelta(delta: CartDelta): void {
    if (!(delta instanceof CartState)) throw new TypeError('joinDelta expects a CartDelta');
    this.#store.join(delta);
  }

  merge(other: Cart): void {
    if (!(other instanceof Cart)) throw new TypeError('merge expects a Cart');
    if (other === this) return;
    this.#store.join(other.state());
  }

  /** Number of deltas held back until their causal past arrives. */
  get pendingDeltas(): number {
    return this.#store.pendingCount;
  }

  /**
   * The dots held-back deltas wait for (empty when none): pull them, e.g. by sending `context()` to
   * a peer and joining its `deltaSince`.
   */
  missing(): CausalContext {
    return this.#store.missing();
  }

  // ---- reads ----------------------------------------------------------------------------------

  lines(): CartLine[] {
    return visibleLines(this.#store.lists);
  }

  get(productId: string): CartLine | undefined {
    const line = this.#store.lists.get(productId);
    return line === undefined ? undefined : toCartLine(productId, line);
  }

  get size(): number {
    return countVisible(this.#store.lists);
  }

  /** A copy of what this replica has seen. */
  context(): CausalContext {
    return this.#store.context();
  }

  /**
   * What `peer` lacks: entries whose dots it has not seen, and a context that also carries the
   * removals it must learn — O(changes + live lines), not O(history). Joining the result into the
   * peer equals joining our full state into it; the delta depends on `peer`'s version vector.
   */
  deltaSince(peer: CausalContext): CartDelta {
    if (!(peer instanceof CausalContext)) throw new TypeError('deltaSince expects a CausalContext');
    return this.#store.deltaSince(peer);
  }

  /** An immutable snapshot (lines are shared copy-on-write, so this is O(lines) shallow). */
  state(): CartState {
    return this.#store.state();
  }

  equals(other: Cart): boolean {
    return this.state().equals(other.state());
  }

  /**
   * Bounded metadata: retires actors behind a marker (after Akka Distributed Data's pruning of
   * removed nodes) — each one's whole counter space is marked seen, so a late delta of theirs is
   * dropped, and their gaps cost nothing. Only actors without live entries can be retired, and only
   * once every replica's context covers the state's context (see `retirableActors`) and they will
   * never write again. Every replica should retire the same actors.
   */
  retireActors(actors: Iterable<ActorId>): void {
    const list = [...actors];
    for (const a of list) if (a === this.actor) throw new TypeError('a replica cannot retire its own actor');
    this.#store.retire(list);
  }

  // ---- internals ------------------------------------------------------------------------------

  /** An HLC timestamp greater than `observed` (clamped at HLC_MAX), so a causally later write wins. */
  #stamp(observed: number): number {
    let t = this.#hlc.now();
    if (t <= observed) {
      this.#hlc.observe(observed);
      t = this.#hlc.now();
    }
    return t;
  }
}

/**
 * The line metadata an add without metadata or a set-quantity carries along: the winning META
 * entry as this replica sees it. The mutator re-mints it under a fresh dot of its own (same meta,
 * same HLC timestamp, so a newer concurrent metadata write still wins by LWW) and drops the META
 * dots it observed. A remove concurrent with the mutator cannot have seen the fresh dot, so the
 * quantity that survives it (add-wins) keeps its title and price: without this, "A sets P2 to 3
 * while B removes P2" merged into a P2 ×3 line with no metadata (issue 15).
 */
function carriedMeta(entries: readonly Entry[]): Entry | undefined {
  let best: Entry | undefined;
  for (const e of entries) if (e.kind === META && (best === undefined || lwwGreater(e, best))) best = e;
  return best;
}

/** A fresh actor id (UUID v4, from crypto.getRandomValues: also in insecure browser contexts). */
export function newActorId(): ActorId {
  return uuidv4();
}

function checkActor(actor: ActorId | undefined): ActorId {
  return actor === undefined ? uuidv4() : checkActorId(actor);
}
