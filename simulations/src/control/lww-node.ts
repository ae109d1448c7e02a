import type { NodeId } from '@cartwheel/crdt';
import type {
  NodeEnv,
  QuorumOptions,
  ReadOutcome,
  SimCartOp,
  StoreNode,
  WriteOutcome,
} from '../stores/store.js';
import {
  applyLww,
  decodeLww,
  EMPTY_LWW_CART,
  encodeLww,
  type LwwCart,
  newer,
  peekVersion,
  toObservedLines,
  winner,
} from './lww-cart.js';
import { decodeLwwMessage, encodeLwwMessage, type LwwMessage as Message } from './lww-wire.js';

const NS = 'lww';
/** What a replica without the key stores on read repair: the empty cart, as the original did. */
const EMPTY_BYTES = encodeLww(EMPTY_LWW_CART);

/** FNV-1a; placement only. */
function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The N replicas of a key: consecutive members from the key's hash, as on a one-vnode ring. */
export function lwwPreferenceList(key: string, members: readonly NodeId[], n: number): NodeId[] {
  const start = hash(key) % members.length;
  return Array.from(
    { length: Math.min(n, members.length) },
    (_, i) => members[(start + i) % members.length] as NodeId,
  );
}

/**
 * The negative control: a Dynamo-style store of whole carts with last-writer-wins by the
 * coordinator's wall clock (Riak with `last_write_wins=true`, which Jepsen showed loses
 * acknowledged writes). Quorum read, modify, quorum write; read repair; push anti-entropy.
 * Deliberately simple and deliberately wrong; it runs on the same simulated network, clocks,
 * disks and faults as Cartwheel.
 */
export class LwwNode implements StoreNode {
  private nextId = 1;
  private readonly waiting = new Map<number, (from: NodeId, m: Message) => void>();

  constructor(
    private readonly env: NodeEnv,
    private readonly n: number,
    private readonly nextWriteId: () => string,
    private readonly aeIntervalMs = 1_000,
  ) {
    env.transport.onMessage((from, bytes) => this.receive(from, bytes));
  }

  async start(): Promise<void> {
    this.scheduleAntiEntropy();
  }

  async update(cart: string, op: SimCartOp, q: QuorumOptions): Promise<WriteOutcome> {
    const base = await this.quorumRead(cart, q);
    const writeId = this.nextWriteId();
    const { cart: value, observed } = applyLww(
      winner(base.values),
      op,
      writeId,
      this.env.clock.now(),
      this.env.id,
    );
    const replicas = lwwPreferenceList(cart, this.env.members, this.n);
    const id = this.nextId++;
    await this.gather(id, replicas, { t: 'put', id, key: cart, value: encodeLww(value) }, q.w, q.timeoutMs);
    return { writeId, observed, causal: undefined };
  }

  /** The coordinator is the node itself: an error comes back after it read (or gave up). */
  settledBy(_error: unknown): boolean {
    return true;
  }

  async read(cart: string, q: QuorumOptions): Promise<ReadOutcome> {
    const { values } = await this.quorumRead(cart, q);
    const best = winner(values);
    const seen = new Set(best.seen);
    const distinct = new Set(values.map((v) => `${v.ts}|${v.writer}`));
    return { lines: toObservedLines(best), seen: (w) => seen.has(w), versions: distinct.size };
  }

  /** Used by devices: store a whole cart value they built offline. */
  async write(cart: string, value: LwwCart, q: QuorumOptions): Promise<void> {
    const replicas = lwwPreferenceList(cart, this.env.members, this.n);
    const id = this.nextId++;
    await this.gather(id, replicas, { t: 'put', id, key: cart, value: encodeLww(value) }, q.w, q.timeoutMs);
  }

  async readValue(cart: string, q: QuorumOptions): Promise<LwwCart> {
    return winner((await this.quorumRead(cart, q)).values);
  }

  private async quorumRead(cart: string, q: QuorumOptions): Promise<{ values: LwwCart[] }> {
    const replicas = lwwPreferenceList(cart, this.env.members, this.n);
    const id = this.nextId++;
    const replies = await this.gather(id, replicas, { t: 'get', id, key: cart }, q.r, q.timeoutMs);
    const values: LwwCart[] = [];
    let best = EMPTY_LWW_CART;
    let bestBytes = EMPTY_BYTES;
    for (const { reply } of replies) {
      const bytes = reply.t === 'got' ? reply.value : null;
      const value = bytes === null ? EMPTY_LWW_CART : decodeLww(bytes);
      values.push(value);
      if (bytes !== null && newer(value, best)) {
        best = value;
        bestBytes = bytes;
      }
    }
    // Read repair of the replicas that answered with an older value.
    for (const { from, reply } of replies)
      if (
        reply.t === 'got' &&
        (reply.value === null || newer(best, { ...EMPTY_LWW_CART, ...peekVersion(reply.value) }))
      )
        this.send(from, { t: 'ae', key: cart, value: bestBytes });
    return { values };
  }

  /** Sends to every replica, resolves with the first `need` replies. */
  private gather(
    id: number,
    replicas: readonly NodeId[],
    m: Message,
    need: number,
    timeoutMs: number,
  ): Promise<Array<{ from: NodeId; reply: Message }>> {
    return new Promise((resolve, reject) => {
      const replies: Array<{ from: NodeId; reply: Message }> = [];
      const timer = this.env.clock.setTimeout(timeoutMs, () => {
        this.waiting.delete(id);
        reject(new Error(`QUORUM_NOT_MET: ${replies.length}/${need}`));
      });
      this.waiting.set(id, (sender, reply) => {
        if (replies.some((r) => r.from === sender)) return;
        replies.push({ from: sender, reply });
        if (replies.length >= need) {
          this.waiting.delete(id);
          timer.cancel();
          resolve(replies);
        }
      });
      for (const r of replicas) this.send(r, m);
    });
  }

  private send(to: NodeId, m: Message): void {
    if (to === this.env.id) {
      // Local replica: handle in a later microtask like a loopback message.
      void Promise.resolve().then(() => this.handle(this.env.id, m));
      return;
    }
    this.env.transport.send(to, encodeLwwMessage(m));
  }

  private receive(from: NodeId, bytes: Uint8Array): void {
    const m = decodeLwwMessage(bytes);
    if (m !== undefined) void this.handle(from, m);
  }

  private async handle(from: NodeId, m: Message): Promise<void> {
    switch (m.t) {
      case 'get': {
        const bytes = await this.env.storage.get(NS, 0, m.key);
        this.send(from, { t: 'got', id: m.id, value: bytes ?? null });
        break;
      }
      case 'put':
        await this.store(m.key, m.value);
        this.send(from, { t: 'ack', id: m.id });
        break;
      case 'ae':
        await this.store(m.key, m.value);
        break;
      case 'ae-digest': {
        const bytes = await this.env.storage.get(NS, 0, m.key);
        const mine = bytes === undefined ? EMPTY_LWW_CART : { ...EMPTY_LWW_CART, ...peekVersion(bytes) };
        const theirs = { ...EMPTY_LWW_CART, ts: m.ts, writer: m.writer };
        if (bytes !== undefined && newer(mine, theirs))
          this.send(from, { t: 'ae', key: m.key, value: bytes });
        else if (newer(theirs, mine))
          this.send(from, { t: 'ae-digest', key: m.key, ts: mine.ts, writer: mine.writer });
        break;
      }
      default:
        this.waiting.get(m.id)?.(from, m);
    }
  }

  /** Keeps the newer of the stored and the offered value; bytes are stored as they came. */
  private async store(key: string, value: Uint8Array): Promise<void> {
    const bytes = await this.env.storage.get(NS, 0, key);
    const offered = { ...EMPTY_LWW_CART, ...peekVersion(value) };
    if (bytes !== undefined && !newer(offered, { ...EMPTY_LWW_CART, ...peekVersion(bytes) })) return;
    await this.env.storage.put(NS, 0, key, value);
  }

  /** Every node offers each value it holds to the key's other replicas; newest wins. */
  private scheduleAntiEntropy(): void {
    this.env.clock.setTimeout(this.aeIntervalMs, () => {
      void this.antiEntropy().finally(() => this.scheduleAntiEntropy());
    });
  }

  private async antiEntropy(): Promise<void> {
    for await (const [key, bytes] of this.env.storage.entries(NS, 0))
      for (const r of lwwPreferenceList(key, this.env.members, this.n))
        if (r !== this.env.id) this.send(r, { t: 'ae', key, value: bytes });
  }
}
