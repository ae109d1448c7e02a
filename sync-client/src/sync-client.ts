/**
 * SyncClient: the public face of the package. A cart that works offline, persists every change
 * before reporting it done, and converges with the server and every other device over the
 * sync protocol of SPEC §3. See README.md for the model and examples.
 */
import {
  Cart,
  type CartLine,
  type CartOp,
  CartState,
  decodeCart,
  encodeCart,
  type LineMeta,
} from '@cartwheel/crdt';
import { type BackoffOptions, DEFAULT_BACKOFF } from './backoff.js';
import { type FetchLike, registerDevice } from './device.js';
import { SyncClientError } from './errors.js';
import { jwtExpiresAtMs } from './jwt-expiry.js';
import { LocalReplica } from './local-replica.js';
import { defaultSocketFactory, type SocketFactory } from './socket.js';
import { assertReplicaKey, type ReplicaStore } from './store/replica-store.js';
import { SyncConnection } from './sync-connection.js';
import {
  createBrowserTabCoordinator,
  type SyncStatus,
  type TabCoordinator,
  type TabMessage,
} from './tab-coordinator.js';

export type { SyncStatus } from './tab-coordinator.js';

/** Why the client asks for the user's token. */
export type TokenReason = 'register' | 'refresh';

export interface SyncClientOptions {
  /** Server origin, e.g. "https://shop.example" (default: `location.origin` in browsers). */
  readonly url?: string;
  /** The user's cart name on the server (`/v1/carts/:cartId`). */
  readonly cartId: string;
  readonly store: ReplicaStore;
  /**
   * Auth hook: returns the user's bearer token. Called to register this device and again with
   * `'refresh'` whenever the server rejects the device's credentials (expired token, unknown
   * device), so an app can refresh its session first.
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
  /** Errors the client recovers from (failed connects, rejected deltas); default: ignored. */
  readonly onError?: (error: unknown) => void;
}

export type ClientRole = 'starting' | 'leader' | 'follower';

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
  /** Resolves once the cart can be read and changed (the replica is loaded or mirrored). */
  readonly ready: Promise<void>;
  readonly #o: SyncClientOptions;
  readonly #baseUrl: string;
  readonly #key: string;
  readonly #tabId =
    `${Date.now().toString(36)}-${(tabCounter++).toString(36)}-${Math.random().toString(36).slice(2)}`;
  readonly #listeners = new Set<(snapshot: ClientSnapshot) => void>();
  readonly #tabs: TabCoordinator | undefined;
  #role: ClientRole = 'starting';
  #replica: LocalReplica | undefined;
  #connection: SyncConnection | undefined;
  #mirror: Cart | undefined;
  #mirrorStatus: SyncStatus = 'offline';
  #mirrorPending = 0;
  #mirrorActor: string | undefined;
  #token: string | undefined;
  #authRejected = false;
  #lastRefresh = 0;
  #closed = false;
  #wantOnline: boolean;
  #notifyQueued = false;
  #resolveReady!: () => void;
  #rejectReady!: (error: unknown) => void;
  #opId = 0;
  readonly #waiting = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();
  readonly #onOnline = () => {
    if (this.#wantOnline) this.#connection?.wake();
  };
  #leaderTab: string | undefined;
  #storeOpen = false;
  readonly #onOffline = () => this.#connection?.stop();

  constructor(options: SyncClientOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options are required');
    if (typeof options.cartId !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(options.cartId)) {
      throw new TypeError('cartId must be 1-128 chars of [A-Za-z0-9._-]');
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
      this.#role = 'follower';
      this.#tabs.onMessage((m) => this.#onTabMessage(m));
      this.#tabs.campaign(() => void this.#lead());
      this.#tabs.post({ k: 'hello', from: this.#tabId });
    }
  }

  // ---- reading ------------------------------------------------------------------------------

  get role(): ClientRole {
    return this.#role;
  }

  /** The cart as this tab sees it (the leader's replica or a follower's mirror), sorted by productId. */
  lines(): CartLine[] {
    return this.#cart()?.lines() ?? [];
  }

  get(productId: string): CartLine | undefined {
    return this.#cart()?.get(productId);
  }

  /** An immutable snapshot of the replica's CRDT state (e.g. to encode or merge elsewhere). */
  state(): CartState {
    return this.#cart()?.state() ?? CartState.empty();
  }

  get status(): SyncStatus {
    if (this.#role !== 'leader') return this.#mirrorStatus;
    const c = this.#connection;
    if (c === undefined || c.phase === 'offline' || c.phase === 'connecting') return 'offline';
    return c.phase === 'ready' && c.inFlight === 0 ? 'online' : 'syncing';
  }

  get pendingCount(): number {
    return this.#role === 'leader' ? (this.#replica?.pendingCount ?? 0) : this.#mirrorPending;
  }

  get actor(): string | undefined {
    return this.#role === 'leader' ? this.#replica?.actor : this.#mirrorActor;
  }

  snapshot(): ClientSnapshot {
    return {
      lines: this.lines(),
      status: this.status,
      pending: this.pendingCount,
      role: this.#role,
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
    if (this.#role !== 'leader' && this.#tabs !== undefined) {
      await this.ready; // a leader exists once its first state arrived
      await this.#forward(op);
      return;
    }
    await this.ready;
    if (this.#closed || this.#replica === undefined) {
      throw new SyncClientError('SYNC_CLIENT_CLOSED', 'client is closed');
    }
    const { change, stored } = this.#replica.applyLocal(op);
    this.#connection?.localChange(change);
    this.#changed();
    await stored;
    this.#changed();
  }

  // ---- connection ---------------------------------------------------------------------------

  /** Starts syncing (the default unless autoConnect is false). */
  connect(): void {
    this.#wantOnline = true;
    this.#connection?.wake();
  }

  /** Stops syncing and stays offline; local changes keep working and queue up. */
  disconnect(): void {
    this.#wantOnline = false;
    this.#connection?.stop();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#connection?.stop();
    this.#tabs?.close();
    const events = globalThis as { removeEventListener?: (type: string, fn: () => void) => void };
    events.removeEventListener?.('online', this.#onOnline);
    events.removeEventListener?.('offline', this.#onOffline);
    for (const w of this.#waiting.values())
      w.reject(new SyncClientError('SYNC_CLIENT_CLOSED', 'client is closed'));
    this.#waiting.clear();
    this.#rejectReady(new SyncClientError('SYNC_CLIENT_CLOSED', 'client is closed'));
    await this.#closeStore();
  }

  async #closeStore(): Promise<void> {
    if (!this.#storeOpen) return;
    this.#storeOpen = false;
    await this.#o.store.close();
  }

  // ---- leader -------------------------------------------------------------------------------

  async #lead(): Promise<void> {
    if (this.#closed) return;
    try {
      const store = this.#o.store;
      await store.open();
      this.#storeOpen = true;
      if (this.#closed) return await this.#closeStore();
      const stored = await store.load(this.#key);
      let meta = stored.meta;
      while (meta === undefined) {
        if (this.#closed) return await this.#closeStore();
        try {
          const creds = await registerDevice(
            this.#fetch(),
            this.#baseUrl,
            await this.#o.getUserToken('register'),
          );
          meta = creds;
          await store.putMeta(this.#key, creds);
        } catch (error) {
          this.#o.onError?.(error);
          await sleep(2_000 + 2_000 * (this.#o.random ?? Math.random)());
        }
      }
      this.#token = meta.token;
      const replica = await LocalReplica.open(store, this.#key, meta.actor, this.#o.clock);
      if (this.#closed) return await this.#closeStore();
      this.#replica = replica;
      this.#role = 'leader';
      this.#mirror = undefined;
      this.#connection = new SyncConnection({
        cartId: this.#o.cartId,
        replica: () => replica,
        socketUrl: () => this.#socketUrl(),
        createSocket: this.#o.createSocket ?? defaultSocketFactory(),
        backoff: { ...DEFAULT_BACKOFF, ...this.#o.backoff },
        random: this.#o.random ?? Math.random,
        onAuthRejected: () => {
          this.#authRejected = true;
        },
        onRemoteChange: () => this.#changed(),
        onPhase: () => this.#changed(),
        onError: (error) => this.#o.onError?.(error),
        handshakeTimeoutMs: this.#o.handshakeTimeoutMs ?? 15_000,
        ackTimeoutMs: this.#o.ackTimeoutMs ?? 20_000,
      });
      const events = globalThis as {
        addEventListener?: (type: string, fn: () => void) => void;
        navigator?: { onLine?: boolean };
      };
      events.addEventListener?.('online', this.#onOnline);
      events.addEventListener?.('offline', this.#onOffline);
      if (this.#wantOnline && events.navigator?.onLine !== false) this.#connection.start();
      this.#resolveReady();
      this.#failForwarded();
      this.#changed();
    } catch (error) {
      this.#o.onError?.(error);
      this.#rejectReady(error);
    }
  }

  #fetch(): FetchLike {
    return this.#o.fetch ?? ((input, init) => fetch(input, init));
  }

  async #socketUrl(): Promise<string> {
    const replica = this.#replica;
    if (replica === undefined) throw new SyncClientError('SYNC_NOT_LEADER', 'no replica');
    const now = Date.now();
    const expiresAt =
      this.#token === undefined ? 0 : (jwtExpiresAtMs(this.#token) ?? Number.POSITIVE_INFINITY);
    // Refresh at most every 30 s on rejection: a server that keeps refusing must not make us
    // register again and again; an (about to be) expired token is refreshed before use.
    if ((this.#authRejected && now - this.#lastRefresh > 30_000) || expiresAt - 30_000 < now) {
      this.#lastRefresh = now;
      const creds = await registerDevice(
        this.#fetch(),
        this.#baseUrl,
        await this.#o.getUserToken('refresh'),
        replica.actor,
      );
      replica.rebind(creds.actor);
      await this.#o.store.putMeta(this.#key, creds);
      this.#token = creds.token;
      this.#authRejected = false;
    }
    const ws = this.#baseUrl.replace(/^http/, 'ws');
    return `${ws}/v1/sync?token=${encodeURIComponent(this.#token ?? '')}`;
  }

  // ---- tabs ---------------------------------------------------------------------------------

  #cart(): Cart | undefined {
    return this.#role === 'leader' ? this.#replica?.cart : this.#mirror;
  }

  /**
   * Operations forwarded to a leader tab that went away may or may not have been stored: fail
   * them (the cart shows what happened) rather than apply an add twice.
   */
  #failForwarded(): void {
    for (const w of this.#waiting.values()) {
      w.reject(new SyncClientError('SYNC_NOT_LEADER', 'the leader tab went away; check the cart and retry'));
    }
    this.#waiting.clear();
  }

  #forward(op: CartOp): Promise<void> {
    const tabs = this.#tabs!;
    const id = ++this.#opId;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      tabs.post({ k: 'op', from: this.#tabId, id, op });
    });
  }

  #onTabMessage(m: TabMessage): void {
    if (this.#closed) return;
    if (this.#role === 'leader') {
      if (m.k === 'hello') this.#broadcastState();
      else if (m.k === 'op') void this.#applyForwarded(m.from, m.id, m.op);
      return;
    }
    if (m.k === 'state') {
      try {
        this.#mirror = Cart.fromState(decodeCart(m.state));
      } catch (error) {
        this.#o.onError?.(error);
        return;
      }
      this.#mirrorStatus = m.status;
      this.#mirrorPending = m.pending;
      this.#mirrorActor = m.actor;
      if (this.#leaderTab !== undefined && this.#leaderTab !== m.leader) this.#failForwarded();
      this.#leaderTab = m.leader;
      this.#resolveReady();
      this.#notify();
    } else if (m.k === 'done' && m.to === this.#tabId) {
      const w = this.#waiting.get(m.id);
      this.#waiting.delete(m.id);
      if (m.error === undefined) w?.resolve();
      else w?.reject(new SyncClientError('SYNC_DELTA_REJECTED', `${m.error.code}: ${m.error.message}`));
    }
  }

  async #applyForwarded(from: string, id: number, op: CartOp): Promise<void> {
    let error: { code: string; message: string } | undefined;
    try {
      await this.apply(op);
    } catch (e) {
      const err = e as { code?: unknown; message?: unknown };
      error = {
        code: typeof err.code === 'string' ? err.code : 'INVALID_OP',
        message: typeof err.message === 'string' ? err.message : 'operation failed',
      };
    }
    this.#tabs?.post(error === undefined ? { k: 'done', to: from, id } : { k: 'done', to: from, id, error });
  }

  #broadcastState(): void {
    const replica = this.#replica;
    if (this.#tabs === undefined || replica === undefined || this.#closed) return;
    this.#tabs.post({
      k: 'state',
      leader: this.#tabId,
      state: encodeCart(replica.cart.state()),
      status: this.status,
      pending: this.pendingCount,
      actor: replica.actor,
    });
  }

  // ---- notifications ------------------------------------------------------------------------

  #changed(): void {
    this.#notify();
  }

  /** Coalesces bursts (a welcome plus an ack) into one notification per microtask. */
  #notify(): void {
    if (this.#notifyQueued) return;
    this.#notifyQueued = true;
    queueMicrotask(() => {
      this.#notifyQueued = false;
      if (this.#closed) return;
      if (this.#role === 'leader') this.#broadcastState();
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
