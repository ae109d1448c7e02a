import type { NodeId } from '@cartwheel/crdt';
import type { SimDisk } from '../sim/storage.js';
import { sameBytes } from '../stores/same-bytes.js';
import type {
  CartInspection,
  DeviceReplica,
  NodeEnv,
  QuorumOptions,
  SimCartOp,
  SimStore,
  WriteOutcome,
} from '../stores/store.js';
import {
  applyLww,
  decodeLww,
  digestLww,
  EMPTY_LWW_CART,
  type LwwCart,
  newer,
  toObservedLines,
  winner,
} from './lww-cart.js';
import { LwwNode, lwwPreferenceList } from './lww-node.js';

/**
 * An offline device of the control: edits its own copy of the whole cart, then on sync writes
 * it back if it changed — whoever's clock is later wins the whole cart.
 */
class LwwDevice implements DeviceReplica<LwwNode> {
  private local: LwwCart = EMPTY_LWW_CART;
  private dirty = false;
  private counter = 0;

  constructor(
    readonly actor: string,
    private readonly cart: string,
    private readonly wallClock: () => number,
  ) {}

  apply(op: SimCartOp): WriteOutcome {
    const writeId = `${this.actor}:${++this.counter}`;
    const { cart, observed } = applyLww(this.local, op, writeId, this.wallClock(), this.actor);
    this.local = cart;
    this.dirty = true;
    return { writeId, observed, causal: undefined };
  }

  async sync(node: LwwNode, q: QuorumOptions): Promise<void> {
    const remote = await node.readValue(this.cart, q);
    if (this.dirty) {
      const pushed = this.counter;
      const mine = this.local;
      await node.write(this.cart, mine, q);
      // Only forget local edits that were part of what we wrote.
      if (this.counter === pushed) {
        this.dirty = false;
        this.local = newer(mine, remote) ? mine : remote;
      }
    } else if (newer(remote, this.local)) this.local = remote;
  }
}

export class LwwStore implements SimStore<LwwNode> {
  readonly name = 'lww-control';
  private writes = 0;

  constructor(private readonly n: number) {}

  createNode(env: NodeEnv): LwwNode {
    return new LwwNode(env, this.n, () => `lww-${++this.writes}`);
  }

  createDevice(cart: string, actor: string, wallClock: () => number): LwwDevice {
    return new LwwDevice(actor, cart, wallClock);
  }

  converged(cart: string, disks: ReadonlyMap<NodeId, SimDisk>): boolean {
    // Equal bytes on every replica have equal digests; anything else is decided by the digests.
    const replicas = lwwPreferenceList(cart, [...disks.keys()], this.n);
    const first = disks.get(replicas[0] as NodeId)?.read('lww', 0, cart);
    if (
      first !== undefined &&
      replicas.every((node) => sameBytes(disks.get(node)?.read('lww', 0, cart), first))
    )
      return true;
    return new Set(this.inspect(cart, disks).replicas.map((r) => r.digest)).size <= 1;
  }

  inspect(cart: string, disks: ReadonlyMap<NodeId, SimDisk>): CartInspection {
    const members = [...disks.keys()];
    const values: LwwCart[] = [];
    const replicas = lwwPreferenceList(cart, members, this.n).map((node) => {
      const bytes = disks.get(node)?.read('lww', 0, cart);
      const value = bytes === undefined ? undefined : decodeLww(bytes);
      if (value !== undefined) values.push(value);
      return { node, digest: value === undefined ? 'missing' : digestLww(value) };
    });
    return { replicas, lines: toObservedLines(winner(values)) };
  }
}
