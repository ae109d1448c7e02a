/**
 * ReplicaNode: one node of a Riak-style cluster for one ReplicatedType. It owns the stateful
 * shell around the pure pieces (ring, claim, preference lists, quorum state machines, hash
 * trees): it routes messages, keeps timers and persists what must survive a restart. Everything
 * that touches the world comes in through the constructor (Transport, Clock, Random, Storage).
 *
 * Write path (update): the request goes to a primary of the key's preference list (forwarded if
 * this node is not one); that coordinator applies the op to its local replica as its vnode
 * actor, stores the delta durably, then sends the delta to the other replicas and answers once
 * W replicas (PW primaries) durably stored it. mergeDelta (a client delta minted by its own
 * actor) needs no minting, so any node coordinates it.
 * Read path (get): ask all N replicas, answer after R (PR), then read-repair stale replicas.
 */

import { Hlc } from '../../causal/hlc.js';
import { ReplicationDecodeError } from '../../errors.js';
import { type ReplicationConfig, type ReplicationConfigInput, resolveConfig } from '../config.js';
import type {
  Clock,
  NodeId,
  Random,
  ReplicatedType,
  Storage,
  TimerHandle,
  Transport,
} from '../interfaces.js';
import { AntiEntropy } from '../repair/anti-entropy.js';
import { type ActiveHandoff, HandoffManager } from '../repair/handoff.js';
import { HintStore } from '../repair/hint-store.js';
import { Coordinator } from '../requests/coordinator.js';
import type { MembershipChange, RingPlan } from '../ring/membership.js';
import type { PreflistEntry } from '../ring/preference-list.js';
import type { Ring } from '../ring/ring.js';
import { decodeMessage, encodeMessage, type Message } from '../wire/messages.js';
import { actorOf, bumpEpoch, type Epoch, loadEpoch } from './epoch.js';
import { FailureDetector } from './failure-detector.js';
import { newCounters, type ReadOptions, type ReplicaCounters, type WriteOptions } from './node-types.js';
import { RingView } from './ring-view.js';
import { VnodeStore } from './vnode.js';

export interface ReplicaNodeOptions<S, Op> {
  readonly id: NodeId;
  readonly type: ReplicatedType<S, Op>;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly random: Random;
  readonly storage: Storage;
  /** Initial members (used when storage holds no ring yet). */
  readonly members: readonly NodeId[];
  readonly config?: ReplicationConfigInput;
  /** Fired after every durable change of a local replica of `key`. */
  readonly onChange?: (key: string, state: S, delta: S) => void;
}

export interface ReplicaStatus {
  readonly node: NodeId;
  readonly actor: string;
  readonly epoch: number;
  readonly ringVersion: number;
  readonly ringSize: number;
  /** Partitions owned per member. */
  readonly ownership: Readonly<Record<NodeId, number>>;
  readonly members: readonly { node: NodeId; status: string; up: boolean }[];
  readonly pendingTransfers: number;
  /**
   * Keys held on behalf of other nodes (hinted handoff not yet delivered), plus the hints of
   * replicas that missed a write this node coordinated.
   */
  readonly hintBacklog: number;
  /** Anti-entropy exchanges queued or running to catch up with a peer that came up. */
  readonly aaeCatchUpBacklog: number;
  readonly handoffs: readonly ActiveHandoff[];
  readonly counters: Readonly<ReplicaCounters>;
}

export class ReplicaNode<S, Op> {
  readonly id: NodeId;
  readonly config: ReplicationConfig;
  private readonly type: ReplicatedType<S, Op>;
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly storage: Storage;
  private readonly onChangeHook: ((key: string, state: S, delta: S) => void) | undefined;
  private readonly view: RingView;
  private readonly fd: FailureDetector;
  private readonly vnodes: VnodeStore<S, Op>;
  private readonly handoff: HandoffManager<S, Op>;
  private readonly aae: AntiEntropy<S, Op>;
  private readonly hints: HintStore<S, Op>;
  private readonly hlc: Hlc;
  private readonly coordinator: Coordinator<S, Op>;
  private readonly timers = new Set<TimerHandle>();
  private epoch: Epoch = { counter: 0, tag: '' };
  private actor = '';
  private actorReady: Promise<void> = Promise.resolve();
  private nextReqId: number;
  private state: 'new' | 'started' | 'stopped' = 'new';
  private readonly counters: ReplicaCounters = newCounters();

  constructor(options: ReplicaNodeOptions<S, Op>) {
    const { id, type, transport, clock, random, storage, members } = options;
    if (typeof id !== 'string' || id.length === 0 || id.length > 256)
      throw new TypeError('id must be a node id');
    if (transport?.self !== id) throw new TypeError('transport.self must equal id');
    if (!Array.isArray(members) || members.length === 0)
      throw new TypeError('members must be a non-empty array');
    this.id = id;
    this.type = type;
    this.transport = transport;
    this.clock = clock;
    this.random = random;
    this.storage = storage;
    this.config = resolveConfig(options.config);
    this.onChangeHook = options.onChange;
    this.view = new RingView({
      self: id,
      n: this.config.n,
      ringSize: this.config.ringSize,
      storage,
      initialMembers: [...members],
      isUp: (n) => this.fd.isUp(n),
      now: () => clock.now(),
      send: (to, m) => this.send(to, m),
      onDecodeError: () => {
        this.counters.decodeErrors++;
      },
      onInstalled: (prev, next) => this.onRingInstalled(prev, next),
    });
    // The cart's own HLC (wall ms · 2^5 + logical), so server-minted and client-minted stamps compare.
    this.hlc = new Hlc(() => clock.now());
    this.nextReqId = 1 + Math.floor(random.next() * 2 ** 40);
    this.fd = new FailureDetector(id, () => clock.now(), this.config.failureTimeoutMs);
    this.vnodes = new VnodeStore(
      type,
      storage,
      (k) => this.view.ring.partitionOf(k),
      (key, s, delta) => {
        this.onChangeHook?.(key, s, delta);
      },
    );
    const common = {
      self: id,
      vnodes: this.vnodes,
      ring: () => this.view.ring,
      isUp: (n: NodeId) => this.fd.isUp(n),
      send: (to: NodeId, m: Message) => this.send(to, m),
      nextId: () => this.newId(),
      setTimeout: (ms: number, fn: () => void) => this.clock.setTimeout(ms, fn),
      timeoutMs: this.config.requestTimeoutMs,
    };
    this.handoff = new HandoffManager({
      ...common,
      commitTransfer: (q, to) => this.view.commitTransfer(q, to),
      onItemsSent: (k) => {
        this.counters.handoffItemsSent += k;
      },
      onCompleted: () => {
        this.counters.handoffsCompleted++;
      },
    });
    this.aae = new AntiEntropy({
      ...common,
      n: this.config.n,
      maxKeys: this.config.aae.maxKeysPerExchange,
      maxConcurrent: this.config.aae.maxConcurrentExchanges,
      catchUpPerSecond: this.config.aae.catchUpExchangesPerSecond,
      now: () => this.clock.now(),
      onRepaired: (k) => {
        this.counters.aaeRepairs += k;
      },
      onExchange: () => {
        this.counters.aaeExchanges++;
      },
    });
    this.coordinator = new Coordinator({
      self: id,
      type,
      vnodes: this.vnodes,
      config: this.config,
      counters: this.counters,
      preferenceList: (key) => this.preferenceList(key),
      send: (to, m) => this.send(to, m),
      newId: () => this.newId(),
      // Request deadlines are not tracked for stop(): stopAll() settles every request, and a
      // deadline firing later finds its request finished and does nothing.
      timer: (ms, fn) => this.clock.setTimeout(ms, fn),
      isStarted: () => this.state === 'started',
      actor: () => this.actor,
      actorReady: () => this.actorReady,
      now: () => this.hlc.now(),
      wallNow: () => this.clock.now(),
      requestId: () =>
        Math.floor(this.random.next() * 2 ** 32) * 2 ** 21 + Math.floor(this.random.next() * 2 ** 21),
      missed: (key, entries, unacked) => this.hints.record(key, entries, unacked),
    });
    this.hints = new HintStore({
      self: id,
      n: this.config.n,
      maxHints: this.config.maxHints,
      type,
      storage,
      vnodes: this.vnodes,
      ring: () => this.view.ring,
      isUp: (n) => this.fd.isUp(n),
      sendItems: (to, q, items) => this.handoff.sendItems(to, q, items),
      read: async (key) => (await this.coordinator.get(key)).state,
      onOverflow: (node) => this.aae.peerUp(node),
      onRecorded: (k) => {
        this.counters.hintsRecorded += k;
      },
      onDelivered: (k) => {
        this.counters.hintsDelivered += k;
      },
      onDropped: (k) => {
        this.counters.hintsDropped += k;
      },
    });
  }

  /** Restores epoch/actor, ring and anti-entropy trees from storage, then starts timers. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new TypeError('start() may be called once');
    this.epoch = await loadEpoch(this.storage, this.random);
    this.actor = actorOf(this.id, this.epoch);
    await this.view.load();
    await this.vnodes.init();
    await this.hints.load();
    this.state = 'started';
    for (const m of this.view.targets()) this.fd.track(m);
    this.transport.onMessage((from, bytes) => this.receive(from, bytes));
    this.every(this.config.heartbeatIntervalMs, () => this.heartbeat());
    this.every(this.config.handoffIntervalMs, () => {
      this.handoff.tick();
      this.hints.deliver();
    });
    this.every(this.config.aae.intervalMs, () => this.aae.tick());
    this.heartbeat();
  }

  /** Cancels timers and pending requests; sends nothing afterwards. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    this.aae.cancel();
    this.hints.stop();
    this.handoff.cancelAll();
    this.coordinator.stopAll();
  }

  /** Current ring (immutable). */
  currentRing(): Ring {
    return this.view.ring;
  }

  /** The vnode actor this node stamps HTTP-style operations with. */
  get actorId(): string {
    return this.actor;
  }

  isUp(node: NodeId): boolean {
    return this.fd.isUp(node);
  }

  preferenceList(key: string): readonly PreflistEntry[] {
    return this.view.preferenceList(key);
  }

  // ---------------------------------------------------------------- timers and messaging

  private every(ms: number, fn: () => void): void {
    // A random phase spreads the nodes' periodic work apart.
    const first = Math.max(1, Math.floor(this.random.next() * ms));
    const arm = (delay: number): void => {
      if (this.state !== 'started') return;
      const h = this.clock.setTimeout(delay, () => {
        this.timers.delete(h);
        if (this.state !== 'started') return;
        fn();
        arm(ms);
      });
      this.timers.add(h);
    };
    arm(first);
  }

  private newId(): number {
    const id = this.nextReqId++;
    if (this.nextReqId > Number.MAX_SAFE_INTEGER - 1) this.nextReqId = 1;
    return id;
  }

  private send(to: NodeId, m: Message): void {
    if (this.state !== 'started') return;
    const bytes = encodeMessage(m);
    this.counters.messagesSent++;
    this.counters.bytesSent += bytes.length;
    this.transport.send(to, bytes);
  }

  private heartbeat(): void {
    const m: Message = { t: 'hb', ringVersion: this.view.ring.version, ringDigest: this.view.ring.digest };
    for (const peer of this.view.targets()) {
      this.fd.track(peer);
      this.send(peer, m);
    }
  }

  private receive(from: NodeId, bytes: Uint8Array): void {
    if (this.state !== 'started') return;
    this.counters.messagesReceived++;
    this.counters.bytesReceived += bytes.length;
    let m: Message;
    try {
      m = decodeMessage(bytes);
    } catch (e) {
      if (e instanceof ReplicationDecodeError) {
        this.counters.decodeErrors++;
        return;
      }
      throw e;
    }
    if (this.fd.heard(from)) this.onPeerUp(from);
    void this.dispatch(from, m).catch(() => {
      // A failed handler (e.g. storage error) means no reply: the requester times out, as with
      // a lost message. Nothing else to do here.
    });
  }

  private async dispatch(from: NodeId, m: Message): Promise<void> {
    switch (m.t) {
      case 'hb':
        if (m.ringDigest !== this.view.ring.digest)
          this.send(from, { t: 'ring', ring: this.view.ring.encode() });
        return;
      case 'ring':
        return this.view.onRing(from, m.ring);
      case 'get': {
        if (m.partition >= this.view.ring.size) return;
        const cur = await this.vnodes.get(m.partition, m.key);
        this.send(from, { t: 'get-reply', id: m.id, partition: m.partition, state: cur?.bytes });
        return;
      }
      case 'put': {
        if (m.partition >= this.view.ring.size) return;
        let ok = true;
        let state: Uint8Array | undefined;
        try {
          const res = await this.vnodes.merge(m.partition, m.key, this.type.decode(m.state));
          if (m.returnState) state = res.bytes;
        } catch {
          ok = false;
        }
        if (m.id !== 0) this.send(from, { t: 'put-reply', id: m.id, partition: m.partition, ok, state });
        return;
      }
      case 'coord':
        return this.coordinator.onCoordinate(from, m);
      case 'get-reply':
      case 'put-reply':
      case 'coord-reply':
        this.coordinator.onReply(from, m);
        return;
      case 'handoff':
        if (m.partition >= this.view.ring.size) return;
        return this.handoff.onData(from, m);
      case 'handoff-ack':
        this.handoff.onAck(m.id, m.ok);
        return;
      default:
        return this.aae.handle(from, m);
    }
  }

  /**
   * `peer` came up (or this node started and first heard from it): catch up with it now rather
   * than at the next timer — deliver what it missed (hints, fallback data) and compare every tree
   * shared with it (anti-entropy catch-up, which also finds what no hint recorded).
   */
  private onPeerUp(peer: NodeId): void {
    this.hints.deliver(peer);
    this.handoff.tick();
    this.aae.peerUp(peer);
  }

  // ---------------------------------------------------------------- ring, epoch, membership

  private onRingInstalled(prev: Ring, next: Ring): void {
    for (const m of this.view.targets()) this.fd.track(m);
    if (prev.ownedBy(this.id).some((q) => next.ownerOf(q) !== this.id)) {
      // kv679: data holding our dots will be deleted after handoff; mint under a new actor.
      const bump = this.actorReady.then(async () => {
        this.epoch = await bumpEpoch(this.storage, this.random, this.epoch);
        this.actor = actorOf(this.id, this.epoch);
      });
      this.actorReady = bump.catch(() => {});
    }
  }

  /** Stages a membership change (see plan/commit). */
  stage(change: MembershipChange): void {
    this.view.stage(change);
  }

  /** The ring the staged changes would produce, with the transfers they imply. */
  plan(): RingPlan {
    return this.view.plan();
  }

  /** Commits the staged changes as a new ring version and gossips it. */
  commitPlan(): Promise<RingPlan> {
    return this.view.commitPlan();
  }

  async join(node: NodeId): Promise<void> {
    this.stage({ type: 'join', node });
    await this.commitPlan();
  }

  async leave(node: NodeId): Promise<void> {
    this.stage({ type: 'leave', node });
    await this.commitPlan();
  }

  async forceRemove(node: NodeId): Promise<void> {
    this.stage({ type: 'force-remove', node });
    await this.commitPlan();
  }

  // ---------------------------------------------------------------- client API

  /** Reads `key` from R replicas (PR primaries), then read-repairs the stale ones. */
  get(key: string, options?: ReadOptions): Promise<{ state: S; replies: number; versions: number }> {
    return this.coordinator.get(key, options);
  }

  /** Applies `op` as an HTTP-style operation, stamped with the vnode actor of a primary. */
  update(key: string, op: Op, options?: WriteOptions): Promise<{ state: S; delta: S }> {
    return this.coordinator.update(key, op, options);
  }

  /** Merges a client delta (stamped with the client's own actor) at W replicas. */
  mergeDelta(key: string, delta: S, options?: WriteOptions & { full?: S }): Promise<{ state: S }> {
    return this.coordinator.mergeDelta(key, delta, options);
  }

  // ---------------------------------------------------------------- status

  status(): ReplicaStatus {
    const ownership: Record<NodeId, number> = {};
    for (const o of this.view.ring.owners()) ownership[o] = (ownership[o] ?? 0) + 1;
    return {
      node: this.id,
      actor: this.actor,
      epoch: this.epoch.counter,
      ringVersion: this.view.ring.version,
      ringSize: this.view.ring.size,
      ownership,
      members: [...this.view.ring.members()]
        .map(([node, e]) => ({ node, status: e.status, up: this.fd.isUp(node) }))
        .sort((a, b) => (a.node < b.node ? -1 : 1)),
      pendingTransfers: this.view.ring.pendingTransfers().length,
      hintBacklog: this.handoff.backlog() + this.hints.size,
      aaeCatchUpBacklog: this.aae.catchUpBacklog,
      handoffs: this.handoff.activeHandoffs(),
      counters: { ...this.counters },
    };
  }

  /** Keys this node stores in vnode `partition` (for tests and tools). */
  localKeys(partition: number): string[] {
    return this.vnodes.keys(partition).sort();
  }

  /** Local replica of `key` in vnode `partition`, without any network round (for tests and tools). */
  async localState(partition: number, key: string): Promise<S | undefined> {
    return (await this.vnodes.get(partition, key))?.state;
  }

  /** Partitions holding local data. */
  localPartitions(): number[] {
    return this.vnodes.partitionsWithData();
  }
}
