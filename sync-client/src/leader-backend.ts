/**
 * The leader: the one writer of a replica (the only tab, or the tab holding the Web Lock). It
 * opens the store, owns the device session (actor + token) and the connection, applies local
 * changes, serves the follower tabs, and follows the browser's online/offline events.
 *
 * It is ready as soon as the store is loaded: a device that has never reached the server has
 * already chosen its actor (device-session.ts) and works offline; the connection claims the
 * actor on first contact and syncs whatever was done meanwhile.
 */
import { type CartOp, encodeCart } from '@cartwheel/crdt';
import type { ClientBackend } from './backend.js';
import { type BackoffOptions, DEFAULT_BACKOFF } from './backoff.js';
import type { FetchLike } from './device.js';
import { DeviceSession, type TokenReason } from './device-session.js';
import { SyncClientError } from './errors.js';
import { LocalReplica } from './local-replica.js';
import { defaultSocketFactory, type SocketFactory } from './socket.js';
import type { ReplicaStore } from './store/replica-store.js';
import { SyncConnection } from './sync-connection.js';
import type { SyncStatus, TabCoordinator, TabMessage } from './tab-coordinator.js';

export interface LeaderOptions {
  readonly baseUrl: string;
  readonly cartId: string;
  readonly key: string;
  readonly store: ReplicaStore;
  readonly getUserToken: (reason: TokenReason) => string | Promise<string>;
  readonly tabs: TabCoordinator | undefined;
  readonly tabId: string;
  /** Whether the app wants to be online (connect()/disconnect(), autoConnect). */
  readonly wantOnline: () => boolean;
  readonly createSocket?: SocketFactory;
  readonly fetch?: FetchLike;
  readonly backoff?: Partial<BackoffOptions>;
  readonly random?: () => number;
  readonly clock?: () => number;
  readonly handshakeTimeoutMs?: number;
  readonly ackTimeoutMs?: number;
  /** Lines, status or pending count changed. */
  readonly onChange: () => void;
  readonly onError: (error: unknown) => void;
}

interface BrowserEvents {
  addEventListener?: (type: string, fn: () => void) => void;
  removeEventListener?: (type: string, fn: () => void) => void;
  navigator?: { onLine?: boolean };
}

export class LeaderBackend implements ClientBackend {
  readonly role = 'leader' as const;
  readonly #o: LeaderOptions;
  readonly #replica: LocalReplica;
  readonly #session: DeviceSession;
  readonly #connection: SyncConnection;
  #closed = false;
  readonly #onOnline = () => {
    if (this.#o.wantOnline()) this.#connection.wake();
  };
  readonly #onOffline = () => this.#connection.stop();

  private constructor(options: LeaderOptions, replica: LocalReplica, session: DeviceSession) {
    this.#o = options;
    this.#replica = replica;
    this.#session = session;
    this.#connection = new SyncConnection({
      cartId: options.cartId,
      replica: () => replica,
      socketUrl: () => this.#socketUrl(),
      createSocket: options.createSocket ?? defaultSocketFactory(),
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
      random: options.random ?? Math.random,
      onAuthRejected: () => session.rejected(),
      onUnknownProducts: (ids) => this.#dropUnknown(ids),
      beforeCatchUp: (serverContext) => session.beforeCatchUp(replica, serverContext),
      onRemoteChange: () => options.onChange(),
      onPhase: () => options.onChange(),
      onError: (error) => options.onError(error),
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 15_000,
      ackTimeoutMs: options.ackTimeoutMs ?? 20_000,
    });
  }

  /**
   * Opens the store and the replica (no network: a first start chooses the actor locally) and
   * starts syncing when wanted. Closes the store again if opening fails half-way.
   */
  static async open(options: LeaderOptions): Promise<LeaderBackend> {
    const { store, key } = options;
    await store.open();
    try {
      const stored = await store.load(key);
      const session = await DeviceSession.open(
        {
          baseUrl: options.baseUrl,
          store,
          key,
          getUserToken: options.getUserToken,
          fetch: options.fetch ?? ((input, init) => fetch(input, init)),
        },
        stored.meta,
      );
      const replica = await LocalReplica.open(store, key, session.actor, options.clock, session.replaced);
      const leader = new LeaderBackend(options, replica, session);
      const events = globalThis as BrowserEvents;
      events.addEventListener?.('online', leader.#onOnline);
      events.addEventListener?.('offline', leader.#onOffline);
      if (options.wantOnline() && events.navigator?.onLine !== false) leader.#connection.start();
      return leader;
    } catch (error) {
      await store.close().catch(() => {});
      throw error;
    }
  }

  cart() {
    return this.#replica.cart;
  }

  get status(): SyncStatus {
    const c = this.#connection;
    if (c.phase === 'offline' || c.phase === 'connecting') return 'offline';
    return c.phase === 'ready' && c.inFlight === 0 ? 'online' : 'syncing';
  }

  get pendingCount(): number {
    return this.#replica.pendingCount;
  }

  get actor(): string {
    return this.#replica.actor;
  }

  async apply(op: CartOp): Promise<void> {
    if (this.#closed) throw new SyncClientError('SYNC_CLIENT_CLOSED', 'client is closed');
    const { change, stored } = this.#replica.applyLocal(op);
    this.#connection.localChange(change);
    this.#o.onChange();
    await stored;
    this.#o.onChange();
  }

  connect(): void {
    this.#connection.wake();
  }

  disconnect(): void {
    this.#connection.stop();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#connection.stop();
    const events = globalThis as BrowserEvents;
    events.removeEventListener?.('online', this.#onOnline);
    events.removeEventListener?.('offline', this.#onOffline);
    await this.#o.store.close();
  }

  // ---- follower tabs ------------------------------------------------------------------------

  onTabMessage(m: TabMessage): void {
    if (this.#closed) return;
    if (m.k === 'hello') this.published();
    else if (m.k === 'op') void this.#applyForwarded(m.from, m.id, m.op);
  }

  /** Broadcasts the state to the follower tabs (after every change the listeners saw). */
  published(): void {
    if (this.#o.tabs === undefined || this.#closed) return;
    this.#o.tabs.post({
      k: 'state',
      leader: this.#o.tabId,
      state: encodeCart(this.#replica.cart.state()),
      status: this.status,
      pending: this.pendingCount,
      actor: this.actor,
    });
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
    this.#o.tabs?.post(
      error === undefined ? { k: 'done', to: from, id } : { k: 'done', to: from, id, error },
    );
  }

  // ---- connection hooks ---------------------------------------------------------------------

  async #socketUrl(): Promise<string> {
    const before = this.#replica.actor;
    const token = await this.#session.token(this.#replica);
    if (this.#replica.actor !== before) this.#o.onChange(); // re-minted under a fresh actor
    const ws = this.#o.baseUrl.replace(/^http/, 'ws');
    return `${ws}/v1/sync?token=${encodeURIComponent(token)}`;
  }

  /**
   * The server refused lines for products its catalog does not hold (PRODUCT_NOT_FOUND): such a
   * line can never sync and would block every later change, so it is removed here (a local
   * change, synced like any other) and the app is told through onError.
   */
  #dropUnknown(ids: readonly string[]): void {
    const present = ids.filter((id) => this.#replica.cart.get(id) !== undefined);
    if (present.length === 0) return;
    for (const productId of present) {
      const { change, stored } = this.#replica.applyLocal({ type: 'remove', productId });
      this.#connection.localChange(change);
      stored.catch((error: unknown) => this.#o.onError(error));
    }
    this.#o.onChange();
    this.#o.onError(
      new SyncClientError(
        'SYNC_UNKNOWN_PRODUCT',
        `the server's catalog has no ${present.join(', ')}: removed from the cart`,
      ),
    );
  }
}
