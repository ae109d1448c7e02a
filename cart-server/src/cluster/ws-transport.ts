/**
 * The replication core's `Transport` over persistent WebSocket connections (`/v1/cluster`).
 *
 * Each node dials one outbound connection per peer and sends only on it; it receives on the
 * connections peers dialled to it. The contract is "unreliable, unordered" (the core retries, hints
 * and runs anti-entropy), which lets this layer stay simple and bounded:
 *  - reconnect: exponential back-off with full jitter (AWS Architecture Blog, "Exponential Backoff
 *    and Jitter"), 50 ms doubling to 5 s;
 *  - while a peer is unreachable, messages wait in a bounded queue (oldest dropped first);
 *  - back-pressure: when the socket's buffered bytes pass a high-water mark, new messages are
 *    dropped (and counted) instead of growing memory without bound;
 *  - size limits: outbound messages over `maxMessageBytes` are dropped; inbound ones close the
 *    socket (ws `maxPayload`);
 *  - batching: on a connection whose peer accepted batch frames (batch-frames.ts), the messages for
 *    that peer of one event-loop turn leave together, as one frame, at the end of the turn.
 *
 * `send` takes ownership of `message` (as the in-memory transport does): the caller hands over
 * freshly encoded bytes and does not change them afterwards.
 */
import type { NodeId, Transport } from '@cartwheel/crdt';
import WebSocket from 'ws';
import { BATCH_FRAMES, decodeBatch, encodeBatch, FRAMES_HEADER, prefixBytes } from './batch-frames.js';
import {
  CLUSTER_NODE_HEADER,
  CLUSTER_PROOF_HEADER,
  CLUSTER_URL_HEADER,
  clusterProof,
} from './cluster-auth.js';

export interface WsTransportOptions {
  readonly self: NodeId;
  /** Peer id → base URL (http://host:port). */
  readonly peers: ReadonlyMap<NodeId, string>;
  readonly secret: string;
  readonly maxMessageBytes?: number;
  /** Bytes buffered in a socket before new messages to that peer are dropped. */
  readonly highWaterBytes?: number;
  /** Bytes queued per unreachable peer before the oldest messages are dropped. */
  readonly maxQueuedBytes?: number;
  readonly onDrop?: (
    reason: 'queue-full' | 'back-pressure' | 'too-large' | 'unknown-peer' | 'malformed-frame',
  ) => void;
  readonly onPeerState?: (peer: NodeId, connected: boolean) => void;
}

type Handler = (from: NodeId, message: Uint8Array) => void;

class PeerLink {
  socket: WebSocket | undefined;
  open = false;
  /** The peer accepted batch frames on the current connection. */
  batched = false;
  /** Messages of this turn for an open batched connection, sent as one frame at the end of it. */
  outbox: Uint8Array[] = [];
  outboxBytes = 0;
  queue: Uint8Array[] = [];
  queuedBytes = 0;
  attempt = 0;
  timer: NodeJS.Timeout | undefined;
  constructor(
    readonly id: NodeId,
    readonly url: string,
  ) {}
}

export class WsTransport implements Transport {
  readonly self: NodeId;
  private handler: Handler | undefined;
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly inbound = new Set<WebSocket>();
  private readonly maxMessageBytes: number;
  private readonly highWaterBytes: number;
  private readonly maxQueuedBytes: number;
  private closed = false;
  private started = false;
  /** This node's base URL, sent when dialling so peers learn where to reach it. */
  private advertisedUrl: string | undefined;
  /** Links with messages in their outbox, flushed once per event-loop turn. */
  private readonly pending = new Set<PeerLink>();
  private flushScheduled = false;
  /** Messages received before a handler was registered are dropped (the core retries). */
  dropped = 0;

  constructor(private readonly options: WsTransportOptions) {
    this.self = options.self;
    this.maxMessageBytes = options.maxMessageBytes ?? 8 * 1024 * 1024;
    this.highWaterBytes = options.highWaterBytes ?? 16 * 1024 * 1024;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 8 * 1024 * 1024;
    for (const [id, url] of options.peers) {
      if (id === options.self) continue;
      this.links.set(id, new PeerLink(id, url));
    }
  }

  /** Starts dialling every peer; connections come up in the background. */
  start(): void {
    this.started = true;
    for (const link of this.links.values()) this.dial(link);
  }

  /** The base URL sent to peers when dialling them (set before start). */
  advertise(url: string): void {
    this.advertisedUrl = url;
  }

  /**
   * Adds a peer learned at run time (membership is dynamic), or moves a known one to a new
   * address: its connection is redialled there, and the messages queued for it are kept.
   */
  setPeer(id: NodeId, url: string): void {
    if (id === this.self || this.closed) return;
    const old = this.links.get(id);
    if (old?.url === url) return;
    const link = new PeerLink(id, url);
    if (old !== undefined) {
      if (old.timer !== undefined) clearTimeout(old.timer);
      link.queue = old.open ? [] : old.queue;
      link.queuedBytes = old.open ? 0 : old.queuedBytes;
      old.socket?.terminate();
    }
    this.links.set(id, link);
    if (this.started) this.dial(link);
  }

  onMessage(handler: Handler): void {
    this.handler = handler;
  }

  send(to: NodeId, message: Uint8Array): void {
    if (this.closed) return;
    if (to === this.self) {
      // Loopback: deliver asynchronously, as the network would.
      const copy = message.slice();
      setImmediate(() => this.deliver(this.self, copy));
      return;
    }
    const link = this.links.get(to);
    if (link === undefined) return void this.drop('unknown-peer');
    // the largest message that fits a frame in either form (a batch adds its length prefix)
    if (message.byteLength + prefixBytes(message.byteLength) > this.maxMessageBytes)
      return void this.drop('too-large');
    if (link.open && link.socket !== undefined) {
      if (link.socket.bufferedAmount + link.outboxBytes > this.highWaterBytes)
        return void this.drop('back-pressure');
      if (!link.batched) {
        link.socket.send(message, { binary: true });
        return;
      }
      link.outbox.push(message);
      link.outboxBytes += message.byteLength;
      this.pending.add(link);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
      return;
    }
    this.enqueue(link, message.slice());
  }

  /** Keeps a message for a peer that is not connected (bounded: the oldest go first). */
  private enqueue(link: PeerLink, message: Uint8Array): void {
    link.queue.push(message);
    link.queuedBytes += message.byteLength;
    while (link.queuedBytes > this.maxQueuedBytes && link.queue.length > 0) {
      const old = link.queue.shift();
      link.queuedBytes -= old?.byteLength ?? 0;
      this.drop('queue-full');
    }
  }

  /** End of a turn: every outbox leaves as batch frames (or waits in the queue if its link closed). */
  private flush(): void {
    this.flushScheduled = false;
    for (const link of this.pending) {
      const messages = link.outbox;
      link.outbox = [];
      link.outboxBytes = 0;
      if (link.open && link.socket !== undefined && link.batched) this.sendBatches(link.socket, messages);
      else for (const m of messages) this.enqueue(link, m);
    }
    this.pending.clear();
  }

  /** `messages` as batch frames of at most maxMessageBytes each, in order. */
  private sendBatches(socket: WebSocket, messages: readonly Uint8Array[]): void {
    let start = 0;
    let size = 0;
    for (let i = 0; i < messages.length; i++) {
      const framed = messages[i]!.byteLength + prefixBytes(messages[i]!.byteLength);
      if (i > start && size + framed > this.maxMessageBytes) {
        socket.send(encodeBatch(messages.slice(start, i)), { binary: true });
        start = i;
        size = 0;
      }
      size += framed;
    }
    if (start < messages.length) socket.send(encodeBatch(messages.slice(start)), { binary: true });
  }

  /** Peers with an open outbound connection. */
  connectedPeers(): NodeId[] {
    return [...this.links.values()].filter((l) => l.open).map((l) => l.id);
  }

  /**
   * Adopts an authenticated inbound connection from `peer` (called by the upgrade handler);
   * `batched`: the handler accepted batch frames for it, so every frame holds a batch.
   */
  acceptInbound(peer: NodeId, socket: WebSocket, batched = false): void {
    if (this.closed) {
      socket.close(1001, 'shutting down');
      return;
    }
    this.inbound.add(socket);
    socket.on('message', (data, isBinary) => {
      if (!isBinary) return;
      if (!batched) {
        this.deliver(peer, toBytes(data));
        return;
      }
      const { messages, malformed } = decodeBatch(toBytes(data));
      for (const m of messages) this.deliver(peer, m);
      if (malformed) this.drop('malformed-frame');
    });
    socket.on('close', () => this.inbound.delete(socket));
    socket.on('error', () => socket.terminate());
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing: Promise<void>[] = [];
    this.pending.clear();
    for (const link of this.links.values()) {
      if (link.timer !== undefined) clearTimeout(link.timer);
      link.queue = [];
      link.outbox = [];
      link.outboxBytes = 0;
      if (link.socket !== undefined) closing.push(closeSocket(link.socket));
    }
    for (const s of this.inbound) closing.push(closeSocket(s));
    await Promise.all(closing);
  }

  private deliver(from: NodeId, message: Uint8Array): void {
    if (this.handler === undefined) {
      this.dropped++;
      return;
    }
    try {
      this.handler(from, message);
    } catch {
      // The core validates what it decodes; a throwing handler must not kill the socket loop.
      this.dropped++;
    }
  }

  private drop(reason: Parameters<NonNullable<WsTransportOptions['onDrop']>>[0]): void {
    this.options.onDrop?.(reason);
  }

  private dial(link: PeerLink): void {
    // A link replaced by setPeer stops redialling its old address.
    if (this.closed || this.links.get(link.id) !== link) return;
    const url = `${link.url.replace(/^http/, 'ws')}/v1/cluster`;
    const socket = new WebSocket(url, {
      headers: {
        [CLUSTER_NODE_HEADER]: this.self,
        [CLUSTER_PROOF_HEADER]: clusterProof(this.options.secret, this.self),
        [FRAMES_HEADER]: BATCH_FRAMES,
        ...(this.advertisedUrl === undefined ? {} : { [CLUSTER_URL_HEADER]: this.advertisedUrl }),
      },
      maxPayload: this.maxMessageBytes,
      perMessageDeflate: false,
      handshakeTimeout: 5000,
    });
    link.socket = socket;
    link.batched = false;
    socket.on('upgrade', (res) => {
      link.batched = res.headers[FRAMES_HEADER] === BATCH_FRAMES;
    });
    socket.on('open', () => {
      link.open = true;
      link.attempt = 0;
      this.options.onPeerState?.(link.id, true);
      const queued = link.queue;
      link.queue = [];
      link.queuedBytes = 0;
      if (link.batched) this.sendBatches(socket, queued);
      else for (const m of queued) socket.send(m, { binary: true });
    });
    // Peers may also answer on our outbound socket (not required by the protocol, accepted).
    socket.on('message', (data, isBinary) => {
      if (isBinary) this.deliver(link.id, toBytes(data));
    });
    socket.on('error', () => {
      /* 'close' follows and schedules the reconnect */
    });
    socket.on('close', () => {
      const wasOpen = link.open;
      link.open = false;
      link.socket = undefined;
      if (wasOpen) this.options.onPeerState?.(link.id, false);
      if (this.closed) return;
      const cap = Math.min(5000, 50 * 2 ** Math.min(link.attempt, 10));
      link.attempt++;
      link.timer = setTimeout(() => this.dial(link), Math.random() * cap);
      link.timer.unref();
    });
  }
}

function toBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.terminate();
      resolve();
    }, 1000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
    else socket.close(1001, 'shutting down');
  });
}
