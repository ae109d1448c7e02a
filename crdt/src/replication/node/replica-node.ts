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
import { type AaeVnodeStatus, AntiEntropy } from '../repair/anti-entropy.js';
import { HandoffManager, type HandoffProgress } from '../repair/handoff.js';
import { HintStore } from '../repair/hint-store.js';
import type { CoordinatorDeps } from '../requests/coordinator-deps.js';
import { Deadlines } from '../requests/deadlines.js';
import { GetCoordinator } from '../requests/get-coordinator.js';
import { PutCoordinator } from '../requests/put-coordinator.js';
import { RequestTable } from '../requests/request-table.js';
import type { MembershipChange, RingPlan } from '../ring/membership.js';
import type { PreflistEntry } from '../ring/preference-list.js';
import type { Ring } from '../ring/ring.js';
import { decodeMessage, encodeMessage, MAX_BATCH, type Message } from '../wire/messages.js';
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
  /**
   * Observes each client request as it starts (get = a quorum read; put = update or mergeDelta)
   * with the promise it settles by, so a shell can time it (latency metrics). It must not throw;
   * it cannot change the request.
   */
  readonly onRequest?: (kind: 'get' | 'put', settled: Promise<unknown>) => void;
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
  readonly handoffs: readonly HandoffProgress[];
  readonly counters: Readonly<ReplicaCounters>;
}

/** Runs a request; misuse it throws at once (TypeError, stopped) becomes a rejection, as for an async call. */
function settle<T>(start: () => Promise<T>): Promise<T> {
  try {
    return start();
  } catch (e) {
    return Promise.reject(e);
  }
}

export class ReplicaNode<S, Op> {
  readonly id: NodeId;
  readonly config: ReplicationConfig;
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly storage: Storage;
  private readonly onChangeHook: ((key: string, state: S, delta: S) => void) | undefined;
  private readonly onRequestHook: ((kind: 'get' | 'put', settled: Promise<unknown>) => void) | undefined;
  private readonly view: RingView;
  private readonly fd: FailureDetector;
  private readonly vnodes: VnodeStore<S, Op>;
  private readonly handoff: HandoffManager<S, Op>;
  private readonly aae: AntiEntropy<S, Op>;
  private readonly hints: HintStore<S, Op>;
  private readonly hlc: Hlc;
  private readonly deadlines: Deadlines;
  private readonly requests: RequestTable;
  private readonly reads: GetCoordinator<S, Op>;
  private readonly writes: PutCoordinator<S, Op>;
  /** Messages to each peer sent during this turn, flushed together (one frame per peer). */
  private readonly outbox = new Map<NodeId, Message[]>();
  private flushScheduled = false;
  private readonly timers = new Set<TimerHandle>();
  private epoch: Epoch = { counter: 0, tag: '' };
  private actor = '';
  /** Settles once a pending epoch bump is stored; undefined when the actor is ready. */
  private actorPending: Promise<void> | undefined;
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
    this.transport = transport;
    this.clock = clock;
    this.random = random;
    this.storage = storage;
    this.config = resolveConfig(options.config);
    this.onChangeHook = options.onChange;
    this.onRequestHook = options.onRequest;
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
    this.deadlines = new Deadlines(clock);
    this.requests = new RequestTable(this.deadlines, () => this.newId());
    const deps: CoordinatorDeps<S, Op> = {
      self: id,
      type,
      vnodes: this.vnodes,
      config: this.config,
      counters: this.counters,
      requests: this.requests,
      preferenceList: (key) => this.preferenceList(key),
      send: (to, m) => this.send(to, m),
      isStarted: () => this.state === 'started',
      actor: () => this.actor,
      actorPending: () => this.actorPending,
      now: () => this.hlc.now(),
      wallNow: () => this.clock.now(),
      requestId: () =>
        Math.floor(this.random.next() * 2 ** 32) * 2 ** 21 + Math.floor(this.random.next() * 2 ** 21),
      missed: (key, entries, unacked) => this.hints.record(key, entries, unacked),
    };
    this.reads = new GetCoordinator(deps);
    this.writes = new PutCoordinator(deps);
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
      read: async (key) => (await this.reads.get(key)).state,
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
    this.flush(); // what was sent before stop() leaves; nothing after
    this.requests.stopAll();
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

  /**
   * Encodes `m` for `to`. Messages to one peer sent in the same turn of the event loop leave
   * together in one `batch` frame (per-peer batching: one transport send per peer per turn).
   */
  private send(to: NodeId, m: Message): void {
    if (this.state !== 'started') return;
    this.counters.messagesSent++;
    const box = this.outbox.get(to);
    if (box === undefined) this.outbox.set(to, [m]);
    else box.push(m);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const [to, box] of this.outbox) {
      for (let start = 0; start < box.length; start += MAX_BATCH) {
        const end = Math.min(box.length, start + MAX_BATCH);
        const one = end - start === 1;
        const bytes = encodeMessage(one ? box[start]! : { t: 'batch', messages: box.slice(start, end) });
        this.counters.bytesSent += bytes.length;
        this.transport.send(to, bytes);
      }
    }
    this.outbox.clear();
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
    let m: Message;
    try {
      m = decodeMessage(bytes);
    } catch (e) {
      if (!(e instanceof ReplicationDecodeError)) throw e;
      this.counters.decodeErrors++;
      return;
    }
    this.counters.bytesReceived += bytes.length;
    if (this.fd.heard(from)) this.onPeerUp(from);
    if (m.t !== 'batch') {
      this.counters.messagesReceived++;
      this.dispatch(from, m);
      return;
    }
    this.counters.messagesReceived += m.messages.length;
    for (const inner of m.messages) {
      if (this.state !== 'started') return;
      this.dispatch(from, inner);
    }
  }

  private dispatch(from: NodeId, m: Message): void {
    const reply = (r: Message): void => this.send(from, r);
    let pending: Promise<void> | void;
    switch (m.t) {
      case 'hb':
        if (m.ringDigest !== this.view.ring.digest)
          this.send(from, { t: 'ring', ring: this.view.ring.encode() });
        // A peer we do not heartbeat (it left the ring but still holds data to hand off, or has
        // not been seen in it yet) hears from us in answer, or it would think everyone down and
        // never deliver what it holds. Targets get our own heartbeats: no answer, no ping-pong.
        else if (!this.view.targets().includes(from))
          this.send(from, {
            t: 'hb',
            ringVersion: this.view.ring.version,
            ringDigest: this.view.ring.digest,
          });
        return;
      case 'ring':
        pending = this.view.onRing(from, m.ring);
        break;
      case 'get':
        if (m.partition < this.view.ring.size) this.vnodes.serveGet(m, reply);
        return;
      case 'put':
        if (m.partition < this.view.ring.size) this.vnodes.servePut(m, reply);
        return;
      case 'coord':
        this.writes.onCoordinate(from, m);
        return;
      case 'get-reply':
      case 'put-reply':
      case 'coord-reply':
        this.requests.route(from, m);
        return;
      case 'handoff':
        if (m.partition >= this.view.ring.size) return;
        pending = this.handoff.onData(from, m);
        break;
      case 'handoff-ack':
        this.handoff.onAck(m.id, m.ok);
        return;
      case 'batch':
        return; // unpacked by receive
      default:
        pending = this.aae.handle(from, m);
    }
    // A failed handler (e.g. storage error) means no reply: the requester times out, as with a
    // lost message. Nothing else to do here.
    pending?.catch(() => {});
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
      const bump = (this.actorPending ?? Promise.resolve()).then(async () => {
        this.epoch = await bumpEpoch(this.storage, this.random, this.epoch);
        this.actor = actorOf(this.id, this.epoch);
      });
      const settled: Promise<void> = bump.then(
        () => {
          if (this.actorPending === settled) this.actorPending = undefined;
        },
        () => {
          // the bump could not be stored: keep minting under the old actor rather than stall
          if (this.actorPending === settled) this.actorPending = undefined;
        },
      );
      this.actorPending = settled;
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

  /** Staged membership changes not yet committed. */
  stagedChanges(): readonly MembershipChange[] {
    return this.view.staged();
  }

  /** Drops the staged changes (riak-admin cluster clear). */
  clearStaged(): void {
    this.view.clearStaged();
  }

  /** True while this node's ring has no member but itself: it may adopt a cluster's ring. */
  isAlone(): boolean {
    return this.view.isAlone();
  }

  /**
   * Replaces the ring of a node alone in its ring with a cluster's ring (the first step of
   * joining; the cluster then stages and commits the join). Throws TypeError otherwise.
   */
  adoptRing(ring: Ring): Promise<void> {
    return settle(() => this.view.adopt(ring));
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
    return this.observed(
      'get',
      settle(() => this.reads.get(key, options)),
    );
  }

  /** Applies `op` as an HTTP-style operation, stamped with the vnode actor of a primary. */
  update(key: string, op: Op, options?: WriteOptions): Promise<{ state: S; delta: S }> {
    return this.observed(
      'put',
      settle(() => this.writes.update(key, op, options)),
    );
  }

  /** Merges a client delta (stamped with the client's own actor) at W replicas. */
  mergeDelta(key: string, delta: S, options?: WriteOptions & { full?: S }): Promise<{ state: S }> {
    return this.observed(
      'put',
      settle(() => this.writes.mergeDelta(key, delta, async (k) => (await this.reads.get(k)).state, options)),
    );
  }

  /** Hands a client request to the onRequest hook (if any) and returns it unchanged. */
  private observed<T>(kind: 'get' | 'put', request: Promise<T>): Promise<T> {
    if (this.onRequestHook !== undefined) {
      try {
        this.onRequestHook(kind, request);
      } catch {
        // an observer must not change the request
      }
    }
    return request;
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

  /** Anti-entropy per vnode this node owns: last completed exchange, keys repaired. */
  aaeStatus(): AaeVnodeStatus[] {
    return this.aae.vnodeStatus();
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
