import type { NodeId } from '@cartwheel/crdt';
import type { Fault } from '../nemesis/nemesis.js';
import { createSimClock } from '../sim/clock.js';
import { SimHost } from '../sim/host.js';
import { type LatencyModel, SimNetwork } from '../sim/network.js';
import type { Simulator } from '../sim/simulator.js';
import type { SimDisk } from '../sim/storage.js';
import type { SimStore, StoreNode } from '../stores/store.js';

interface Member<N> {
  readonly host: SimHost;
  node: N | undefined;
  /** The incarnation whose `start()` resolved; requests before that are refused. */
  ready: number;
}

/**
 * The simulated machines of one run and the processes on them. Crash drops the process object
 * (its memory) and keeps the disk; restart builds a new process on the same disk and starts it,
 * exactly as a supervisor restarting a node would.
 */
export class SimCluster<N extends StoreNode> {
  readonly network: SimNetwork;
  readonly ids: readonly NodeId[];
  private readonly members = new Map<NodeId, Member<N>>();
  readonly disks = new Map<NodeId, SimDisk>();
  restarts = 0;
  startErrors: string[] = [];

  constructor(
    readonly sim: Simulator,
    readonly store: SimStore<N>,
    nodes: number,
    latency: LatencyModel | undefined,
    readonly loseUnsynced: boolean,
  ) {
    this.network = new SimNetwork(sim, latency);
    this.ids = Array.from({ length: nodes }, (_, i) => `n${i + 1}`);
    for (const id of this.ids) {
      const host = new SimHost(id, sim);
      this.network.addHost(host);
      this.members.set(id, { host, node: undefined, ready: -1 });
      this.disks.set(id, host.disk);
    }
  }

  host(id: NodeId): SimHost {
    const m = this.members.get(id);
    if (m === undefined) throw new TypeError(`unknown node ${id}`);
    return m.host;
  }

  /** Boots a new process on `id` (after a crash, or at the start). */
  boot(id: NodeId): void {
    const m = this.members.get(id);
    if (m === undefined || m.host.state !== 'down') return;
    const host = m.host;
    const incarnation = host.boot();
    const rng = this.sim.rng;
    const node = this.store.createNode({
      id,
      transport: this.network.transport(host, incarnation),
      clock: createSimClock(host, incarnation),
      random: { next: () => rng.next() },
      storage: host.disk.open(incarnation),
      members: this.ids,
    });
    m.node = node;
    node.start().then(
      () => {
        if (host.incarnation === incarnation) m.ready = incarnation;
      },
      (err: unknown) => {
        this.startErrors.push(`${id}: start failed: ${String(err)}`);
      },
    );
  }

  crash(id: NodeId): void {
    const m = this.members.get(id);
    if (m === undefined || m.host.state === 'down') return;
    m.host.crash(this.loseUnsynced);
    m.node = undefined;
    m.ready = -1;
  }

  restart(id: NodeId): void {
    this.restarts++;
    this.boot(id);
  }

  /**
   * Calls into the process on `id` as a client connection would: refused (undefined) when the
   * process is down or still starting; held while it is paused.
   */
  call<T>(id: NodeId, fn: (node: N) => Promise<T>): Promise<T> | undefined {
    const m = this.members.get(id);
    if (m === undefined || m.node === undefined || m.host.state === 'down') return undefined;
    if (m.ready !== m.host.incarnation) return undefined;
    const node = m.node;
    const incarnation = m.host.incarnation;
    return new Promise<T>((resolve, reject) => {
      m.host.run(incarnation, () => {
        fn(node).then(resolve, reject);
      });
    });
  }

  isReady(id: NodeId): boolean {
    const m = this.members.get(id);
    return m !== undefined && m.host.state === 'up' && m.ready === m.host.incarnation;
  }

  /** Applies the composition of the currently active faults (called at every window edge). */
  applyFaults(active: readonly Fault[]): void {
    const cut: Array<readonly [NodeId, NodeId]> = [];
    let loss = 0;
    let duplicate = 0;
    let reorder = 0;
    for (const f of active) {
      if ('partition' in f) cut.push(...f.partition.cut);
      else if (f.nemesis === 'loss') loss = Math.max(loss, f.p);
      else if (f.nemesis === 'duplicate') duplicate = Math.max(duplicate, f.p);
      else if (f.nemesis === 'reorder') reorder = Math.max(reorder, f.p);
    }
    this.network.setCut(cut);
    this.network.faults.loss = loss;
    this.network.faults.duplicate = duplicate;
    this.network.faults.reorder = reorder;
    this.network.faults.reorderMs = reorder > 0 ? 1_000 : 0;
  }

  /** Ends every fault: network healed, dead nodes restarted, paused nodes resumed. */
  healAll(): void {
    this.network.heal();
    for (const id of this.ids) {
      const host = this.host(id);
      if (host.state === 'paused') host.resume();
      if (host.state === 'down') this.restart(id);
    }
  }
}
