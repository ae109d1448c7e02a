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
import { AntiEntropy } from './anti-entropy.js';
import { type ReplicationConfig, resolveConfig } from './config.js';
import { actorOf, bumpEpoch, type Epoch, loadEpoch, META_NS } from './epoch.js';
import { QuorumError, ReplicationDecodeError, ReplicationError } from './errors.js';
import { FailureDetector } from './failure-detector.js';
import { GetFsm, type GetResult } from './get-fsm.js';
import { type ActiveHandoff, HandoffManager } from './handoff.js';
import { HybridClock } from './hlc.js';
import type { Clock, NodeId, Random, ReplicatedType, Storage, TimerHandle, Transport } from './interfaces.js';
import { completeTransfer, type MembershipChange, MembershipStaging, type RingPlan } from './membership.js';
import { decodeMessage, encodeMessage, MAX_KEY_BYTES, type Message } from './messages.js';
import type { PreflistEntry } from './preference-list.js';
import { PutFsm } from './put-fsm.js';
import { staleReplicas } from './read-repair.js';
import { Ring } from './ring.js';
import { VnodeStore } from './vnode.js';

const RING_KEY = 'ring';

export interface ReplicaNodeOptions<S, Op> {
  readonly id: NodeId;
  readonly type: ReplicatedType<S, Op>;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly random: Random;
  readonly storage: Storage;
  /** Initial members (used when storage holds no ring yet). */
  readonly members: readonly NodeId[];
  readonly config?: Partial<ReplicationConfig>;
  /** Fired after every durable change of a local replica of `key`. */
  readonly onChange?: (key: string, state: S, delta: S) => void;
}

export interface ReadOptions {
  r?: number;
  pr?: number;
  timeoutMs?: number;
}

export interface WriteOptions {
  w?: number;
  pw?: number;
  timeoutMs?: number;
}

export interface ReplicaCounters {
  gets: number;
  updates: number;
  merges: number;
  forwarded: number;
  quorumErrors: number;
  readRepairs: number;
  aaeExchanges: number;
  aaeRepairs: number;
  handoffItemsSent: number;
  handoffsCompleted: number;
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  decodeErrors: number;
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
  /** Keys held on behalf of other nodes (hinted handoff not yet delivered). */
  readonly hintBacklog: number;
  readonly handoffs: readonly ActiveHandoff[];
  readonly counters: Readonly<ReplicaCounters>;
}

type Pending = (from: NodeId, m: Message) => void;

function validateKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_BYTES / 4) {
    throw new TypeError(`key must be a non-empty string of at most ${MAX_KEY_BYTES / 4} characters`);
  }
}

export class ReplicaNode<S, Op> {
  readonly id: NodeId;
  readonly config: ReplicationConfig;
  private readonly type: ReplicatedType<S, Op>;
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly storage: Storage;
  private readonly initialMembers: readonly NodeId[];
  private readonly onChangeHook: ((key: string, state: S, delta: S) => void) | undefined;
  private ring: Ring;
  private readonly fd: FailureDetector;
  private readonly vnodes: VnodeStore<S, Op>;
  private readonly handoff: HandoffManager<S, Op>;
  private readonly aae: AntiEntropy<S, Op>;
  private readonly staging = new MembershipStaging();
  private readonly hlc: HybridClock;
  private readonly pending = new Map<number, Pending>();
  private readonly timers = new Set<TimerHandle>();
  private epoch: Epoch = { counter: 0, tag: '' };
  private actor = '';
  private actorReady: Promise<void> = Promise.resolve();
  private nextReqId: number;
  private readonly preflists = new Map<number, readonly PreflistEntry[]>();
  private preflistRing: Ring | undefined;
  private upSignature = '';
  private upCheckedAt = Number.NaN;
  private targetsRing: Ring | undefined;
  private targets: readonly NodeId[] = [];
  private state: 'new' | 'started' | 'stopped' = 'new';
  private readonly counters: ReplicaCounters = {
    gets: 0,
    updates: 0,
    merges: 0,
    forwarded: 0,
    quorumErrors: 0,
    readRepairs: 0,
    aaeExchanges: 0,
    aaeRepairs: 0,
    handoffItemsSent: 0,
    handoffsCompleted: 0,
    messagesSent: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    decodeErrors: 0,
  };

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
    this.initialMembers = [...members];
    this.onChangeHook = options.onChange;
    this.ring = Ring.initial(members, this.config.ringSize, this.config.n);
    this.hlc = new HybridClock(() => clock.now());
    this.nextReqId = 1 + Math.floor(random.next() * 2 ** 40);
    this.fd = new FailureDetector(id, () => clock.now(), this.config.failureTimeoutMs);
    this.vnodes = new VnodeStore(
      type,
      storage,
      (k) => this.ring.partitionOf(k),
      (key, s, delta) => {
        this.onChangeHook?.(key, s, delta);
      },
    );
    const common = {
      self: id,
      vnodes: this.vnodes,
      ring: () => this.ring,
      isUp: (n: NodeId) => this.fd.isUp(n),
      send: (to: NodeId, m: Message) => this.send(to, m),
      nextId: () => this.newId(),
      setTimeout: (ms: number, fn: () => void) => this.clock.setTimeout(ms, fn),
      timeoutMs: this.config.requestTimeoutMs,
    };
    this.handoff = new HandoffManager({
      ...common,
      commitTransfer: (q, to) => this.commitTransfer(q, to),
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
      onRepaired: (k) => {
        this.counters.aaeRepairs += k;
      },
      onExchange: () => {
        this.counters.aaeExchanges++;
      },
    });
  }

  /** Restores epoch/actor, ring and anti-entropy trees from storage, then starts timers. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new TypeError('start() may be called once');
    this.epoch = await loadEpoch(this.storage, this.random);
    this.actor = actorOf(this.id, this.epoch);
    const ringBytes = await this.storage.get(META_NS, 0, RING_KEY);
    if (ringBytes !== undefined) {
      const saved = Ring.decode(ringBytes);
      if (saved.size === this.config.ringSize) this.ring = saved;
    }
    await this.vnodes.init();
    this.state = 'started';
    for (const m of this.gossipTargets()) this.fd.track(m);
    this.transport.onMessage((from, bytes) => this.receive(from, bytes));
    this.every(this.config.heartbeatIntervalMs, () => this.heartbeat());
    this.every(this.config.handoffIntervalMs, () => this.handoff.tick());
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
    this.handoff.cancelAll();
    const stopped: Message = {
      t: 'coord-reply',
      id: 0,
      state: undefined,
      delta: undefined,
      error: undefined,
    };
    for (const p of [...this.pending.values()]) p(this.id, stopped);
    this.pending.clear();
  }

  /** Current ring (immutable). */
  currentRing(): Ring {
    return this.ring;
  }

  /** The vnode actor this node stamps HTTP-style operations with. */
  get actorId(): string {
    return this.actor;
  }

  isUp(node: NodeId): boolean {
    return this.fd.isUp(node);
  }

  preferenceList(key: string): readonly PreflistEntry[] {
    validateKey(key);
    const p = this.ring.partitionOf(key);
    // Preference lists only change with the ring or the up/down view: cache them per partition
    // and recheck the view at most once per clock tick (a millisecond).
    const now = this.clock.now();
    if (now !== this.upCheckedAt || this.preflistRing !== this.ring) {
      this.upCheckedAt = now;
      let sig = '';
      for (const m of this.gossipTargetsCached()) sig += this.fd.isUp(m) ? '1' : '0';
      if (sig !== this.upSignature || this.preflistRing !== this.ring) {
        this.upSignature = sig;
        this.preflistRing = this.ring;
        this.preflists.clear();
      }
    }
    let pl = this.preflists.get(p);
    if (pl === undefined) {
      pl = Object.freeze(this.ring.preferenceList(p, this.config.n, (n) => this.fd.isUp(n)));
      this.preflists.set(p, pl);
    }
    return pl;
  }

  private gossipTargetsCached(): readonly NodeId[] {
    if (this.targetsRing !== this.ring) {
      this.targetsRing = this.ring;
      this.targets = this.gossipTargets();
    }
    return this.targets;
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

  private timer(ms: number, fn: () => void): TimerHandle {
    const h = this.clock.setTimeout(ms, () => {
      this.timers.delete(h);
      fn();
    });
    this.timers.add(h);
    return {
      cancel: () => {
        h.cancel();
        this.timers.delete(h);
      },
    };
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

  private gossipTargets(): NodeId[] {
    const set = new Set<NodeId>(this.ring.activeMembers());
    for (const m of this.initialMembers) if (this.ring.member(m)?.status !== 'removed') set.add(m);
    set.delete(this.id);
    return [...set].sort();
  }

  private heartbeat(): void {
    const m: Message = { t: 'hb', ringVersion: this.ring.version, ringDigest: this.ring.digest };
    for (const peer of this.gossipTargets()) {
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
    this.fd.heard(from);
    void this.dispatch(from, m).catch(() => {
      // A failed handler (e.g. storage error) means no reply: the requester times out, as with
      // a lost message. Nothing else to do here.
    });
  }

  private async dispatch(from: NodeId, m: Message): Promise<void> {
    switch (m.t) {
      case 'hb':
        if (m.ringDigest !== this.ring.digest) this.send(from, { t: 'ring', ring: this.ring.encode() });
        return;
      case 'ring':
        return this.onRing(from, m.ring);
      case 'get': {
        if (m.partition >= this.ring.size) return;
        const cur = await this.vnodes.get(m.partition, m.key);
        this.send(from, { t: 'get-reply', id: m.id, partition: m.partition, state: cur?.bytes });
        return;
      }
      case 'put': {
        if (m.partition >= this.ring.size) return;
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
        return this.onCoordinate(from, m);
      case 'get-reply':
      case 'put-reply':
      case 'coord-reply':
        this.pending.get(m.id)?.(from, m);
        return;
      case 'handoff':
        if (m.partition >= this.ring.size) return;
        return this.handoff.onData(from, m);
      case 'handoff-ack':
        this.handoff.onAck(m.id, m.ok);
        return;
      default:
        return this.aae.handle(from, m);
    }
  }

  // ---------------------------------------------------------------- ring, epoch, membership

  private async onRing(from: NodeId, bytes: Uint8Array): Promise<void> {
    let theirs: Ring;
    try {
      theirs = Ring.decode(bytes);
    } catch {
      this.counters.decodeErrors++;
      return;
    }
    if (theirs.size !== this.ring.size) return;
    const merged = this.ring.merge(theirs);
    if (!merged.equals(this.ring)) await this.installRing(merged);
    if (!merged.equals(theirs)) this.send(from, { t: 'ring', ring: this.ring.encode() });
  }

  private async installRing(next: Ring): Promise<void> {
    const prev = this.ring;
    this.ring = next;
    for (const m of this.gossipTargets()) this.fd.track(m);
    const lost = prev.ownedBy(this.id).some((q) => next.ownerOf(q) !== this.id);
    const persist = this.storage.put(META_NS, 0, RING_KEY, next.encode());
    if (lost) {
      // kv679: data holding our dots will be deleted after handoff; mint under a new actor.
      const bump = this.actorReady.then(async () => {
        this.epoch = await bumpEpoch(this.storage, this.random, this.epoch);
        this.actor = actorOf(this.id, this.epoch);
      });
      this.actorReady = bump.catch(() => {});
    }
    await persist;
  }

  private async commit(ring: Ring): Promise<void> {
    await this.installRing(this.ring.merge(ring));
    const bytes = this.ring.encode();
    for (const peer of this.gossipTargets()) this.send(peer, { t: 'ring', ring: bytes });
  }

  private async commitTransfer(q: number, to: NodeId): Promise<void> {
    const next = completeTransfer(this.ring, q, to, this.id);
    if (next !== undefined) await this.commit(next);
  }

  /** Stages a membership change (see plan/commit). */
  stage(change: MembershipChange): void {
    this.staging.stage(change);
  }

  /** The ring the staged changes would produce, with the transfers they imply. */
  plan(): RingPlan {
    return this.staging.plan(this.ring, this.config.n, this.id);
  }

  /** Commits the staged changes as a new ring version and gossips it. */
  async commitPlan(): Promise<RingPlan> {
    const plan = this.plan();
    this.staging.clear();
    await this.commit(plan.ring);
    return plan;
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

  // ---------------------------------------------------------------- read path

  private options(o: (ReadOptions & WriteOptions) | undefined): {
    r: number;
    pr: number;
    w: number;
    pw: number;
    timeoutMs: number;
  } {
    const c = this.config;
    const v = {
      r: o?.r ?? c.r,
      pr: o?.pr ?? c.pr,
      w: o?.w ?? c.w,
      pw: o?.pw ?? c.pw,
      timeoutMs: o?.timeoutMs ?? c.requestTimeoutMs,
    };
    for (const k of ['r', 'w'] as const)
      if (!Number.isInteger(v[k]) || v[k] < 1 || v[k] > c.n) throw new TypeError(`${k} must be in [1, n]`);
    for (const k of ['pr', 'pw'] as const)
      if (!Number.isInteger(v[k]) || v[k] < 0 || v[k] > c.n) throw new TypeError(`${k} must be in [0, n]`);
    if (!Number.isInteger(v.timeoutMs) || v.timeoutMs < 1 || v.timeoutMs > 86_400_000)
      throw new TypeError('bad timeoutMs');
    return v;
  }

  private ensureStarted(): void {
    if (this.state !== 'started')
      throw new ReplicationError('REPLICATION_STOPPED', `node ${this.id} is not running`);
  }

  private quorumFailed(e: QuorumError): QuorumError {
    this.counters.quorumErrors++;
    return e;
  }

  async get(key: string, options?: ReadOptions): Promise<{ state: S; replies: number; versions: number }> {
    validateKey(key);
    const o = this.options(options);
    this.ensureStarted();
    this.counters.gets++;
    const entries = this.preferenceList(key);
    return new Promise<GetResult<S>>((resolve, reject) => {
      const id = this.newId();
      let timer: TimerHandle | undefined;
      const fsm: GetFsm<S, Op> = new GetFsm(
        this.type,
        entries,
        o.r,
        o.pr,
        (res) => (res instanceof QuorumError ? reject(this.quorumFailed(res)) : resolve(res)),
        (replies) => {
          timer?.cancel();
          this.pending.delete(id);
          this.readRepair(key, replies);
        },
      );
      if (fsm.isFinished) return;
      const onReply = (from: NodeId, partition: number, bytes: Uint8Array | undefined): void => {
        let state: S | undefined;
        try {
          state = bytes === undefined ? undefined : this.type.decode(bytes);
        } catch {
          return;
        }
        fsm.reply(fsm.indexOf(from, partition), state);
      };
      this.pending.set(id, (from, m) => {
        if (m.t === 'get-reply') onReply(from, m.partition, m.state);
        else if (m.t === 'coord-reply' && from === this.id) {
          fsm.timeout();
          reject(new ReplicationError('REPLICATION_STOPPED', 'node stopped'));
        }
      });
      timer = this.timer(o.timeoutMs, () => fsm.timeout());
      for (const e of entries) {
        if (e.node === this.id) {
          this.vnodes.get(e.partition, key).then(
            (c) => onReply(this.id, e.partition, c?.bytes),
            () => {},
          );
        } else this.send(e.node, { t: 'get', id, partition: e.partition, key });
      }
    });
  }

  private readRepair(key: string, replies: readonly { entry: PreflistEntry; state: S | undefined }[]): void {
    if (replies.length === 0 || this.state !== 'started') return;
    let merged = this.type.empty();
    for (const r of replies) if (r.state !== undefined) merged = this.type.join(merged, r.state);
    const stale = staleReplicas(this.type, merged, replies);
    if (stale.length === 0) return;
    const bytes = this.type.encode(merged);
    for (const e of stale) {
      this.counters.readRepairs++;
      if (e.node === this.id) void this.vnodes.merge(e.partition, key, merged).catch(() => {});
      else
        this.send(e.node, { t: 'put', id: 0, partition: e.partition, key, state: bytes, returnState: false });
    }
  }

  // ---------------------------------------------------------------- write path

  /** Applies `op` as an HTTP-style operation: stamped with a vnode actor of a primary. */
  async update(key: string, op: Op, options?: WriteOptions): Promise<{ state: S; delta: S }> {
    validateKey(key);
    const o = this.options(options);
    this.ensureStarted();
    this.counters.updates++;
    const entries = this.preferenceList(key);
    if (entries.some((e) => e.node === this.id && e.kind === 'primary'))
      return this.coordinate(key, op, entries, o);
    const coordinator = entries.find((e) => e.kind === 'primary');
    if (coordinator === undefined) {
      throw this.quorumFailed(
        new QuorumError(
          { needed: 1, replied: 0, primaries: 0, kind: 'coordinator' },
          'no primary replica is reachable to coordinate the update',
        ),
      );
    }
    this.counters.forwarded++;
    const m = await this.request(coordinator.node, o.timeoutMs + o.timeoutMs / 2, (id) => ({
      t: 'coord',
      id,
      key,
      op: this.type.encodeOp(op),
      w: o.w,
      pw: o.pw,
      timeoutMs: o.timeoutMs,
    }));
    if (m === undefined) {
      throw this.quorumFailed(
        new QuorumError(
          { needed: o.w, replied: 0, primaries: 0, kind: 'coordinator' },
          'coordinator did not answer in time',
        ),
      );
    }
    if (m.t !== 'coord-reply' || this.state !== 'started') {
      throw new ReplicationError('REPLICATION_STOPPED', `node ${this.id} stopped`);
    }
    if (m.error !== undefined) {
      if (m.error.code === 'QUORUM_NOT_MET') {
        const kind = (['r', 'w', 'pr', 'pw', 'coordinator'] as const).find((k) => k === m.error?.kind) ?? 'w';
        throw this.quorumFailed(new QuorumError({ ...m.error, kind }));
      }
      throw new ReplicationError('REPLICATION_BAD_REQUEST', m.error.message);
    }
    if (m.state === undefined || m.delta === undefined)
      throw new ReplicationDecodeError('coordinator reply without state');
    return { state: this.type.decode(m.state), delta: this.type.decode(m.delta) };
  }

  /** Sends a request built with a fresh id and waits for the matching reply (undefined on timeout). */
  private request(
    to: NodeId,
    timeoutMs: number,
    build: (id: number) => Message,
  ): Promise<Message | undefined> {
    return new Promise((resolve) => {
      const id = this.newId();
      const t = this.timer(timeoutMs, () => {
        this.pending.delete(id);
        resolve(undefined);
      });
      this.pending.set(id, (_from, m) => {
        t.cancel();
        this.pending.delete(id);
        resolve(m);
      });
      this.send(to, build(id));
    });
  }

  private async onCoordinate(from: NodeId, m: Extract<Message, { t: 'coord' }>): Promise<void> {
    const reply = (r: Omit<Extract<Message, { t: 'coord-reply' }>, 't' | 'id'>): void =>
      this.send(from, { t: 'coord-reply', id: m.id, ...r });
    try {
      validateKey(m.key);
      const o = this.options({ w: m.w, pw: m.pw, timeoutMs: m.timeoutMs });
      const entries = this.preferenceList(m.key);
      if (!entries.some((e) => e.node === this.id && e.kind === 'primary')) {
        throw new QuorumError(
          { needed: 1, replied: 0, primaries: 0, kind: 'coordinator' },
          'not a primary for this key',
        );
      }
      this.counters.updates++;
      const res = await this.coordinate(m.key, this.type.decodeOp(m.op), entries, o);
      reply({ state: this.type.encode(res.state), delta: this.type.encode(res.delta), error: undefined });
    } catch (e) {
      const q = e instanceof QuorumError ? e : undefined;
      reply({
        state: undefined,
        delta: undefined,
        error: {
          code: e instanceof ReplicationError ? e.code : 'REPLICATION_BAD_REQUEST',
          message: e instanceof Error ? e.message : String(e),
          needed: q?.needed ?? 0,
          replied: q?.replied ?? 0,
          primaries: q?.primaries ?? 0,
          kind: q?.kind ?? '',
        },
      });
    }
  }

  private async coordinate(
    key: string,
    op: Op,
    entries: readonly PreflistEntry[],
    o: { w: number; pw: number; timeoutMs: number },
  ): Promise<{ state: S; delta: S }> {
    await this.actorReady;
    const mine = entries.findIndex((e) => e.node === this.id && e.kind === 'primary');
    const q = entries[mine]!.partition;
    const others = entries.filter((e, i) => i !== mine && e.node === this.id).map((e) => e.partition);
    // Mint the dot under the key lock of the coordinating vnode, from everything this node holds
    // for the key, and store it before anyone else sees it (so the next op sees this dot).
    const { state, delta } = await this.vnodes.locked(q, key, async () => {
      let local = (await this.vnodes.get(q, key, true))?.state ?? this.type.empty();
      for (const other of others) {
        const s = await this.vnodes.get(other, key);
        if (s !== undefined) local = this.type.join(local, s.state);
      }
      const delta = this.type.apply(local, op, this.actor, this.hlc.now());
      const res = await this.vnodes.mergeLocked(q, key, delta);
      return { state: res.state, delta };
    });
    await this.replicate(key, delta, entries, o, mine);
    return { state, delta };
  }

  /** Merges a client delta (already stamped with the client's own actor) at W replicas. */
  async mergeDelta(key: string, delta: S, options?: WriteOptions): Promise<{ state: S }> {
    validateKey(key);
    const o = this.options(options);
    this.ensureStarted();
    this.counters.merges++;
    const entries = this.preferenceList(key);
    const states = await this.replicate(key, delta, entries, o, -1);
    let state = this.type.empty();
    for (const s of states) state = this.type.join(state, s);
    return { state };
  }

  /**
   * Sends `delta` to every entry except `done` (already stored locally) and resolves once W
   * (PW primaries) acknowledged a durable store. Resolves with the replicas' resulting states
   * that came back (local ones, or remote ones when no local replica exists).
   */
  private replicate(
    key: string,
    delta: S,
    entries: readonly PreflistEntry[],
    o: { w: number; pw: number; timeoutMs: number },
    done: number,
  ): Promise<S[]> {
    return new Promise<S[]>((resolve, reject) => {
      const states: S[] = [];
      const id = this.newId();
      let timer: TimerHandle | undefined;
      const fsm = new PutFsm(entries, o.w, o.pw, (err) => {
        timer?.cancel();
        this.pending.delete(id);
        if (err !== undefined) reject(this.quorumFailed(err));
        else resolve(states);
      });
      if (fsm.isDone) return;
      const local = entries.some((e) => e.node === this.id);
      if (done >= 0) fsm.ack(done, true);
      if (fsm.isDone) {
        // W=1: already durable locally; still replicate to the others, best effort.
        for (const e of entries) {
          if (e !== entries[done] && e.node !== this.id) {
            this.send(e.node, {
              t: 'put',
              id: 0,
              partition: e.partition,
              key,
              state: this.type.encode(delta),
              returnState: false,
            });
          } else if (e !== entries[done]) void this.vnodes.merge(e.partition, key, delta).catch(() => {});
        }
        return;
      }
      this.pending.set(id, (from, m) => {
        if (m.t === 'put-reply') {
          if (m.ok && m.state !== undefined && !local) {
            try {
              states.push(this.type.decode(m.state));
            } catch {
              // A reply we cannot decode still acknowledged durable storage.
            }
          }
          fsm.ack(fsm.indexOf(from, m.partition), m.ok);
        } else if (m.t === 'coord-reply' && from === this.id) fsm.timeout();
      });
      timer = this.timer(o.timeoutMs, () => fsm.timeout());
      let bytes: Uint8Array | undefined;
      entries.forEach((e, i) => {
        if (i === done) return;
        if (e.node === this.id) {
          this.vnodes.merge(e.partition, key, delta).then(
            (res) => {
              states.push(res.state);
              fsm.ack(i, true);
            },
            () => fsm.ack(i, false),
          );
        } else {
          bytes ??= this.type.encode(delta);
          this.send(e.node, { t: 'put', id, partition: e.partition, key, state: bytes, returnState: !local });
        }
      });
    });
  }

  // ---------------------------------------------------------------- status

  status(): ReplicaStatus {
    const ownership: Record<NodeId, number> = {};
    for (const o of this.ring.owners()) ownership[o] = (ownership[o] ?? 0) + 1;
    return {
      node: this.id,
      actor: this.actor,
      epoch: this.epoch.counter,
      ringVersion: this.ring.version,
      ringSize: this.ring.size,
      ownership,
      members: [...this.ring.members()]
        .map(([node, e]) => ({ node, status: e.status, up: this.fd.isUp(node) }))
        .sort((a, b) => (a.node < b.node ? -1 : 1)),
      pendingTransfers: this.ring.pendingTransfers().length,
      hintBacklog: this.handoff.backlog(),
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
