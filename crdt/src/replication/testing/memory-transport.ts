/**
 * In-memory network for tests, benchmarks and simulations: addressed delivery between
 * endpoints with controllable delay, loss, duplication, one-way blocks and partitions, all drawn
 * from a seeded Random so a seed replays a run. With no clock (or zero delay) messages are
 * delivered on the microtask queue in send order; with a clock each message gets a random delay
 * in [minDelayMs, maxDelayMs], which reorders messages.
 */
import type { Clock, NodeId, Random, Transport } from '../interfaces.js';

export interface MemoryNetworkOptions {
  readonly random: Random;
  readonly clock?: Clock;
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Probability that a message is dropped. */
  readonly loss?: number;
  /** Probability that a message is delivered twice. */
  readonly duplicate?: number;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  bytes: number;
}

class Endpoint implements Transport {
  handler: ((from: NodeId, message: Uint8Array) => void) | undefined;
  alive = true;
  constructor(
    readonly self: NodeId,
    private readonly net: MemoryNetwork,
  ) {}

  send(to: NodeId, message: Uint8Array): void {
    if (!(message instanceof Uint8Array)) throw new TypeError('message must be a Uint8Array');
    if (this.alive) this.net.route(this.self, to, message);
  }

  onMessage(handler: (from: NodeId, message: Uint8Array) => void): void {
    this.handler = handler;
  }
}

export class MemoryNetwork {
  private readonly endpoints = new Map<NodeId, Endpoint>();
  private readonly blocked = new Set<string>();
  private groups: Map<NodeId, number> | undefined;
  private minDelay: number;
  private maxDelay: number;
  private loss: number;
  private dup: number;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, bytes: 0 };
  private inFlightCount = 0;
  // Zero-delay deliveries wait in one FIFO drained by a single microtask (queueMicrotask per
  // message costs an async resource each in Node).
  private readonly queue: (NodeId | Uint8Array)[] = [];
  private draining = false;

  constructor(private readonly options: MemoryNetworkOptions) {
    this.minDelay = options.minDelayMs ?? 0;
    this.maxDelay = options.maxDelayMs ?? this.minDelay;
    this.loss = options.loss ?? 0;
    this.dup = options.duplicate ?? 0;
  }

  /** A transport for `id`; a newer one for the same id replaces (kills) the old one. */
  transport(id: NodeId): Transport {
    const old = this.endpoints.get(id);
    if (old !== undefined) old.alive = false;
    const e = new Endpoint(id, this);
    this.endpoints.set(id, e);
    return e;
  }

  /** The node's current endpoint stops sending and receiving (a crashed process). */
  kill(id: NodeId): void {
    const e = this.endpoints.get(id);
    if (e !== undefined) e.alive = false;
  }

  setFaults(f: { loss?: number; duplicate?: number; minDelayMs?: number; maxDelayMs?: number }): void {
    if (f.loss !== undefined) this.loss = f.loss;
    if (f.duplicate !== undefined) this.dup = f.duplicate;
    if (f.minDelayMs !== undefined) this.minDelay = f.minDelayMs;
    if (f.maxDelayMs !== undefined) this.maxDelay = f.maxDelayMs;
  }

  /** Splits the network: nodes in different groups cannot reach each other (unlisted nodes: group of their own). */
  partition(groups: readonly (readonly NodeId[])[]): void {
    this.groups = new Map();
    groups.forEach((g, i) => {
      for (const n of g) this.groups!.set(n, i);
    });
  }

  /** Drops messages from `from` to `to` (one way). */
  block(from: NodeId, to: NodeId): void {
    this.blocked.add(`${from}\u0000${to}`);
  }

  /** Removes partitions and blocks. */
  heal(): void {
    this.groups = undefined;
    this.blocked.clear();
  }

  /** Messages sent but not yet delivered or dropped. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  private cut(from: NodeId, to: NodeId): boolean {
    if (this.blocked.has(`${from}\u0000${to}`)) return true;
    if (this.groups === undefined) return false;
    const a = this.groups.get(from) ?? `solo:${from}`;
    const b = this.groups.get(to) ?? `solo:${to}`;
    return a !== b;
  }

  /** @internal */
  route(from: NodeId, to: NodeId, message: Uint8Array): void {
    this.stats.sent++;
    this.stats.bytes += message.length;
    const r = this.options.random;
    if (this.cut(from, to) || (this.loss > 0 && r.next() < this.loss)) {
      this.stats.dropped++;
      return;
    }
    const copies = this.dup > 0 && r.next() < this.dup ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    const clock = this.options.clock;
    for (let i = 0; i < copies; i++) {
      this.inFlightCount++;
      if (clock === undefined || this.maxDelay <= 0) this.enqueue(from, to, message);
      else
        clock.setTimeout(this.minDelay + r.next() * (this.maxDelay - this.minDelay), () =>
          this.deliver(from, to, message),
        );
    }
  }

  private deliver(from: NodeId, to: NodeId, message: Uint8Array): void {
    this.inFlightCount--;
    const e = this.endpoints.get(to);
    if (e === undefined || !e.alive || e.handler === undefined || this.cut(from, to)) {
      this.stats.dropped++;
      return;
    }
    this.stats.delivered++;
    e.handler(from, message);
  }

  private enqueue(from: NodeId, to: NodeId, message: Uint8Array): void {
    // Flat triples instead of a closure per message: the hot path of in-process benchmarks.
    this.queue.push(from, to, message);
    if (this.draining) return;
    this.draining = true;
    void Promise.resolve().then(() => this.drain());
  }

  private drain(): void {
    // Deliver in send order, including messages sent while delivering.
    const q = this.queue;
    for (let i = 0; i < q.length; i += 3) {
      try {
        this.deliver(q[i] as NodeId, q[i + 1] as NodeId, q[i + 2] as Uint8Array);
      } catch {
        // A throwing handler must not stop delivery to the others.
      }
    }
    q.length = 0;
    this.draining = false;
  }
}
