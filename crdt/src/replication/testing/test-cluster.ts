/**
 * A whole cluster in one process on virtual time, for tests: one MemoryNetwork, one
 * ManualClock, one MemoryStorage per node that survives crashes. A crash drops the ReplicaNode
 * object (its timers, transport endpoint and pending storage calls go silent); a restart builds
 * a new ReplicaNode on the same storage and starts it.
 */
import type { ReplicationConfigInput } from '../config.js';
import type { NodeId, ReplicatedType } from '../interfaces.js';
import { ReplicaNode } from '../node/replica-node.js';
import { type ClockScope, ManualClock } from './manual-clock.js';
import { CrashableStorage, MemoryStorage } from './memory-storage.js';
import { MemoryNetwork, type MemoryNetworkOptions } from './memory-transport.js';
import { SeededRandom } from './seeded-random.js';

export interface TestClusterOptions<S, Op> {
  readonly type: ReplicatedType<S, Op>;
  readonly nodes: readonly NodeId[];
  /** Initial members (default: all nodes). */
  readonly members?: readonly NodeId[];
  readonly seed?: number;
  readonly config?: ReplicationConfigInput;
  readonly network?: Omit<MemoryNetworkOptions, 'random' | 'clock'>;
  readonly onChange?: (node: NodeId, key: string, state: S, delta: S) => void;
  /** Passed to each node's `onRequest` (client request observer). */
  readonly onRequest?: (node: NodeId, kind: 'get' | 'put', settled: Promise<unknown>) => void;
}

interface Incarnation<S, Op> {
  readonly node: ReplicaNode<S, Op>;
  readonly clock: ClockScope;
  readonly storage: CrashableStorage;
}

export class TestCluster<S, Op> {
  readonly clock = new ManualClock();
  readonly random: SeededRandom;
  readonly network: MemoryNetwork;
  readonly storages = new Map<NodeId, MemoryStorage>();
  private readonly live = new Map<NodeId, Incarnation<S, Op>>();

  constructor(private readonly options: TestClusterOptions<S, Op>) {
    this.random = new SeededRandom(options.seed ?? 1);
    this.network = new MemoryNetwork({
      ...(options.network ?? {}),
      random: this.random.fork(),
      clock: this.clock,
    });
  }

  /** Starts every node. */
  async start(): Promise<this> {
    for (const id of this.options.nodes) await this.startNode(id);
    return this;
  }

  async startNode(id: NodeId, members?: readonly NodeId[]): Promise<ReplicaNode<S, Op>> {
    if (this.live.has(id)) throw new TypeError(`${id} is running`);
    let storage = this.storages.get(id);
    if (storage === undefined) {
      storage = new MemoryStorage();
      this.storages.set(id, storage);
    }
    const clock = this.clock.scope();
    const crashable = new CrashableStorage(storage);
    const hook = this.options.onChange;
    const node = new ReplicaNode<S, Op>({
      id,
      type: this.options.type,
      transport: this.network.transport(id),
      clock,
      random: this.random.fork(),
      storage: crashable,
      members: members ?? this.options.members ?? this.options.nodes,
      config: this.options.config,
      onChange: hook === undefined ? undefined : (key, state, delta) => hook(id, key, state, delta),
      onRequest:
        this.options.onRequest === undefined
          ? undefined
          : (kind, settled) => this.options.onRequest?.(id, kind, settled),
    });
    await node.start();
    this.live.set(id, { node, clock, storage: crashable });
    return node;
  }

  node(id: NodeId): ReplicaNode<S, Op> {
    const i = this.live.get(id);
    if (i === undefined) throw new TypeError(`${id} is not running`);
    return i.node;
  }

  get running(): NodeId[] {
    return [...this.live.keys()].sort();
  }

  /** Kills a node: memory lost, storage kept. */
  crash(id: NodeId): void {
    const i = this.live.get(id);
    if (i === undefined) return;
    i.clock.kill();
    i.storage.kill();
    this.network.kill(id);
    this.live.delete(id);
  }

  /** Kills a node and wipes its storage (a lost disk). */
  wipe(id: NodeId): void {
    this.crash(id);
    this.storages.set(id, new MemoryStorage());
  }

  async restart(id: NodeId): Promise<ReplicaNode<S, Op>> {
    this.crash(id);
    return this.startNode(id);
  }

  /** Advances virtual time. */
  advance(ms: number): Promise<void> {
    return this.clock.advance(ms);
  }

  /** Runs `fn` while advancing virtual time until its promise settles. */
  async run<T>(fn: () => Promise<T>, maxMs = 600_000, stepMs = 10): Promise<T> {
    let settled = false;
    const p = fn().finally(() => {
      settled = true;
    });
    p.catch(() => {});
    await this.clock.until(() => settled, maxMs, stepMs);
    return p;
  }

  /** Every stored replica (node, vnode partition, state) of `key` on running nodes. */
  async replicas(key: string): Promise<{ node: NodeId; partition: number; state: S }[]> {
    const out: { node: NodeId; partition: number; state: S }[] = [];
    for (const [id, { node }] of this.live) {
      for (const q of node.localPartitions()) {
        if (!node.localKeys(q).includes(key)) continue;
        const s = await node.localState(q, key);
        if (s !== undefined) out.push({ node: id, partition: q, state: s });
      }
    }
    return out;
  }

  /** Stops every running node. */
  async stop(): Promise<void> {
    for (const { node } of this.live.values()) await node.stop();
    this.live.clear();
  }
}
