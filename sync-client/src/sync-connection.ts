/**
 * One cart's sync session over WebSocket (SPEC §3), reconnecting with back-off.
 *
 * Catch-up is a causal-context exchange (delta-state anti-entropy, Almeida, Shoker & Baquero,
 * "Delta State Replicated Data Types", §5): the client says what it has seen (hello), the server
 * answers with exactly what the client lacks plus what it has seen (welcome), and the client sends
 * `deltaSince(serverContext)`. Only missing state travels, however long the device was offline,
 * and nothing depends on the server still holding per-device queues after a restart.
 */
import {
  type CausalContext,
  decodeContext,
  encodeCartDelta,
  encodeClientFrame,
  encodeContext,
  joinCartStates,
  parseServerFrame,
  type ServerFrame,
} from '@cartwheel/crdt';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import { SyncClientError } from './errors.js';
import type { LocalChange, LocalReplica } from './local-replica.js';
import { SOCKET_OPEN, type SocketFactory, type SocketLike } from './socket.js';

export type ConnectionPhase = 'offline' | 'connecting' | 'handshake' | 'ready';

/** Error codes after which the device's credentials must be refreshed before reconnecting. */
const AUTH_CODES = new Set([
  'UNAUTHORIZED',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'FORBIDDEN',
  'FORBIDDEN_DOTS',
  'DEVICE_REQUIRED',
  'DEVICE_NOT_FOUND',
]);
const AUTH_CLOSE_CODES = new Set([1008, 4001, 4401, 4403]);

export interface ConnectionOptions {
  readonly cartId: string;
  readonly replica: () => LocalReplica;
  /** Sync endpoint URL with the current device token; may refresh credentials first. */
  readonly socketUrl: () => Promise<string>;
  readonly createSocket: SocketFactory;
  readonly backoff: BackoffOptions;
  readonly random: () => number;
  /** Called when the server rejected the credentials; the next socketUrl() must use new ones. */
  readonly onAuthRejected: () => void;
  /** The server refused lines of these products (PRODUCT_NOT_FOUND): they can never sync. */
  readonly onUnknownProducts?: (productIds: readonly string[]) => void;
  /** After a welcome's delta is joined and before the catch-up is computed (actor moves). */
  readonly beforeCatchUp?: (serverContext: CausalContext) => Promise<void>;
  readonly onRemoteChange: () => void;
  readonly onPhase: () => void;
  readonly onError: (error: unknown) => void;
  readonly handshakeTimeoutMs: number;
  readonly ackTimeoutMs: number;
}

export class SyncConnection {
  readonly #o: ConnectionOptions;
  #socket: SocketLike | undefined;
  #phase: ConnectionPhase = 'offline';
  #stopped = true;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  #nextSendSeq = 1;
  /** Sent delta seq → local log seqs it covers; acknowledged together. */
  readonly #inFlight = new Map<number, readonly number[]>();
  #queue: Promise<void> = Promise.resolve();
  #batch: LocalChange[] = [];
  /** Connection attempts in a row that never opened (a refused upgrade looks like this). */
  #unopened = 0;
  /** A hello sent to pull a missing causal past; cleared by its welcome. */
  #pulling = false;

  constructor(options: ConnectionOptions) {
    this.#o = options;
  }

  get phase(): ConnectionPhase {
    return this.#phase;
  }

  /** Sent but unacknowledged deltas. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#connect();
  }

  /** Closes the socket and stays offline until start()/wake(). */
  stop(): void {
    this.#stopped = true;
    this.#clearTimers();
    this.#drop(1000, 'client stopped');
  }

  /** Reconnect now (e.g. the browser reports the network is back); resets the back-off. */
  wake(): void {
    this.#attempt = 0;
    if (this.#stopped) {
      this.start();
      return;
    }
    if (this.#socket === undefined) {
      this.#clearTimers();
      void this.#connect();
    }
  }

  /**
   * A local change was applied: send it when the session is ready. Changes made in the same
   * task (a burst from a script, "add all") are joined into one frame, which keeps a burst
   * under the server's per-connection message rate.
   */
  localChange(change: LocalChange): void {
    if (this.#phase !== 'ready') return; // the next welcome's catch-up covers it
    this.#batch.push(change);
    if (this.#batch.length > 1) return;
    queueMicrotask(() => {
      const batch = this.#batch;
      this.#batch = [];
      if (this.#phase !== 'ready' || batch.length === 0) return;
      // Deltas compose: joining them gives the delta of the whole batch, its dependencies joined.
      let joined = batch[0]!.delta;
      for (let i = 1; i < batch.length; i++) joined = joinCartStates(joined, batch[i]!.delta);
      this.#sendDelta(
        encodeCartDelta(joined),
        batch.map((c) => c.seq),
      );
    });
  }

  #setPhase(phase: ConnectionPhase): void {
    if (this.#phase === phase) return;
    this.#phase = phase;
    this.#o.onPhase();
  }

  #clearTimers(): void {
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    if (this.#watchdog !== undefined) clearTimeout(this.#watchdog);
    this.#retryTimer = undefined;
    this.#watchdog = undefined;
  }

  /** Drops the current socket (if any) without waiting for its close event. */
  #drop(code: number, reason: string): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#inFlight.clear();
    if (socket !== undefined) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      // Closing a socket that is still connecting reports an error; keep a handler for it.
      socket.onerror = () => {};
      try {
        socket.close(code, reason);
      } catch {
        // already closed
      }
    }
    this.#setPhase('offline');
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#retryTimer !== undefined) return;
    const delay = backoffDelay(this.#attempt, this.#o.backoff, this.#o.random);
    this.#attempt++;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#connect();
    }, delay);
  }

  /** Reconnect later because of `reason` (a dead socket, a protocol error, a timeout). */
  #fail(reason: string, error?: unknown): void {
    if (error !== undefined) this.#o.onError(error);
    if (this.#watchdog !== undefined) clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    this.#drop(4000, reason);
    this.#scheduleReconnect();
  }

  #arm(ms: number, reason: string): void {
    if (this.#watchdog !== undefined) clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(() => {
      this.#watchdog = undefined;
      this.#fail(reason, new SyncClientError('SYNC_PROTOCOL_ERROR', reason));
    }, ms);
  }

  async #connect(): Promise<void> {
    if (this.#stopped || this.#socket !== undefined) return;
    this.#setPhase('connecting');
    let url: string;
    try {
      url = await this.#o.socketUrl();
    } catch (error) {
      this.#setPhase('offline');
      this.#o.onError(error);
      this.#scheduleReconnect();
      return;
    }
    if (this.#stopped || this.#socket !== undefined) return;
    let socket: SocketLike;
    try {
      socket = this.#o.createSocket(url);
    } catch (error) {
      this.#setPhase('offline');
      this.#o.onError(error);
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    this.#queue = Promise.resolve();
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.#unopened = 0;
      this.#setPhase('handshake');
      const context = encodeContext(this.#o.replica().cart.context());
      socket.send(encodeClientFrame({ t: 'hello', cartId: this.#o.cartId, context }));
      this.#arm(this.#o.handshakeTimeoutMs, 'no welcome from the server');
    };
    socket.onmessage = (event) => {
      let frame: ServerFrame;
      try {
        frame = parseServerFrame(event.data);
      } catch (error) {
        this.#fail(
          'protocol error',
          new SyncClientError('SYNC_PROTOCOL_ERROR', 'malformed frame', { cause: error }),
        );
        return;
      }
      // Frames are handled one after another: applying a delta awaits the store.
      this.#queue = this.#queue.then(() => this.#handle(socket, frame));
    };
    socket.onerror = () => {};
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      if (AUTH_CLOSE_CODES.has(event.code)) this.#o.onAuthRejected();
      // Browsers report a refused upgrade (401) as a bare 1006 close: after a few attempts that
      // never opened, suspect the credentials (the refresh fails harmlessly if the server is down).
      if (!opened && ++this.#unopened >= 3) this.#o.onAuthRejected();
      this.#fail(`socket closed (${event.code})`);
    };
  }

  async #handle(socket: SocketLike, frame: ServerFrame): Promise<void> {
    if (this.#socket !== socket) return;
    try {
      switch (frame.t) {
        case 'welcome':
          return await this.#onWelcome(socket, frame);
        case 'delta':
          if (frame.cartId !== this.#o.cartId)
            throw new SyncClientError('SYNC_PROTOCOL_ERROR', 'push for another cart');
          await this.#o.replica().applyRemote(frame.delta);
          this.#o.onRemoteChange();
          this.#pullIfBehind(socket);
          return;
        case 'ack':
          return await this.#onAck(frame.seq);
        case 'error':
          return this.#onServerError(frame);
      }
    } catch (error) {
      if (this.#socket === socket) this.#fail('failed to handle a frame', error);
    }
  }

  /**
   * Delivery contract: a pushed delta whose causal past this replica lacks is held back by the
   * cart; ask again (a new hello) and the welcome's deltaSince brings the missing past, after which
   * the held delta joins by itself.
   */
  #pullIfBehind(socket: SocketLike): void {
    const replica = this.#o.replica();
    if (this.#pulling || replica.cart.pendingDeltas === 0 || socket.readyState !== SOCKET_OPEN) return;
    this.#pulling = true;
    const context = encodeContext(replica.cart.context());
    socket.send(encodeClientFrame({ t: 'hello', cartId: this.#o.cartId, context }));
  }

  async #onWelcome(socket: SocketLike, frame: Extract<ServerFrame, { t: 'welcome' }>): Promise<void> {
    this.#pulling = false;
    if (frame.cartId !== this.#o.cartId)
      throw new SyncClientError('SYNC_PROTOCOL_ERROR', 'welcome for another cart');
    const replica = this.#o.replica();
    await replica.applyRemote(frame.delta);
    if (this.#socket !== socket) return;
    const serverContext = decodeContext(frame.context);
    await this.#o.beforeCatchUp?.(serverContext);
    if (this.#socket !== socket) return;
    this.#o.onRemoteChange();
    // From here to `ready` runs without awaiting, so every local change is either in this
    // catch-up delta or sent live afterwards.
    const covered = replica.pendingSeqs();
    if (this.#watchdog !== undefined) clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    this.#attempt = 0;
    this.#setPhase('ready');
    // Removals are local changes, so they are pending until acknowledged: with nothing pending
    // and every dot we have seen known to the server, the server lacks nothing.
    if (covered.length > 0 || !serverContext.covers(replica.cart.context())) {
      this.#sendDelta(encodeCartDelta(replica.cart.deltaSince(serverContext)), covered);
    } else {
      this.#o.onPhase();
    }
  }

  #sendDelta(delta: Uint8Array, covers: readonly number[]): void {
    const socket = this.#socket;
    if (socket === undefined || socket.readyState !== SOCKET_OPEN) return;
    const seq = this.#nextSendSeq++;
    this.#inFlight.set(seq, covers);
    socket.send(encodeClientFrame({ t: 'delta', cartId: this.#o.cartId, seq, delta }));
    this.#arm(this.#o.ackTimeoutMs, 'no ack from the server');
    this.#o.onPhase();
  }

  async #onAck(seq: number): Promise<void> {
    const covered = this.#inFlight.get(seq);
    if (covered === undefined) return;
    this.#inFlight.delete(seq);
    if (this.#inFlight.size === 0 && this.#watchdog !== undefined) {
      clearTimeout(this.#watchdog);
      this.#watchdog = undefined;
    }
    await this.#o.replica().acknowledge(covered);
    this.#o.onPhase();
  }

  #onServerError(frame: Extract<ServerFrame, { t: 'error' }>): void {
    const error = new SyncClientError(
      AUTH_CODES.has(frame.code) ? 'SYNC_AUTH_FAILED' : 'SYNC_DELTA_REJECTED',
      `server error ${frame.code}: ${frame.message}`,
      { cause: frame },
    );
    if (AUTH_CODES.has(frame.code)) this.#o.onAuthRejected();
    if (frame.code === 'PRODUCT_NOT_FOUND' && frame.productIds !== undefined) {
      this.#o.onUnknownProducts?.(frame.productIds);
    }
    // The unacknowledged changes stay pending; the next session's context exchange resends them.
    this.#fail(`server error ${frame.code}`, error);
  }
}
