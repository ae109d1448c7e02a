import type { NodeId, Transport } from '@cartwheel/crdt';
import type { SimHost } from './host.js';
import type { Simulator } from './simulator.js';

/** One-way latency: a floor plus a log-normal body (LAN-like by default) and a rare slow tail. */
export interface LatencyModel {
  readonly minMs: number;
  readonly medianMs: number;
  readonly sigma: number;
  readonly tailProbability: number;
  readonly tailMs: number;
}

export const DEFAULT_LATENCY: LatencyModel = {
  minMs: 0.2,
  medianMs: 1,
  sigma: 0.8,
  tailProbability: 0.01,
  tailMs: 50,
};

/** Message faults currently applied to every link; nemeses change them. */
export interface LinkFaults {
  loss: number;
  duplicate: number;
  /** Probability that a message is held back by up to `reorderMs`, overtaking later ones. */
  reorder: number;
  reorderMs: number;
}

export interface NetworkStats {
  sent: number;
  bytes: number;
  delivered: number;
  dropped: number;
  duplicated: number;
}

/**
 * The simulated network: addressed datagrams with latency, loss, duplication, reordering and
 * partitions (a set of cut directed links, so asymmetric partitions come for free). Delivery
 * happens as a simulator event into the destination host, which drops it if the process is down
 * and holds it while the process is paused.
 */
export class SimNetwork {
  private readonly hosts = new Map<NodeId, SimHost>();
  private readonly handlers = new Map<
    NodeId,
    { incarnation: number; fn: (from: NodeId, m: Uint8Array) => void }
  >();
  /** Cut links as "from>to". */
  private readonly cut = new Set<string>();
  readonly faults: LinkFaults = { loss: 0, duplicate: 0, reorder: 0, reorderMs: 0 };
  readonly stats: NetworkStats = { sent: 0, bytes: 0, delivered: 0, dropped: 0, duplicated: 0 };

  constructor(
    private readonly sim: Simulator,
    readonly latency: LatencyModel = DEFAULT_LATENCY,
  ) {}

  addHost(host: SimHost): void {
    this.hosts.set(host.id, host);
  }

  /** The `Transport` of one process incarnation. */
  transport(host: SimHost, incarnation: number): Transport {
    return {
      self: host.id,
      send: (to, message) => {
        if (!host.alive(incarnation) || host.state === 'paused') return;
        if (!(message instanceof Uint8Array)) throw new TypeError('message must be bytes');
        this.send(host.id, to, message);
      },
      onMessage: (fn) => {
        this.handlers.set(host.id, { incarnation, fn });
      },
    };
  }

  /** Replaces all partitions with the given cut directed links. */
  setCut(links: Iterable<readonly [NodeId, NodeId]>): void {
    this.cut.clear();
    for (const [a, b] of links) this.cut.add(`${a}>${b}`);
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  heal(): void {
    this.cut.clear();
    this.faults.loss = 0;
    this.faults.duplicate = 0;
    this.faults.reorder = 0;
    this.faults.reorderMs = 0;
  }

  private send(from: NodeId, to: NodeId, message: Uint8Array): void {
    const rng = this.sim.rng;
    this.stats.sent++;
    this.stats.bytes += message.byteLength;
    if (!this.hosts.has(to) || this.isCut(from, to) || (this.faults.loss > 0 && rng.bool(this.faults.loss))) {
      this.stats.dropped++;
      return;
    }
    const bytes = message.slice();
    this.deliverLater(from, to, bytes);
    if (this.faults.duplicate > 0 && rng.bool(this.faults.duplicate)) {
      this.stats.duplicated++;
      this.deliverLater(from, to, bytes.slice());
    }
  }

  private deliverLater(from: NodeId, to: NodeId, bytes: Uint8Array): void {
    const rng = this.sim.rng;
    const l = this.latency;
    let delay = l.minMs + l.medianMs * Math.exp(l.sigma * gaussian(rng.next(), rng.next()));
    if (rng.bool(l.tailProbability)) delay += rng.next() * l.tailMs;
    if (this.faults.reorder > 0 && rng.bool(this.faults.reorder)) delay += rng.next() * this.faults.reorderMs;
    this.sim.schedule(delay, () => {
      const host = this.hosts.get(to);
      const handler = this.handlers.get(to);
      // A partition that started while the message was in flight still cuts it.
      if (host === undefined || handler === undefined || this.isCut(from, to)) {
        this.stats.dropped++;
        return;
      }
      host.run(handler.incarnation, () => {
        this.stats.delivered++;
        handler.fn(from, bytes);
      });
    });
  }
}

function gaussian(u1: number, u2: number): number {
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}
