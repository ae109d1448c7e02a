/**
 * The coordinator paths of a ReplicaNode, after riak_kv's get and put FSMs: reads (R/PR, read
 * repair), HTTP-style updates (forwarded to a primary, minted as the vnode actor, durable
 * locally before replication) and client deltas (merged as-is), acknowledged after W (PW)
 * durable stores. The node supplies messaging, timers and the vnodes through CoordinatorDeps.
 */

import { QuorumError, ReplicationDecodeError, ReplicationError } from '../../errors.js';
import type { ReplicationConfig } from '../config.js';
import type { NodeId, ReplicatedType, TimerHandle } from '../interfaces.js';
import type { ReadOptions, ReplicaCounters, WriteOptions } from '../node/node-types.js';
import { type RequestOptions, resolveRequestOptions, validateKey } from '../node/node-types.js';
import type { VnodeStore } from '../node/vnode.js';
import type { PreflistEntry } from '../ring/preference-list.js';
import type { Message } from '../wire/messages.js';
import { GetFsm, type GetResult } from './get-fsm.js';
import { PutFsm } from './put-fsm.js';
import { staleReplicas } from './read-repair.js';
import { RequestDedup } from './request-dedup.js';

export interface CoordinatorDeps<S, Op> {
  readonly self: NodeId;
  readonly type: ReplicatedType<S, Op>;
  readonly vnodes: VnodeStore<S, Op>;
  readonly config: ReplicationConfig;
  readonly counters: ReplicaCounters;
  preferenceList(key: string): readonly PreflistEntry[];
  send(to: NodeId, m: Message): void;
  newId(): number;
  timer(ms: number, fn: () => void): TimerHandle;
  isStarted(): boolean;
  /** The current vnode actor, and a promise that settles once a pending epoch bump is stored. */
  actor(): string;
  actorReady(): Promise<void>;
  /** Hybrid logical time for minting. */
  now(): number;
  /** Wall-clock milliseconds (the injected Clock), for the dedup window. */
  wallNow(): number;
  /** A fresh random request id (53 bits, from the injected Random). */
  requestId(): number;
  /**
   * After a write: `entries` were sent `key`, and those in `unacked` (remote ones) did not
   * acknowledge it by the deadline; called too when the list is short of N (a primary down with
   * no fallback). The node keeps hints for them (repair/hint-store.ts).
   */
  missed?(key: string, entries: readonly PreflistEntry[], unacked: ReadonlySet<number>): void;
}

type Pending = (from: NodeId, m: Message) => void;

export class Coordinator<S, Op> {
  private readonly pending = new Map<number, Pending>();
  /** Forwarded requests coordinated recently, so a duplicated `coord` is never applied twice. */
  private readonly dedup: RequestDedup;

  constructor(private readonly d: CoordinatorDeps<S, Op>) {
    // Far beyond the forwarder's deadline (1.5 × its timeout), after which it gave up anyway.
    this.dedup = new RequestDedup(() => d.wallNow(), Math.max(60_000, 10 * d.config.requestTimeoutMs));
  }

  /** Routes a reply to the request waiting for it. */
  onReply(from: NodeId, m: Extract<Message, { t: 'get-reply' | 'put-reply' | 'coord-reply' }>): void {
    this.pending.get(m.id)?.(from, m);
  }

  /** Fails every waiting request (the node stops). */
  stopAll(): void {
    const stopped: Message = {
      t: 'coord-reply',
      id: 0,
      state: undefined,
      delta: undefined,
      error: undefined,
    };
    for (const p of [...this.pending.values()]) p(this.d.self, stopped);
    this.pending.clear();
  }

  // ---------------------------------------------------------------- read path

  private options(o: (ReadOptions & WriteOptions) | undefined): RequestOptions {
    return resolveRequestOptions(this.d.config, o);
  }

  private ensureStarted(): void {
    if (!this.d.isStarted())
      throw new ReplicationError('REPLICATION_STOPPED', `node ${this.d.self} is not running`);
  }

  private quorumFailed(e: QuorumError): QuorumError {
    this.d.counters.quorumErrors++;
    return e;
  }

  async get(key: string, options?: ReadOptions): Promise<{ state: S; replies: number; versions: number }> {
    validateKey(key);
    const o = this.options(options);
    this.ensureStarted();
    this.d.counters.gets++;
    const entries = this.d.preferenceList(key);
    return new Promise<GetResult<S>>((resolve, reject) => {
      const id = this.d.newId();
      let timer: TimerHandle | undefined;
      const fsm: GetFsm<S, Op> = new GetFsm(
        this.d.type,
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
          state = bytes === undefined ? undefined : this.d.type.decode(bytes);
        } catch {
          return;
        }
        fsm.reply(fsm.indexOf(from, partition), state);
      };
      this.pending.set(id, (from, m) => {
        if (m.t === 'get-reply') onReply(from, m.partition, m.state);
        else if (m.t === 'coord-reply' && from === this.d.self) {
          fsm.timeout();
          reject(new ReplicationError('REPLICATION_STOPPED', 'node stopped'));
        }
      });
      timer = this.d.timer(o.timeoutMs, () => fsm.timeout());
      for (const e of entries) {
        if (e.node === this.d.self) {
          this.d.vnodes.get(e.partition, key).then(
            (c) => onReply(this.d.self, e.partition, c?.bytes),
            () => {},
          );
        } else this.d.send(e.node, { t: 'get', id, partition: e.partition, key });
      }
    });
  }

  private readRepair(key: string, replies: readonly { entry: PreflistEntry; state: S | undefined }[]): void {
    if (replies.length === 0 || !this.d.isStarted()) return;
    let merged = this.d.type.empty();
    for (const r of replies) if (r.state !== undefined) merged = this.d.type.join(merged, r.state);
    const stale = staleReplicas(this.d.type, merged, replies);
    if (stale.length === 0) return;
    const bytes = this.d.type.encode(merged);
    for (const e of stale) {
      this.d.counters.readRepairs++;
      if (e.node === this.d.self) void this.d.vnodes.merge(e.partition, key, merged).catch(() => {});
      else
        this.d.send(e.node, {
          t: 'put',
          id: 0,
          partition: e.partition,
          key,
          state: bytes,
          returnState: false,
        });
    }
  }

  // ---------------------------------------------------------------- write path

  /** Applies `op` as an HTTP-style operation: stamped with a vnode actor of a primary. */
  async update(key: string, op: Op, options?: WriteOptions): Promise<{ state: S; delta: S }> {
    validateKey(key);
    const o = this.options(options);
    this.ensureStarted();
    this.d.counters.updates++;
    const entries = this.d.preferenceList(key);
    if (entries.some((e) => e.node === this.d.self && e.kind === 'primary'))
      return this.coordinate(key, op, entries, o).then((r) => ({ state: r.state, delta: r.delta }));
    const coordinator = entries.find((e) => e.kind === 'primary');
    if (coordinator === undefined) {
      throw this.quorumFailed(
        new QuorumError(
          { needed: 1, replied: 0, primaries: 0, kind: 'coordinator' },
          'no primary replica is reachable to coordinate the update',
        ),
      );
    }
    this.d.counters.forwarded++;
    const rid = this.d.requestId();
    const m = await this.request(coordinator.node, o.timeoutMs + o.timeoutMs / 2, (id) => ({
      t: 'coord',
      id,
      rid,
      key,
      op: this.d.type.encodeOp(op),
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
    if (m.t !== 'coord-reply' || !this.d.isStarted()) {
      throw new ReplicationError('REPLICATION_STOPPED', `node ${this.d.self} stopped`);
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
    return { state: this.d.type.decode(m.state), delta: this.d.type.decode(m.delta) };
  }

  /** Sends a request built with a fresh id and waits for the matching reply (undefined on timeout). */
  private request(
    to: NodeId,
    timeoutMs: number,
    build: (id: number) => Message,
  ): Promise<Message | undefined> {
    return new Promise((resolve) => {
      const id = this.d.newId();
      const t = this.d.timer(timeoutMs, () => {
        this.pending.delete(id);
        resolve(undefined);
      });
      this.pending.set(id, (_from, m) => {
        t.cancel();
        this.pending.delete(id);
        resolve(m);
      });
      this.d.send(to, build(id));
    });
  }

  async onCoordinate(from: NodeId, m: Extract<Message, { t: 'coord' }>): Promise<void> {
    const seen = this.dedup.begin(from, m.rid, m.id);
    if (seen.kind === 'done') {
      this.d.send(from, seen.reply);
      return;
    }
    if (seen.kind === 'in-flight') return; // the first copy's reply answers this one too
    const reply = (r: Omit<Extract<Message, { t: 'coord-reply' }>, 't' | 'id'>): void => {
      const msg: Extract<Message, { t: 'coord-reply' }> = { t: 'coord-reply', id: m.id, ...r };
      for (const id of this.dedup.finish(from, m.rid, msg)) this.d.send(from, { ...msg, id });
    };
    try {
      validateKey(m.key);
      const o = this.options({ w: m.w, pw: m.pw, timeoutMs: m.timeoutMs });
      const entries = this.d.preferenceList(m.key);
      if (!entries.some((e) => e.node === this.d.self && e.kind === 'primary')) {
        throw new QuorumError(
          { needed: 1, replied: 0, primaries: 0, kind: 'coordinator' },
          'not a primary for this key',
        );
      }
      this.d.counters.updates++;
      const res = await this.coordinate(m.key, this.d.type.decodeOp(m.op), entries, o);
      // The stored bytes and the replicated delta bytes are reused: nothing is encoded twice.
      reply({ state: res.stateBytes, delta: res.deltaBytes, error: undefined });
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
  ): Promise<{ state: S; delta: S; stateBytes: Uint8Array; deltaBytes: Uint8Array }> {
    await this.d.actorReady();
    const mine = entries.findIndex((e) => e.node === this.d.self && e.kind === 'primary');
    const q = entries[mine]!.partition;
    const others = entries.filter((e, i) => i !== mine && e.node === this.d.self).map((e) => e.partition);
    // Mint the dot under the key lock of the coordinating vnode, from everything this node holds
    // for the key, and store it before anyone else sees it (so the next op sees this dot).
    const { state, delta, stateBytes } = await this.d.vnodes.locked(q, key, async () => {
      let local = (await this.d.vnodes.get(q, key, true))?.state ?? this.d.type.empty();
      for (const other of others) {
        const s = await this.d.vnodes.get(other, key);
        if (s !== undefined) local = this.d.type.join(local, s.state);
      }
      const delta = this.d.type.apply(local, op, this.d.actor(), this.d.now());
      const res = await this.d.vnodes.mergeLocked(q, key, delta);
      return { state: res.state, delta, stateBytes: res.bytes };
    });
    const deltaBytes = this.d.type.encode(delta);
    await this.replicate(key, delta, entries, o, mine, () => stateBytes, deltaBytes);
    return { state, delta, stateBytes, deltaBytes };
  }

  /**
   * Merges a client delta (already stamped with the client's own actor) at W replicas. A replica
   * lacking the delta's causal past gets the full state instead: `full` (the state after the delta,
   * when the caller already joined it into its quorum read), else a quorum read joined with the
   * delta, computed only when a replica needs it. A delta whose past not even the read holds
   * rejects with the type's causal-gap error.
   */
  async mergeDelta(key: string, delta: S, options?: WriteOptions & { full?: S }): Promise<{ state: S }> {
    validateKey(key);
    const o = this.options(options);
    this.ensureStarted();
    this.d.counters.merges++;
    const entries = this.d.preferenceList(key);
    let full: Promise<Uint8Array> | undefined;
    const fullState = (): Promise<Uint8Array> => {
      full ??= (async () => {
        const state = options?.full ?? this.d.type.join((await this.get(key)).state, delta);
        return this.d.type.encode(state);
      })();
      return full;
    };
    const states = await this.replicate(key, delta, entries, o, -1, fullState);
    let state = this.d.type.empty();
    for (const s of states) state = this.d.type.join(state, s);
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
    full: () => Uint8Array | Promise<Uint8Array>,
    deltaBytes?: Uint8Array,
  ): Promise<S[]> {
    let bytes = deltaBytes;
    return new Promise<S[]>((resolve, reject) => {
      const states: S[] = [];
      const id = this.d.newId();
      const local = entries.some((e) => e.node === this.d.self);
      let timer: TimerHandle | undefined;
      // Remote replicas yet to acknowledge. The request listens past W until they all did or the
      // deadline passed; whoever is still missing then is reported for a hint.
      const unacked = new Set<number>();
      for (let i = 0; i < entries.length; i++) if (entries[i]!.node !== this.d.self) unacked.add(i);
      let closed = false;
      const close = (): void => {
        if (closed) return;
        closed = true;
        timer?.cancel();
        this.pending.delete(id);
        if ((unacked.size > 0 || entries.length < this.d.config.n) && this.d.isStarted())
          this.d.missed?.(key, entries, unacked);
      };
      const fsm = new PutFsm(entries, o.w, o.pw, (err) => {
        if (unacked.size === 0) close();
        if (err !== undefined) reject(this.quorumFailed(err));
        else resolve(states);
      });
      /** The one place this request builds a put (id 0: best effort, no reply). */
      const put = (e: PreflistEntry, state: Uint8Array, putId: number): void =>
        this.d.send(e.node, {
          t: 'put',
          id: putId,
          partition: e.partition,
          key,
          state,
          returnState: putId !== 0 && !local,
        });
      /** The delta's encoding, made once and only when a remote replica needs it. */
      const deltaBytesOnce = (): Uint8Array => {
        bytes ??= this.d.type.encode(delta);
        return bytes;
      };
      /** Merges into a vnode of this node; acks on success, else calls `refused`. */
      const mergeHere = (i: number, e: PreflistEntry, state: S, refused: () => void): void => {
        this.d.vnodes.merge(e.partition, key, state).then((res) => {
          if (fsm.isDone) return; // best effort after W: nothing waits for it
          states.push(res.state);
          fsm.ack(i, true);
        }, refused);
      };
      // Delivery contract: a replica that refuses the delta (it lacks the delta's causal past, or
      // failed to store) is sent the full state once before its refusal counts.
      const retried = new Set<number>();
      const sendFull = (i: number, e: PreflistEntry, putId = id): void => {
        retried.add(i);
        Promise.resolve()
          .then(full)
          .then(
            (state) => {
              if (putId !== 0 && fsm.isDone) return;
              if (e.node === this.d.self) mergeHere(i, e, this.d.type.decode(state), () => fsm.ack(i, false));
              else put(e, state, putId);
            },
            (err) => {
              // not even a quorum read covers the delta: the caller learns why
              if (fsm.isDone) return;
              reject(err);
              fsm.timeout();
            },
          );
      };
      if (fsm.isDone) {
        close(); // no quorum possible: nothing sent
        return;
      }
      if (done >= 0) fsm.ack(done, true);
      if (fsm.isDone) {
        // W=1: already durable locally; still replicate to the others, best effort.
        entries.forEach((e, i) => {
          if (i === done) return;
          if (e.node === this.d.self) mergeHere(i, e, delta, () => sendFull(i, e, 0));
          else put(e, deltaBytesOnce(), 0);
        });
        unacked.clear(); // not tracked: only a missing primary gets a hint
        close();
        return;
      }
      this.pending.set(id, (from, m) => {
        if (m.t === 'put-reply') {
          if (m.ok) unacked.delete(entries.findIndex((e) => e.node === from && e.partition === m.partition));
          if (m.ok && m.state !== undefined && !local && !fsm.isDone) {
            try {
              states.push(this.d.type.decode(m.state));
            } catch {
              // A reply we cannot decode still acknowledged durable storage.
            }
          }
          const i = fsm.indexOf(from, m.partition);
          if (!m.ok && i >= 0 && !retried.has(i)) sendFull(i, entries[i]!);
          else fsm.ack(i, m.ok);
          if (fsm.isDone && unacked.size === 0) close();
        } else if (m.t === 'coord-reply' && from === this.d.self) {
          fsm.timeout();
          close();
        }
      });
      timer = this.d.timer(o.timeoutMs, () => {
        fsm.timeout();
        close();
      });
      entries.forEach((e, i) => {
        if (i === done) return;
        if (e.node === this.d.self) mergeHere(i, e, delta, () => sendFull(i, e));
        else put(e, deltaBytesOnce(), id);
      });
    });
  }
}
