/**
 * SyncClient: the public face of the package. A cart that works offline — from the very first
 * start — persists every change before reporting it done, and converges with the server and
 * every other device over the sync protocol of SPEC §3. See README.md for the model and examples.
 *
 * The facade validates arguments, keeps the listeners and runs on one backend at a time
 * (backend.ts): the leader (leader-backend.ts: local replica, device session, connection) or,
 * in a browser tab that does not hold the replica's Web Lock, a follower mirroring the leader
 * (follower-backend.ts). A follower tab that is granted the lock becomes the leader.
 */
import { type CartLine, type CartOp, CartState, type LineMeta, SYNC_CART_ID } from '@cartwheel/crdt';
import type { ClientBackend, ClientRole } from './backend.js';
import type { BackoffOptions } from './backoff.js';
import type { FetchLike } from './device.js';
import type { TokenReason } from './device-session.js';
import { SyncClientError } from './errors.js';
import { FollowerBackend } from './follower-backend.js';
import { LeaderBackend } from './leader-backend.js';
import type { SocketFactory } from './socket.js';
import { assertReplicaKey, type ReplicaStore } from './store/replica-store.js';
import { createBrowserTabCoordinator, type SyncStatus, type TabCoordinator } from './tab-coordinator.js';

export type { ClientRole } from './backend.js';
export type { TokenReason } from './device-session.js';
export type { SyncStatus } from './tab-coordinator.js';

export interface SyncClientOptions {
  /** Server origin, e.g. "https://shop.example" (default: `location.origin` in browsers; required in Node). */
  readonly url?: string;
  /** The user's cart name on the server (`/v1/carts/:cartId`): 1-64 chars of [A-Za-z0-9_-]. */
  readonly cartId: string;
  readonly store: ReplicaStore;
  /**
   * Auth hook: returns the user's bearer token. Called with `'register'` when the device first
   * reaches the server (to claim its actor) and with `'refresh'` whenever the server rejects the
   * device's credentials (expired token, unknown device), so an app can refresh its session first.
   */
  readonly getUserToken: (reason: TokenReason) => string | Promise<string>;
  /** Key of the replica in the store (default: cartId); include the user id if users share a browser. */
  readonly replicaKey?: string;
  /** Share one replica between the tabs of a browser (default 'auto': when Web Locks exist). */
  readonly tabs?: 'auto' | 'off' | TabCoordinator;
  /** Connect at once (default true); otherwise call connect(). */
  readonly autoConnect?: boolean;
  readonly createSocket?: SocketFactory;
  readonly fetch?: FetchLike;
  readonly backoff?: Partial<BackoffOptions>;
  readonly random?: () => number;
  readonly clock?: () => number;
  readonly handshakeTimeoutMs?: number;
  readonly ackTimeoutMs?: number;
  /**
   * Errors the client recovers from (failed connects, rejected deltas, an actor claimed by
   * someone else, lines the server's catalog refused); default: ignored.
   */
  readonly onError?: (error: unknown) => void;
}

export interface ClientSnapshot {
  readonly lines: readonly CartLine[];
  readonly status: SyncStatus;
  /** Local changes the server has not acknowledged yet. */
  readonly pending: number;
  readonly role: ClientRole;
  readonly actor: string | undefined;
}

let tabCounter = 0;

export class SyncClient {
  /**
   * Resolves once the cart can be read and changed: the replica is loaded from the store (no
   * network needed, also on a device's very first start) or, in a follower tab, mirrored.
   */
  readonly ready: Promise<void>;
  readonly #o: SyncClientOptions;
  readonly #baseUrl: string;
  readonly #key: string;
  readonly #tabId =
    `${Date.now().toString(36)}-${(tabCounter++).toString(36)}-${Math.random().toString(36).slice(2)}`;
  readonly #listeners = new Set<(snapshot: ClientSnapshot) => void>();
  readonly #tabs: TabCoordinator | undefined;
  #backend: ClientBackend | undefined;
  #closed = false;
  #wantOnline: boolean;
  #notifyQueued = false;
  #resolveReady!: () => void;
  #rejectReady!: (error: unknown) => void;

  constructor(options: SyncClientOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options are required');
    if (typeof options.cartId !== 'string' || !SYNC_CART_ID.test(options.cartId)) {
      throw new TypeError('cartId must be 1-64 chars of [A-Za-z0-9_-]');
    }
    if (typeof options.getUserToken !== 'function') throw new TypeError('getUserToken must be a function');
    if (typeof options.store?.load !== 'function') throw new TypeError('store must be a ReplicaStore');
    this.#o = options;
    this.#key = options.replicaKey ?? options.cartId;
    assertReplicaKey(this.#key);
    const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
    const url = options.url ?? origin;
    if (typeof url !== 'string' || !/^https?:\/\//.test(url))
      throw new TypeError('url must be an http(s) origin');
    this.#baseUrl = url.replace(/\/+$/, '');
    this.#wantOnline = options.autoConnect ?? true;
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {});
    this.#tabs =
      options.tabs === 'off'
        ? undefined
        : options.tabs === undefined || options.tabs === 'auto'
          ? createBrowserTabCoordinator(this.#key)
          : options.tabs;
    if (this.#tabs === undefined) {
      void this.#lead();
    } else {
      this.#backend = new FollowerBackend({
        tabs: this.#tabs,
        tabId: this.#tabId,
        onState: () => {
          this.#resolveReady();
          this.#notify();
        },
        onError: (error) => this.#o.onError?.(error),
      });
      this.#tabs.onMessage((m) => {
        if (!this.#closed) this.#backend?.onTabMessage(m);
      });
      this.#tabs.campaign(() => void this.#lead());
      this.#tabs.post({ k: 'hello', from: this.#tabId });
    }
  }

  // ---- reading ------------------------------------------------------------------------------

  get role(): ClientRole {
    return this.#backend?.role ?? 'starting';
  }

  /** The cart as this tab sees it (the leader's replica or a follower's mirror), sorted by productId. */
  lines(): CartLine[] {
    return this.#backend?.cart()?.lines() ?? [];
  }

  get(productId: string): CartLine | undefined {
    return this.#backend?.cart()?.get(productId);
  }

  /** An immutable snapshot of the replica's CRDT state (e.g. to encode or merge elsewhere). */
  state(): CartState {
    return this.#backend?.cart()?.state() ?? CartState.empty();
  }

  get status(): SyncStatus {
    return this.#backend?.status ?? 'offline';
  }

  get pendingCount(): number {
    return this.#backend?.pendingCount ?? 0;
  }

  /** This device's actor id (chosen on its first start, claimed on first contact with the server). */
  get actor(): string | undefined {
    return this.#backend?.actor;
  }

  snapshot(): ClientSnapshot {
    return {
      lines: this.lines(),
      status: this.status,
      pending: this.pendingCount,
      role: this.role,
      actor: this.actor,
    };
  }

  /** Calls `listener` after every change of lines, status or pending count; returns unsubscribe. */
  subscribe(listener: (snapshot: ClientSnapshot) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves when everything local is acknowledged and the session is up; rejects on timeout. */
  whenSynced(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (this.status === 'online' && this.pendingCount === 0) {
          clearTimeout(timer);
          unsubscribe();
          resolve();
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new SyncClientError('SYNC_PROTOCOL_ERROR', `not synced within ${timeoutMs} ms`));
      }, timeoutMs);
      const unsubscribe = this.subscribe(() => void check());
      check();
    });
  }

  // ---- changing -----------------------------------------------------------------------------

  add(productId: string, quantity = 1, meta?: LineMeta): Promise<void> {
    return this.apply(
      meta === undefined ? { type: 'add', productId, quantity } : { type: 'add', productId, quantity, meta },
    );
  }

  setQuantity(productId: string, quantity: number): Promise<void> {
    return this.apply({ type: 'setQuantity', productId, quantity });
  }

  remove(productId: string): Promise<void> {
    return this.apply({ type: 'remove', productId });
  }

  clear(): Promise<void> {
    return this.apply({ type: 'clear' });
  }

  /**
   * Applies `op` to the local replica at once and resolves once it is durable (in the store of
   * the leader tab). Sync to the server happens in the background; see `pendingCount`.
   */
  async apply(op: CartOp): Promise<void> {
    assertOp(op);
    if (this.#closed) throw new SyncClientError('SYNC_CLIENT_CLOSED', 'client is closed');
    await this.ready; // the replica is loaded, or a leader's first state arrived
    const backend = this.#backend;
    if (this.#closed || backend === undefined) {
      throw new SyncClientError('SYNC_CLIENT_CLOSED', 'client is closed');
    }
    await backend.apply(op);
  }

  // ---- connection ---------------------------------------------------------------------------

  /** Starts syncing (the default unless autoConnect is false). */
  connect(): void {
    this.#wantOnline = true;
    this.#backend?.connect();
  }

  /** Stops syncing and stays offline; local changes keep working and queue up. */
  disconnect(): void {
    this.#wantOnline = false;
    this.#backend?.disconnect();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#tabs?.close();
    this.#rejectReady(new SyncClientError('SYNC_CLIENT_CLOSED', 'client is closed'));
    await this.#backend?.close();
  }

  // ---- leadership ---------------------------------------------------------------------------

  async #lead(): Promise<void> {
    if (this.#closed) return;
    try {
      const leader = await LeaderBackend.open({
        baseUrl: this.#baseUrl,
        cartId: this.#o.cartId,
        key: this.#key,
        store: this.#o.store,
        getUserToken: this.#o.getUserToken,
        tabs: this.#tabs,
        tabId: this.#tabId,
        wantOnline: () => this.#wantOnline,
        ...pick(this.#o),
        onChange: () => this.#notify(),
        onError: (error) => this.#o.onError?.(error),
      });
      if (this.#closed) return await leader.close();
      const follower = this.#backend;
      this.#backend = leader;
      // Operations this tab forwarded to the previous leader may or may not have been stored.
      if (follower instanceof FollowerBackend) follower.failForwarded();
      this.#resolveReady();
      this.#notify();
    } catch (error) {
      this.#o.onError?.(error);
      this.#rejectReady(error);
    }
  }

  // ---- notifications ------------------------------------------------------------------------

  /** Coalesces bursts (a welcome plus an ack) into one notification per microtask. */
  #notify(): void {
    if (this.#notifyQueued) return;
    this.#notifyQueued = true;
    queueMicrotask(() => {
      this.#notifyQueued = false;
      if (this.#closed) return;
      this.#backend?.published();
      const snapshot = this.snapshot();
      for (const listener of this.#listeners) {
        try {
          listener(snapshot);
        } catch (error) {
          this.#o.onError?.(error);
        }
      }
    });
  }
}

/** The connection tuning options the leader takes as given (absent ones stay absent). */
function pick(o: SyncClientOptions) {
  return {
    ...(o.createSocket === undefined ? {} : { createSocket: o.createSocket }),
    ...(o.fetch === undefined ? {} : { fetch: o.fetch }),
    ...(o.backoff === undefined ? {} : { backoff: o.backoff }),
    ...(o.random === undefined ? {} : { random: o.random }),
    ...(o.clock === undefined ? {} : { clock: o.clock }),
    ...(o.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: o.handshakeTimeoutMs }),
    ...(o.ackTimeoutMs === undefined ? {} : { ackTimeoutMs: o.ackTimeoutMs }),
  };
}

/** Shape check at the API boundary; range checks (quantity bounds) are the Cart's. */
function assertOp(op: CartOp): void {
  if (typeof op !== 'object' || op === null) throw new TypeError('op must be an object');
  switch (op.type) {
    case 'add':
    case 'setQuantity':
      if (!Number.isInteger(op.quantity)) throw new TypeError('quantity must be an integer');
      if (typeof op.productId !== 'string' || op.productId.length === 0 || op.productId.length > 200) {
        throw new TypeError('productId must be a non-empty string of ≤ 200 chars');
      }
      return;
    case 'remove':
      if (typeof op.productId !== 'string' || op.productId.length === 0 || op.productId.length > 200) {
        throw new TypeError('productId must be a non-empty string of ≤ 200 chars');
      }
      return;
    case 'clear':
      return;
    default:
      throw new TypeError('unknown op type');
  }
}
