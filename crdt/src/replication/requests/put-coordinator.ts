/**
 * The write paths. An HTTP-style update is coordinated by a primary of the key (forwarded there
 * in a `coord` message when this node is not one): the primary mints the op as its vnode actor
 * under the key's lock, stores the delta durably, then replicates it (requests/replicate.ts) and
 * answers after W durable stores. A client delta (already stamped with the client's own actor)
 * needs no minting, so any node coordinates it (mergeDelta).
 *
 * The answer to an update joins what the replicas that acknowledged it hold when they differ
 * from the coordinator (read-your-writes: a coordinator that was down and missed a remove does
 * not hand the removed line back), and repairs the coordinator's own vnode with it.
 */
import { QuorumError, ReplicationDecodeError, ReplicationError } from '../../errors.js';
import type { NodeId } from '../interfaces.js';
import {
  type RequestOptions,
  resolveRequestOptions,
  validateKey,
  type WriteOptions,
} from '../node/node-types.js';
import type { Done } from '../node/vnode.js';
import { digestBytes } from '../ring/hash.js';
import type { PreflistEntry } from '../ring/preference-list.js';
import type { Message } from '../wire/messages.js';
import { type CoordinatorDeps, ensureStarted, quorumFailed, stoppedError } from './coordinator-deps.js';
import { replicate } from './replicate.js';
import { RequestDedup } from './request-dedup.js';

type CoordMessage = Extract<Message, { t: 'coord' }>;
type CoordReply = Extract<Message, { t: 'coord-reply' }>;

interface Coordinated<S> {
  readonly state: S;
  readonly delta: S;
  /** Encodings to forward without encoding again (state: undefined when it changed after the store). */
  readonly stateBytes: Uint8Array | undefined;
  readonly deltaBytes: Uint8Array;
}

export class PutCoordinator<S, Op> {
  /** Forwarded requests coordinated recently, so a duplicated `coord` is never applied twice. */
  private readonly dedup: RequestDedup;

  constructor(private readonly d: CoordinatorDeps<S, Op>) {
    // Far beyond the forwarder's deadline (1.5 × its timeout), after which it gave up anyway.
    this.dedup = new RequestDedup(() => d.wallNow(), Math.max(60_000, 10 * d.config.requestTimeoutMs));
  }

  /** Applies `op` as an HTTP-style operation: stamped with a vnode actor of a primary. */
  update(key: string, op: Op, options?: WriteOptions): Promise<{ state: S; delta: S }> {
    validateKey(key);
    const o = resolveRequestOptions(this.d.config, options);
    ensureStarted(this.d);
    this.d.counters.updates++;
    const entries = this.d.preferenceList(key);
    if (entries.some((e) => e.node === this.d.self && e.kind === 'primary')) {
      return new Promise((resolve, reject) =>
        this.coordinate(key, op, entries, o, (err, res) =>
          res === undefined ? reject(err) : resolve({ state: res.state, delta: res.delta }),
        ),
      );
    }
    const primary = entries.find((e) => e.kind === 'primary');
    if (primary === undefined) {
      throw quorumFailed(
        this.d,
        new QuorumError(
          { needed: 1, replied: 0, primaries: 0, kind: 'coordinator' },
          'no primary replica is reachable to coordinate the update',
        ),
      );
    }
    this.d.counters.forwarded++;
    return this.forward(primary.node, key, op, o);
  }

  /** Sends the op to `to` to coordinate, and decodes its answer. */
  private forward(to: NodeId, key: string, op: Op, o: RequestOptions): Promise<{ state: S; delta: S }> {
    const rid = this.d.requestId();
    const timeoutMs = o.timeoutMs + o.timeoutMs / 2;
    return new Promise((resolve, reject) => {
      const req = this.d.requests.start(timeoutMs, {
        reply: (_from, m) => {
          if (m.t !== 'coord-reply') return;
          req.close();
          try {
            resolve(this.decodeCoordReply(m));
          } catch (e) {
            reject(e);
          }
        },
        timeout: () => {
          req.close();
          reject(
            quorumFailed(
              this.d,
              new QuorumError(
                { needed: o.w, replied: 0, primaries: 0, kind: 'coordinator' },
                'coordinator did not answer in time',
              ),
            ),
          );
        },
        stop: () => reject(stoppedError(this.d.self)),
      });
      this.d.send(to, {
        t: 'coord',
        id: req.id,
        rid,
        key,
        op: this.d.type.encodeOp(op),
        w: o.w,
        pw: o.pw,
        timeoutMs: o.timeoutMs,
      });
    });
  }

  private decodeCoordReply(m: CoordReply): { state: S; delta: S } {
    if (!this.d.isStarted()) throw stoppedError(this.d.self);
    if (m.error !== undefined) {
      if (m.error.code === 'QUORUM_NOT_MET') {
        const kind = (['r', 'w', 'pr', 'pw', 'coordinator'] as const).find((k) => k === m.error?.kind) ?? 'w';
        throw quorumFailed(this.d, new QuorumError({ ...m.error, kind }));
      }
      throw new ReplicationError('REPLICATION_BAD_REQUEST', m.error.message);
    }
    if (m.state === undefined || m.delta === undefined)
      throw new ReplicationDecodeError('coordinator reply without state');
    return { state: this.d.type.decode(m.state), delta: this.d.type.decode(m.delta) };
  }

  /** A forwarded update: coordinate it once per request id, and answer every copy. */
  onCoordinate(from: NodeId, m: CoordMessage): void {
    const seen = this.dedup.begin(from, m.rid, m.id);
    if (seen.kind === 'done') {
      this.d.send(from, seen.reply);
      return;
    }
    if (seen.kind === 'in-flight') return; // the first copy's reply answers this one too
    const reply = (r: Omit<CoordReply, 't' | 'id'>): void => {
      const msg: CoordReply = { t: 'coord-reply', id: m.id, ...r };
      for (const id of this.dedup.finish(from, m.rid, msg)) this.d.send(from, { ...msg, id });
    };
    const fail = (e: unknown): void => {
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
    };
    let op: Op;
    let entries: readonly PreflistEntry[];
    let o: RequestOptions;
    try {
      validateKey(m.key);
      o = resolveRequestOptions(this.d.config, { w: m.w, pw: m.pw, timeoutMs: m.timeoutMs });
      entries = this.d.preferenceList(m.key);
      if (!entries.some((e) => e.node === this.d.self && e.kind === 'primary')) {
        throw new QuorumError(
          { needed: 1, replied: 0, primaries: 0, kind: 'coordinator' },
          'not a primary for this key',
        );
      }
      op = this.d.type.decodeOp(m.op);
    } catch (e) {
      fail(e);
      return;
    }
    this.d.counters.updates++;
    this.coordinate(m.key, op, entries, o, (err, res) => {
      if (res === undefined) fail(err);
      // The stored and replicated bytes are reused: nothing is encoded twice.
      else
        reply({
          state: res.stateBytes ?? this.d.type.encode(res.state),
          delta: res.deltaBytes,
          error: undefined,
        });
    });
  }

  /** Mints `op` at this primary, stores it, replicates it; `done` gets the answer after W. */
  private coordinate(
    key: string,
    op: Op,
    entries: readonly PreflistEntry[],
    o: RequestOptions,
    done: Done<Coordinated<S>>,
  ): void {
    const pending = this.d.actorPending();
    if (pending !== undefined) {
      pending.then(() => this.coordinate(key, op, entries, o, done), done);
      return;
    }
    const mine = entries.findIndex((e) => e.node === this.d.self && e.kind === 'primary');
    const q = entries[mine]!.partition;
    const others = entries.filter((e, i) => i !== mine && e.node === this.d.self).map((e) => e.partition);
    // Mint the dot under the key lock of the coordinating vnode, from everything this node holds
    // for the key, and store it before anyone else sees it (so the next op sees this dot).
    this.d.vnodes.withLock(q, key, (release) => {
      const failed = (err: unknown): void => {
        release();
        done(err);
      };
      this.readLocal(q, others, key, (err, local) => {
        if (local === undefined) return failed(err);
        let delta: S;
        let held: S;
        try {
          delta = this.d.type.apply(local, op, this.d.actor(), this.d.now());
          // The dot was minted against every local replica of the key: when this node holds
          // another vnode of it too, the coordinating vnode may lack part of the delta's causal
          // past (an empty vnode a force-remove just reassigned, a put it missed), so it stores
          // the join.
          held = others.length === 0 ? delta : this.d.type.join(local, delta);
        } catch (e) {
          return failed(e);
        }
        this.d.vnodes.mergeHeld(q, key, held, (err2, stored) => {
          release();
          if (stored === undefined) return done(err2);
          const deltaBytes = this.d.type.encode(delta);
          replicate(
            this.d,
            {
              key,
              delta,
              entries,
              w: o.w,
              pw: o.pw,
              timeoutMs: o.timeoutMs,
              done: mine,
              full: () => stored.bytes,
              deltaBytes,
              // a digest only when a remote replica will compare it (O(state bytes) per update)
              unless: entries.some((e) => e.node !== this.d.self) ? digestBytes(stored.bytes) : undefined,
            },
            (err3, differing) => {
              if (differing === undefined) return done(err3);
              done(undefined, this.answer(q, key, stored.state, stored.bytes, delta, deltaBytes, differing));
            },
          );
        });
      });
    });
  }

  /** The coordinating vnode's state joined with the other local replicas of the key (if any). */
  private readLocal(q: number, others: readonly number[], key: string, done: Done<S>): void {
    this.d.vnodes.read(q, key, true, (err, own) => {
      if (err !== undefined) return done(err);
      let local = own?.state ?? this.d.type.empty();
      let i = 0;
      const next = (): void => {
        if (i === others.length) {
          done(undefined, local);
          return;
        }
        this.d.vnodes.read(others[i++]!, key, false, (e, c) => {
          if (e !== undefined) return done(e);
          if (c !== undefined) local = this.d.type.join(local, c.state);
          next();
        });
      };
      next();
    });
  }

  /**
   * The answer: the stored state, joined with the states of replicas that acknowledged holding
   * something else (they saw writes this vnode missed); the vnode learns them too.
   */
  private answer(
    q: number,
    key: string,
    state: S,
    stateBytes: Uint8Array,
    delta: S,
    deltaBytes: Uint8Array,
    differing: readonly S[],
  ): Coordinated<S> {
    if (differing.length === 0) return { state, delta, stateBytes, deltaBytes };
    let joined = state;
    for (const s of differing) joined = this.d.type.join(joined, s);
    if (this.d.type.equals(joined, state)) return { state, delta, stateBytes, deltaBytes };
    this.d.vnodes.mergeWith(q, key, joined, () => {}); // best effort: a read or AAE repairs it otherwise
    return { state: joined, delta, stateBytes: undefined, deltaBytes };
  }

  /**
   * Merges a client delta (already stamped with the client's own actor) at W replicas. A replica
   * lacking the delta's causal past gets the full state instead: `full` (the state after the delta,
   * when the caller already joined it into its quorum read), else a quorum read joined with the
   * delta, computed only when a replica needs it. A delta whose past not even the read holds
   * rejects with the type's causal-gap error.
   */
  mergeDelta(
    key: string,
    delta: S,
    read: (key: string) => Promise<S>,
    options?: WriteOptions & { full?: S },
  ): Promise<{ state: S }> {
    validateKey(key);
    const o = resolveRequestOptions(this.d.config, options);
    ensureStarted(this.d);
    this.d.counters.merges++;
    const entries = this.d.preferenceList(key);
    let full: Promise<Uint8Array> | undefined;
    const fullState = (): Promise<Uint8Array> => {
      full ??= (async () => this.d.type.encode(options?.full ?? this.d.type.join(await read(key), delta)))();
      return full;
    };
    return new Promise((resolve, reject) =>
      replicate(
        this.d,
        { key, delta, entries, w: o.w, pw: o.pw, timeoutMs: o.timeoutMs, done: -1, full: fullState },
        (err, states) => {
          if (states === undefined) return reject(err);
          let state = this.d.type.empty();
          for (const s of states) state = this.d.type.join(state, s);
          resolve({ state });
        },
      ),
    );
  }
}
