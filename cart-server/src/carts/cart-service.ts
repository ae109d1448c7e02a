/**
 * Carts on top of the replication core: the one code path for a single node (members [self], N=1)
 * and for a cluster. Keys are `${userId}/${cartId}` (SPEC §3), so a user can only ever address
 * their own carts; the HTTP and WebSocket layers pass the authenticated user id, never a client one.
 *
 * An op is minted at the coordinating primary from that node's state of the cart (the core's
 * PutCoordinator), and the lines-per-cart bound is checked right there (line-limit.ts), so an add
 * is one locked read-modify-write with no read before it. The core's answer joins the state of
 * every acknowledging replica that differs from the coordinator's (read-your-writes: a coordinator
 * that was down and missed a remove does not hand the removed line back).
 *
 * Observed-remove needs the remover to have *observed* what it removes. On a single node the
 * coordinating replica is every replica there is, so a remove, set-quantity or clear minted there
 * observes everything acknowledged, and nothing is read first. In a cluster they first do a quorum
 * read (R): with R + W > N that read intersects the write quorum of every acknowledged add, and
 * its read repair (started as soon as the replies are in) brings those adds into the coordinating
 * replica, so the remove's context covers them (Dynamo §4.4 shows what happens otherwise: deleted
 * items resurface). The repair is asynchronous, so this narrows the window rather than closing it;
 * an add it misses survives (add-wins), it is never lost. Their answer also joins that read.
 */
import { createHash } from 'node:crypto';
import {
  Cart,
  type CartDelta,
  type CartLine,
  type CartOp,
  type CartState,
  cartFromJSON,
  cartToJSON,
  cartType,
  conflictingCartDots,
  decodeContext,
  encodeContext,
  newDotActors,
  type ReadOptions,
  type ReplicaNode,
} from '@cartwheel/crdt';
import { ApiError } from '../http/errors.js';
import { checkCartGrowth, checkDeltaShape, type DeltaBounds, deltaBounds } from './delta-bounds.js';
import type { KnownProducts } from './known-products.js';
import { isLineLimitRefusal, lineLimitMessage } from './line-limit.js';

export type CartReplica = ReplicaNode<CartState, CartOp>;

export interface CartServiceOptions {
  /** The bound device deltas are checked against; the replica's type enforces it on ops (withLineLimit). */
  readonly maxLinesPerCart: number;
  readonly onQuorumFailure?: (op: string) => void;
  readonly onOperation?: (op: string) => void;
  /**
   * The catalog's product-existence lookup: adds, set-quantities and device deltas that bring a
   * product id into a cart are refused (PRODUCT_NOT_FOUND) unless it answers the id. Without one
   * (`--platform off`: carts only, no catalog) any well-formed id is accepted.
   */
  readonly knownProducts?: KnownProducts;
}

/** At most this many unknown ids are named in a refusal (the error frame / body stays small). */
const MAX_NAMED_UNKNOWN = 50;

export type CartListener = (delta: CartDelta, state: CartState) => void;

export function cartKey(userId: string, cartId: string): string {
  return `${userId}/${cartId}`;
}

/**
 * What the orders adapter buys (its CartPort, cart-server/src/orders/ports.ts): the lines and the
 * causal context of the read, so the order records exactly which cart state was bought.
 */
export interface CartSnapshot {
  readonly lines: readonly CartLine[];
  readonly context: Uint8Array;
}

export class CartService {
  private readonly listeners = new Map<string, Set<CartListener>>();
  private readonly addListeners = new Set<(productId: string, quantity: number) => void>();
  private readonly bounds: DeltaBounds;
  private knownProducts: KnownProducts | undefined;

  constructor(
    private readonly replica: CartReplica,
    private readonly options: CartServiceOptions,
  ) {
    this.bounds = deltaBounds(options.maxLinesPerCart);
    this.knownProducts = options.knownProducts;
  }

  /**
   * Wires the catalog's product lookup after construction: the catalog is opened after the cart
   * service (the platform mounts get the service to feed popularity and orders). Call once, at
   * start-up, before the node serves requests.
   */
  useKnownProducts(lookup: KnownProducts): void {
    if (typeof lookup !== 'function') throw new TypeError('useKnownProducts expects a function');
    this.knownProducts = lookup;
  }

  /** Refuses (PRODUCT_NOT_FOUND, 404) ids the catalog does not hold; a no-op without a catalog. */
  private async checkProducts(ids: readonly string[]): Promise<void> {
    const lookup = this.knownProducts;
    if (lookup === undefined || ids.length === 0) return;
    const known = await lookup(ids);
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length === 0) return;
    const named = unknown.slice(0, MAX_NAMED_UNKNOWN);
    throw new ApiError(
      'PRODUCT_NOT_FOUND',
      `a cart holds only catalog products; not in the catalog: ${named.join(', ')}${unknown.length > named.length ? ', ...' : ''}`,
      { details: { productIds: named } },
    );
  }

  /** Called by the ReplicaNode's onChange hook: a local replica of `key` changed. */
  notifyChange(key: string, state: CartState, delta: CartDelta): void {
    const set = this.listeners.get(key);
    if (set === undefined) return;
    for (const fn of set) fn(delta, state);
  }

  /** Subscribes to changes of one cart (for WebSocket pushes); returns the unsubscribe function. */
  subscribe(userId: string, cartId: string, listener: CartListener): () => void {
    const key = cartKey(userId, cartId);
    let set = this.listeners.get(key);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(key, set);
    }
    set.add(listener);
    return () => {
      const s = this.listeners.get(key);
      if (s === undefined) return;
      s.delete(listener);
      if (s.size === 0) this.listeners.delete(key);
    };
  }

  /** Quorum read (R replies, merged, read-repaired). A cart never written is empty, not missing. */
  async read(userId: string, cartId: string): Promise<CartState> {
    return this.readState(cartKey(userId, cartId));
  }

  /**
   * A read that waits for every replica of the preference list (R = N), for a caller that must not
   * act on a stale answer — checkout, before it says a cart is empty: a quorum of replicas that
   * missed a write (a restarted node whose hints are still on their way) can answer R without it.
   */
  async readAll(userId: string, cartId: string): Promise<CartState> {
    const key = cartKey(userId, cartId);
    return this.readState(key, { r: this.replica.preferenceList(key).length });
  }

  /**
   * Applies one cart operation with W acknowledgements; returns the cart after it, as the
   * coordinator's answer (joined, for a remove, set-quantity or clear in a cluster, with the quorum
   * read taken before it: see the header comment). A new line in a full cart is refused with
   * CART_TOO_LARGE by the replica's type where the op is minted (line-limit.ts).
   */
  async apply(userId: string, cartId: string, op: CartOp): Promise<CartState> {
    const key = cartKey(userId, cartId);
    if (op.type === 'add' || op.type === 'setQuantity') await this.checkProducts([op.productId]);
    const observed = op.type === 'add' || this.allReplicasLocal(key) ? undefined : await this.readState(key);
    let result: { state: CartState; delta: CartDelta };
    try {
      result = await this.guard(op.type, this.replica.update(key, op));
    } catch (err) {
      if (isLineLimitRefusal(err)) {
        throw new ApiError('CART_TOO_LARGE', lineLimitMessage(this.options.maxLinesPerCart), { cause: err });
      }
      throw err;
    }
    const { delta } = result;
    const state = observed === undefined ? result.state : cartType.join(observed, result.state);
    this.options.onOperation?.(op.type);
    if (op.type === 'add') for (const listener of this.addListeners) listener(op.productId, op.quantity);
    this.notifyLocal(key, result.state, delta);
    return state;
  }

  /** Calls `listener` after every acknowledged add (the popularity signal); returns an unsubscribe. */
  onAdd(listener: (productId: string, quantity: number) => void): () => void {
    this.addListeners.add(listener);
    return () => this.addListeners.delete(listener);
  }

  /**
   * Merges a device's delta. Every dot the delta introduces (not yet in the cart's context after a
   * quorum read) must belong to `actor`, the device's registered actor: a device can never forge
   * another device's or a server vnode's dots. The delta's size is checked before any I/O, and the
   * state the replicas would store is computed and checked (delta-bounds.ts) before any replica
   * stores it.
   */
  async merge(userId: string, cartId: string, actor: string, delta: CartDelta): Promise<CartState> {
    checkDeltaShape(delta, this.bounds);
    const key = cartKey(userId, cartId);
    const state = await this.readState(key);
    const known = state.context();
    // newDotActors is newDots grouped by actor without enumerating them (a compact context can
    // name 2^53 dots in a few bytes).
    const forged = newDotActors(delta, known).filter((a) => a !== actor);
    if (forged.length > 0) {
      throw new ApiError(
        'FORBIDDEN_DOTS',
        `delta introduces dots of ${forged.length} actor(s) other than this device's (${actor})`,
      );
    }
    // A dot the cart already holds, re-sent with another payload, is a forgery (a device never
    // mints one dot twice): refused, so replicas that lacked the dot never keep a second version.
    const conflicting = conflictingCartDots(state, delta);
    if (conflicting.length > 0) {
      throw new ApiError(
        'FORBIDDEN_DOTS',
        `delta re-sends ${conflicting.length} known dot(s) with another value (first ${conflicting[0]!.actor}:${conflicting[0]!.counter})`,
      );
    }
    // Lines the delta brings into the cart must be catalog products; lines the cart already holds
    // are not asked about again (a product removed from the catalog can still be removed from carts).
    await this.checkProducts(
      delta
        .lines()
        .map((l) => l.productId)
        .filter((id) => state.get(id) === undefined),
    );
    // The join the replicas will do; a crdt error (causal gap, limit) surfaces here, before them.
    const joined = cartType.join(state, delta);
    checkCartGrowth(state, known, joined, actor, this.bounds);
    // A replica lacking the delta's causal past gets the joined state instead.
    const result = await this.guard('merge', this.replica.mergeDelta(key, delta, { full: joined }));
    this.options.onOperation?.('merge');
    this.notifyLocal(key, result.state, delta);
    // The replicas' answer joined with the quorum read and the delta: a stale acknowledging replica
    // cannot bring back a line the read saw removed (read-your-writes in the answer).
    return cartType.join(joined, result.state);
  }

  /** Orders adapter port: the cart as it is now, with the context that says exactly what was bought. */
  async snapshot(userId: string, cartId: string): Promise<CartSnapshot> {
    const cart = Cart.fromState(await this.read(userId, cartId));
    return { lines: cart.lines(), context: encodeContext(cart.context()) };
  }

  /**
   * Orders adapter port: removes the purchased lines *as observed by the snapshot's context* —
   * only entries whose dots the snapshot saw are removed, so items added (or re-added) after the
   * snapshot stay (observed-remove). Like any remove, the delta mints one dot so that other
   * replicas learn it through deltaSince; its actor is derived from the snapshot, which makes a
   * retried call the very same delta (idempotent).
   */
  async removePurchased(userId: string, cartId: string, snapshot: CartSnapshot): Promise<void> {
    const observed = decodeContext(snapshot.context);
    const current = cartToJSON(await this.read(userId, cartId));
    const removed: Record<string, Array<[number, number]>> = {};
    for (const line of snapshot.lines) {
      for (const e of current.lines[line.productId] ?? []) {
        if (!observed.hasDot(e.actor, e.counter)) continue;
        const ranges = removed[e.actor] ?? [];
        ranges.push([e.counter, e.counter]);
        removed[e.actor] = ranges;
      }
    }
    const hash = createHash('sha256').update(snapshot.context);
    for (const line of snapshot.lines) hash.update(`\0${line.productId}`);
    removed[`order-${hash.digest('hex').slice(0, 32)}`] = [[1, 1]];
    const context: Record<string, Array<[number, number]>> = {};
    for (const [actor, ranges] of Object.entries(removed)) context[actor] = coalesce(ranges);
    // a delta depending on what the snapshot saw (delivery contract): a replica lacking that past
    // gets the full state instead
    const deps = Object.fromEntries(observed.versionVector());
    const delta = cartFromJSON({ version: 2, context, lines: {}, deps });
    const key = cartKey(userId, cartId);
    const result = await this.guard('merge', this.replica.mergeDelta(key, delta));
    this.notifyLocal(key, result.state, delta);
  }

  /**
   * Changes coordinated here reach subscribers even when this node holds no replica of the key
   * (onChange only fires on replicas); on a replica, onChange already pushed them.
   */
  private notifyLocal(key: string, state: CartState, delta: CartDelta): void {
    if (!this.listeners.has(key)) return;
    const self = this.replica.id;
    if (this.replica.preferenceList(key).some((e) => e.node === self)) return; // onChange covers it
    this.notifyChange(key, state, delta);
  }

  /**
   * Whether this node holds every replica of `key` (a single node): then the state an op is minted
   * from at this coordinator already is what any quorum read would return.
   */
  private allReplicasLocal(key: string): boolean {
    const self = this.replica.id;
    for (const e of this.replica.preferenceList(key)) if (e.node !== self) return false;
    return true;
  }

  /** Quorum read (R unless `options` say otherwise) of one cart's state. */
  private async readState(key: string, options?: ReadOptions): Promise<CartState> {
    try {
      const { state } = await this.guard('get', this.replica.get(key, options));
      return state;
    } catch (err) {
      if ((err as { code?: unknown }).code === 'QUORUM_NOT_MET') await this.explainFailedRead(key);
      throw err;
    }
  }

  /**
   * A replica whose stored state no longer decodes never answers a read: the replication core
   * drops the reply and the read ends in QUORUM_NOT_MET at the request timeout, as if the cluster
   * were down. When this node holds such a replica, say what is wrong instead: CART_UNREADABLE
   * (500, logged) with the crdt error as its cause. Every decode failure is also counted and logged
   * where it happens (observe-decode.ts), on every node.
   */
  private async explainFailedRead(key: string): Promise<void> {
    for (const e of this.replica.preferenceList(key)) {
      if (e.node !== this.replica.id) continue;
      try {
        await this.replica.localState(e.partition, key);
      } catch (cause) {
        const code = (cause as { code?: unknown }).code;
        if (typeof code === 'string' && code.startsWith('CRDT_')) {
          const message = `the stored state of cart ${key} cannot be decoded (${code})`;
          throw new ApiError('CART_UNREADABLE', message, { cause });
        }
      }
    }
  }

  private async guard<T>(op: string, p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      if ((err as { code?: unknown }).code === 'QUORUM_NOT_MET') this.options.onQuorumFailure?.(op);
      throw err;
    }
  }
}

/**
 * Sorts dot ranges and merges adjacent or overlapping ones: the JSON codec accepts only strictly
 * separated ranges, so `[[1,1],[2,2]]` (a line added twice) must become `[[1,2]]`.
 */
export function coalesce(ranges: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}
