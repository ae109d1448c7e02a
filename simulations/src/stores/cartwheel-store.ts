import {
  Cart,
  type CartOp,
  type CartState,
  cartType,
  type NodeId,
  QuorumError,
  ReplicaNode,
  type ReplicationConfigInput,
  Ring,
} from '@cartwheel/crdt';
import { type CoreTimers, SIM_CORE_TIMERS } from '../run/config.js';
import type { SimDisk } from '../sim/storage.js';
import { deviceMint, mintOf, observedLines, readOutcome, writeOutcome } from './cartwheel-outcome.js';
import { sameBytes } from './same-bytes.js';
import type {
  CartInspection,
  DeviceReplica,
  NodeEnv,
  QuorumOptions,
  ReadOutcome,
  ReplicaSnapshot,
  SimCartOp,
  SimStore,
  StoreNode,
  WriteOutcome,
} from './store.js';

/** Where the core keeps replicas (vnode.ts): namespace `data`, partition = vnode index. */
const DATA_NS = 'data';

/** The core's configuration for a simulated run (quorum sizes come per request). */
export function simReplicationConfig(t: CoreTimers): ReplicationConfigInput {
  return {
    heartbeatIntervalMs: t.heartbeatMs,
    failureTimeoutMs: t.failureTimeoutMs,
    handoffIntervalMs: t.handoffMs,
    aae: { intervalMs: t.aaeMs, maxKeysPerExchange: 256 },
    ringSize: t.ringSize,
  };
}

/** The real ReplicaNode, unchanged, behind the simulator's StoreNode interface. */
export class CartwheelNode implements StoreNode {
  readonly replica: ReplicaNode<CartState, CartOp>;

  constructor(env: NodeEnv, config: ReplicationConfigInput) {
    this.replica = new ReplicaNode<CartState, CartOp>({
      id: env.id,
      type: cartType,
      transport: env.transport,
      clock: env.clock,
      random: env.random,
      storage: env.storage,
      members: [...env.members],
      config,
    });
  }

  start(): Promise<void> {
    return this.replica.start();
  }

  async update(cart: string, op: SimCartOp, q: QuorumOptions): Promise<WriteOutcome> {
    const { delta } = await this.replica.update(cart, op, { w: q.w, pw: q.pw, timeoutMs: q.timeoutMs });
    return writeOutcome(delta, op, mintOf(delta));
  }

  /**
   * A quorum error from the coordinator means it already applied the op to its state; only a
   * forwarded request that timed out (kind "coordinator") may still be applied later.
   */
  settledBy(error: unknown): boolean {
    return error instanceof QuorumError && error.kind !== 'coordinator';
  }

  async read(cart: string, q: QuorumOptions): Promise<ReadOutcome> {
    const { state, versions } = await this.replica.get(cart, { r: q.r, pr: q.pr, timeoutMs: q.timeoutMs });
    return readOutcome(state, versions);
  }
}

/**
 * A phone with its own actor id: a real `Cart` replica; sync pulls the cluster's state (get),
 * joins it, and pushes exactly what the cluster lacks (`deltaSince`) with `mergeDelta`.
 */
class CartwheelDevice implements DeviceReplica<CartwheelNode> {
  private readonly local: Cart;

  constructor(
    readonly actor: string,
    private readonly cart: string,
    wallClock: () => number,
  ) {
    this.local = Cart.create({ actor, clock: wallClock });
  }

  apply(op: SimCartOp): WriteOutcome {
    const delta = this.local.apply(op);
    return writeOutcome(delta, op, deviceMint(this.local.context(), this.actor));
  }

  async sync(node: CartwheelNode, q: QuorumOptions): Promise<void> {
    const { state } = await node.replica.get(this.cart, { r: q.r, pr: q.pr, timeoutMs: q.timeoutMs });
    this.local.applyDelta(state);
    const delta = this.local.deltaSince(state.context());
    if (delta.context().isEmpty()) return;
    await node.replica.mergeDelta(this.cart, delta, { w: q.w, pw: q.pw, timeoutMs: q.timeoutMs });
  }
}

function digest(bytes: Uint8Array): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    h1 = Math.imul(h1 ^ b, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ b, 0x5bd1e995) >>> 0;
  }
  return `${bytes.length}:${h1.toString(16)}${h2.toString(16)}`;
}

export class CartwheelStore implements SimStore<CartwheelNode> {
  readonly name = 'cartwheel';
  private ring: Ring | undefined;

  constructor(
    private readonly n: number,
    private readonly config: ReplicationConfigInput = simReplicationConfig(SIM_CORE_TIMERS),
  ) {}

  createNode(env: NodeEnv): CartwheelNode {
    return new CartwheelNode(env, { ...this.config, n: this.n, r: 1, w: 1 });
  }

  createDevice(cart: string, actor: string, wallClock: () => number): CartwheelDevice {
    return new CartwheelDevice(actor, cart, wallClock);
  }

  converged(cart: string, disks: ReadonlyMap<NodeId, SimDisk>): boolean {
    const primaries = this.primaries(cart, disks);
    let first: Uint8Array | undefined;
    for (const e of primaries) {
      const bytes = disks.get(e.node)?.read(DATA_NS, e.partition, cart);
      if (bytes === undefined) {
        if (first !== undefined) return false;
        continue;
      }
      if (first === undefined) {
        if (e !== primaries[0]) return false;
        first = bytes;
      } else if (!sameBytes(first, bytes)) return this.agree(cart, disks);
    }
    for (const [node, disk] of disks)
      for (const [partition, bytes] of disk.copies(DATA_NS, cart))
        if (
          !primaries.some((e) => e.node === node && e.partition === partition) &&
          (first === undefined || !sameBytes(first, bytes))
        )
          return this.agree(cart, disks);
    return true;
  }

  private agree(cart: string, disks: ReadonlyMap<NodeId, SimDisk>): boolean {
    return new Set(this.inspect(cart, disks).replicas.map((r) => r.digest)).size <= 1;
  }

  private primaries(cart: string, disks: ReadonlyMap<NodeId, SimDisk>) {
    this.ring ??= Ring.initial([...disks.keys()], this.config.ringSize ?? 64, this.n);
    return this.ring.preferenceList(cart, this.n, () => true);
  }

  /**
   * Reads every copy of `cart` straight off the disks. The primaries of the (static) ring must
   * hold equal states, and any copy elsewhere — a fallback's hinted data not yet handed off —
   * must already be included in them; otherwise the cart has not converged.
   */
  inspect(cart: string, disks: ReadonlyMap<NodeId, SimDisk>): CartInspection {
    const primaries = this.primaries(cart, disks);
    const primaryAt = new Set(primaries.map((e) => `${e.node}/${e.partition}`));
    let joined = cartType.empty();
    const replicas: ReplicaSnapshot[] = primaries.map((e) => {
      const bytes = disks.get(e.node)?.read(DATA_NS, e.partition, cart);
      if (bytes === undefined) return { node: `${e.node}/${e.partition}`, digest: 'missing' };
      joined = cartType.join(joined, cartType.decode(bytes));
      return { node: `${e.node}/${e.partition}`, digest: digest(bytes) };
    });
    for (const [node, disk] of disks)
      for (const [partition, bytes] of disk.copies(DATA_NS, cart)) {
        if (primaryAt.has(`${node}/${partition}`)) continue;
        const withCopy = cartType.join(joined, cartType.decode(bytes));
        if (!cartType.equals(withCopy, joined))
          replicas.push({ node: `${node}/${partition} (fallback)`, digest: `unhanded:${digest(bytes)}` });
      }
    return { replicas, lines: observedLines(joined) };
  }
}
