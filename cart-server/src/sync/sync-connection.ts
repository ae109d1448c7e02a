/**
 * One client sync connection (SPEC §3). hello → welcome carries exactly what the client lacks
 * (deltaSince of its context); the client then sends what the server lacks as deltas, each acked
 * only after W replicas stored it; changes from other devices and nodes are pushed as they happen.
 *
 * Bounds: messages per second and frame bytes per second (token buckets; over either → error
 * frame, persistent abuse → close 1008), subscriptions per connection, and the socket's send
 * buffer (a reader slower than its pushes is closed with 1013 instead of growing server memory).
 * Frame size is bounded by ws `maxPayload`.
 *
 * CPU: a connection's frames are handled one at a time, in order, each in its own turn of the
 * event loop (after the I/O that arrived meanwhile), and at most `maxQueuedFrames` wait. One frame
 * costs work linear in its size (parse, decode, the delta bounds in CartService.merge) plus a join
 * with a bounded cart, so a burst of large frames delays other requests by one frame's work at a
 * time instead of stalling the process (20 frames of 320 KB once held /healthz for 4 s).
 */
import {
  Cart,
  type ClientFrame,
  decodeCartDelta,
  decodeContext,
  encodeCartDelta,
  encodeContext,
  encodeServerFrame,
  frameSeqOf,
  MAX_FRAME_PRODUCT_IDS,
  parseClientFrame,
  type ServerFrame,
} from '@cartwheel/crdt';
import type WebSocket from 'ws';
import type { AuthClaims } from '../auth/tokens.js';
import type { CartService } from '../carts/cart-service.js';
import { classifyError } from '../http/errors.js';
import { TokenBucket } from '../limits/token-bucket.js';

export interface SyncLimits {
  readonly messagesPerSecond: number;
  /** Frame bytes per second one connection may have handled (burst 2×). */
  readonly bytesPerSecond: number;
  /** Frames waiting to be handled on one connection. */
  readonly maxQueuedFrames: number;
  readonly maxSubscriptions: number;
  readonly maxBufferedBytes: number;
}

export interface SyncHooks {
  onMessage?(direction: 'in' | 'out'): void;
  onRejected?(reason: string): void;
  onError?(err: unknown): void;
}

function byteLength(data: WebSocket.RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data.byteLength;
}

/** The next turn of the event loop, after pending I/O callbacks (setImmediate's check phase). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class SyncConnection {
  private readonly messages: TokenBucket;
  private readonly bytes: TokenBucket;
  private readonly subscriptions = new Map<string, () => void>();
  /** The frames accepted so far, handled one after the other. */
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;
  private violations = 0;
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly claims: AuthClaims,
    private readonly carts: CartService,
    private readonly limits: SyncLimits,
    private readonly hooks: SyncHooks = {},
  ) {
    this.messages = new TokenBucket(limits.messagesPerSecond, limits.messagesPerSecond * 2);
    this.bytes = new TokenBucket(limits.bytesPerSecond, limits.bytesPerSecond * 2);
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('close', () => this.dispose());
    socket.on('error', () => socket.terminate());
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const unsubscribe of this.subscriptions.values()) unsubscribe();
    this.subscriptions.clear();
  }

  private send(frame: ServerFrame): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.limits.maxBufferedBytes) {
      this.hooks.onRejected?.('slow-reader');
      this.socket.close(1013, 'client too slow');
      this.dispose();
      return;
    }
    this.hooks.onMessage?.('out');
    this.socket.send(encodeServerFrame(frame));
  }

  private fail(code: string, message: string, seq?: number): void {
    this.send(seq === undefined ? { t: 'error', code, message } : { t: 'error', code, message, seq });
  }

  /** A frame refused unread for a rate or queue bound; persistent abuse closes the connection. */
  private limited(reason: string, message: string): void {
    this.hooks.onRejected?.(reason);
    this.violations++;
    if (this.violations > this.limits.messagesPerSecond * 4) {
      this.socket.close(1008, 'rate limit exceeded');
      this.dispose();
      return;
    }
    this.fail('RATE_LIMITED', message);
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.closed) return;
    this.hooks.onMessage?.('in');
    if (!this.messages.take()) {
      this.limited('rate', 'too many messages; slow down');
      return;
    }
    if (isBinary) {
      this.fail('BAD_REQUEST', 'frames are JSON text');
      return;
    }
    if (!this.bytes.take(byteLength(data))) {
      this.limited('bytes', `more than ${this.limits.bytesPerSecond} frame bytes per second; slow down`);
      return;
    }
    if (this.queued >= this.limits.maxQueuedFrames) {
      this.limited(
        'queue',
        `more than ${this.limits.maxQueuedFrames} frames waiting; wait for their answers`,
      );
      return;
    }
    this.queued++;
    this.tail = this.tail
      .then(nextTurn)
      .then(() => this.handle(data))
      // handle() answers every failure with an error frame; anything else must not stop the chain
      .catch((err: unknown) => this.hooks.onError?.(err))
      .finally(() => {
        this.queued--;
      });
  }

  /** Handles one frame; never rejects (every failure becomes an error frame). */
  private async handle(data: WebSocket.RawData): Promise<void> {
    if (this.closed) return;
    const text = data.toString();
    let frame: ClientFrame;
    try {
      // The one codec of the sync frames (@cartwheel/crdt), shared with the client.
      frame = parseClientFrame(text);
    } catch (err) {
      const message = (err as Error).message.replace(/^sync frame: /, '');
      if (message.startsWith('frame is not JSON')) {
        this.fail('INVALID_JSON', 'frame is not valid JSON');
        return;
      }
      this.fail('VALIDATION_FAILED', `bad frame: ${message}`, frameSeqOf(text));
      return;
    }
    try {
      await (frame.t === 'hello' ? this.hello(frame.cartId, frame.context) : this.delta(frame));
    } catch (err) {
      const e = classifyError(err);
      if (e.status >= 500 && e.code !== 'QUORUM_NOT_MET') this.hooks.onError?.(err);
      const productIds = (e.details as { productIds?: unknown } | undefined)?.productIds;
      this.send({
        t: 'error',
        code: e.code,
        message: e.message,
        ...(frame.t === 'delta' ? { seq: frame.seq } : {}),
        // the client drops these lines from its replica (they can never sync) and resends
        ...(Array.isArray(productIds) ? { productIds: productIds.slice(0, MAX_FRAME_PRODUCT_IDS) } : {}),
      });
    }
  }

  private async hello(cartId: string, contextBytes: Uint8Array): Promise<void> {
    const clientContext = decodeContext(contextBytes);
    if (!this.subscriptions.has(cartId)) {
      if (this.subscriptions.size >= this.limits.maxSubscriptions) {
        this.fail('RATE_LIMITED', `at most ${this.limits.maxSubscriptions} carts per connection`);
        return;
      }
      // Subscribe before reading, so no change between the read and the subscription is missed.
      const unsubscribe = this.carts.subscribe(this.claims.sub, cartId, (delta) => {
        this.send({ t: 'delta', cartId, delta: encodeCartDelta(delta) });
      });
      this.subscriptions.set(cartId, unsubscribe);
    }
    const state = await this.carts.read(this.claims.sub, cartId);
    const cart = Cart.fromState(state);
    this.send({
      t: 'welcome',
      cartId,
      delta: encodeCartDelta(cart.deltaSince(clientContext)),
      context: encodeContext(cart.context()),
    });
  }

  private async delta(frame: { cartId: string; seq: number; delta: Uint8Array }): Promise<void> {
    const actor = this.claims.act;
    if (actor === undefined) {
      this.fail('DEVICE_REQUIRED', 'sending deltas needs a device token (POST /v1/devices)', frame.seq);
      return;
    }
    const delta = decodeCartDelta(frame.delta);
    await this.carts.merge(this.claims.sub, frame.cartId, actor, delta);
    this.send({ t: 'ack', seq: frame.seq });
  }
}
