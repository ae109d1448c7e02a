/**
 * One replication round of a write, after riak_kv_put_fsm: send the delta to every replica of the
 * key that does not hold it yet, and report success once W of them (PW primaries) stored it
 * durably. The round then keeps listening until every remote replica acknowledged or the deadline
 * passed, and reports the ones that never did so the node keeps a hint for them.
 *
 * Delivery contract (crdt README): a replica that refuses the delta (it lacks the delta's causal
 * past, or failed to store) is sent the full state once before its refusal counts.
 *
 * Read-your-writes: with `unless`, the coordinator's digest of its own state after the join, a
 * replica answers with its state only when it holds something else; the round hands those states
 * back so the caller can join what a quorum knows into its answer.
 */
import type { QuorumError } from '../../errors.js';
import type { Done } from '../node/vnode.js';
import type { PreflistEntry } from '../ring/preference-list.js';
import { putMessage, type StateDigest } from '../wire/messages.js';
import type { CoordinatorDeps } from './coordinator-deps.js';
import { quorumFailed, stoppedError } from './coordinator-deps.js';
import { PutFsm } from './put-fsm.js';
import type { OpenRequest } from './request-table.js';

export interface ReplicateRequest<S> {
  readonly key: string;
  readonly delta: S;
  readonly entries: readonly PreflistEntry[];
  readonly w: number;
  readonly pw: number;
  readonly timeoutMs: number;
  /** Index of the entry that already stored the delta (the minting vnode), or -1. */
  readonly done: number;
  /** The full state, for a replica that refuses the delta (may reject: the caller learns why). */
  readonly full: () => Uint8Array | Promise<Uint8Array>;
  /** The delta's encoding, when the caller has it. */
  readonly deltaBytes?: Uint8Array;
  /** Ask replicas for their state unless it has this digest (see above). */
  readonly unless?: StateDigest;
}

/**
 * Runs the round; `cb` gets the states replicas reported (local merges, remote replies that
 * carried a state) once W acknowledged, or the error.
 */
export function replicate<S, Op>(d: CoordinatorDeps<S, Op>, q: ReplicateRequest<S>, cb: Done<S[]>): void {
  const { key, delta, entries } = q;
  const states: S[] = [];
  const local = entries.some((e) => e.node === d.self);
  // Remote replicas that must return their state: all (no local replica to answer from) or, with
  // `unless`, those that differ.
  const returnState = !local || q.unless !== undefined;
  let bytes = q.deltaBytes;
  const deltaBytes = (): Uint8Array => {
    bytes ??= d.type.encode(delta);
    return bytes;
  };
  // Remote replicas yet to acknowledge: whoever is still missing when the round closes gets a hint.
  const unacked = new Set<number>();
  for (let i = 0; i < entries.length; i++) if (entries[i]!.node !== d.self) unacked.add(i);
  let settled = false;
  const settle = (err: unknown, res?: S[]): void => {
    if (settled) return;
    settled = true;
    cb(err, res);
  };
  let req: OpenRequest | undefined;
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    req?.close();
    if ((unacked.size > 0 || entries.length < d.config.n) && d.isStarted()) d.missed?.(key, entries, unacked);
  };
  const fsm = new PutFsm(entries, q.w, q.pw, (err: QuorumError | undefined) => {
    if (unacked.size === 0) close();
    if (err !== undefined) settle(quorumFailed(d, err));
    else settle(undefined, states);
  });
  if (fsm.isDone) {
    close(); // no quorum possible: nothing sent
    return;
  }

  /** Merges into a vnode of this node; acks on success, else calls `refused`. */
  const mergeHere = (i: number, e: PreflistEntry, state: S, refused: () => void): void =>
    d.vnodes.mergeWith(e.partition, key, state, (_err, res) => {
      if (res === undefined) return refused();
      if (fsm.isDone) return; // best effort after W: nothing waits for it
      states.push(res.state);
      fsm.ack(i, true);
    });
  const retried = new Set<number>();
  const sendFull = (i: number, e: PreflistEntry, id: number): void => {
    retried.add(i);
    Promise.resolve()
      .then(q.full)
      .then(
        (state) => {
          if (id !== 0 && fsm.isDone) return;
          if (e.node === d.self) mergeHere(i, e, d.type.decode(state), () => fsm.ack(i, false));
          else d.send(e.node, putMessage(id, e.partition, key, state, id !== 0 && returnState, q.unless));
        },
        (err: unknown) => {
          // not even a quorum read covers the delta: the caller learns why
          if (fsm.isDone) return;
          settle(err);
          fsm.timeout();
        },
      );
  };

  if (q.done >= 0) fsm.ack(q.done, true);
  if (fsm.isDone) {
    // W=1: already durable locally; still replicate to the others, best effort.
    entries.forEach((e, i) => {
      if (i === q.done) return;
      if (e.node === d.self) mergeHere(i, e, delta, () => sendFull(i, e, 0));
      else d.send(e.node, putMessage(0, e.partition, key, deltaBytes()));
    });
    unacked.clear(); // not tracked: only a missing primary gets a hint
    close();
    return;
  }
  const opened = d.requests.start(q.timeoutMs, {
    reply: (from, m) => {
      if (m.t !== 'put-reply') return;
      if (m.ok) unacked.delete(entries.findIndex((e) => e.node === from && e.partition === m.partition));
      if (m.ok && m.state !== undefined && !fsm.isDone) {
        try {
          states.push(d.type.decode(m.state));
        } catch {
          // A reply we cannot decode still acknowledged durable storage.
        }
      }
      const i = fsm.indexOf(from, m.partition);
      // After W a refusal gets no full state here (that may cost a quorum read): it stays
      // unacknowledged, and its hint delivers the coordinator's full state later.
      if (!m.ok && i >= 0 && !retried.has(i) && !fsm.isDone) sendFull(i, entries[i]!, opened.id);
      else fsm.ack(i, m.ok);
      if (fsm.isDone && unacked.size === 0) close();
    },
    timeout: () => {
      fsm.timeout();
      close();
    },
    stop: () => {
      settle(stoppedError(d.self));
      fsm.timeout();
    },
  });
  req = opened;
  entries.forEach((e, i) => {
    if (i === q.done) return;
    if (e.node === d.self) mergeHere(i, e, delta, () => sendFull(i, e, opened.id));
    else d.send(e.node, putMessage(opened.id, e.partition, key, deltaBytes(), returnState, q.unless));
  });
}
