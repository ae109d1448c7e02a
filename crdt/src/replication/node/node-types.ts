/** Types and argument checks shared by the ReplicaNode and its coordinator. */
import { isWellFormed } from '../../codec/writer.js';
import type { ReplicationConfig } from '../config.js';
import { MAX_KEY_BYTES } from '../wire/messages.js';

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
  /** Missed-replica hints recorded, delivered, and dropped at the bound (repair/hint-store.ts). */
  hintsRecorded: number;
  hintsDelivered: number;
  hintsDropped: number;
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  decodeErrors: number;
}

export function newCounters(): ReplicaCounters {
  return {
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
    hintsRecorded: 0,
    hintsDelivered: 0,
    hintsDropped: 0,
    messagesSent: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    decodeErrors: 0,
  };
}

/** Keys are non-empty strings whose UTF-8 form fits a message (at most 256 UTF-16 units). */
export function validateKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_BYTES / 4) {
    throw new TypeError(`key must be a non-empty string of at most ${MAX_KEY_BYTES / 4} characters`);
  }
  // the wire carries keys as UTF-8: a lone surrogate would not survive the trip
  if (!isWellFormed(key)) throw new TypeError('key must not contain a lone UTF-16 surrogate');
}

export interface RequestOptions {
  readonly r: number;
  readonly pr: number;
  readonly w: number;
  readonly pw: number;
  readonly timeoutMs: number;
}

/** Per-request quorum options over the node's defaults; misuse throws TypeError. */
export function resolveRequestOptions(
  c: ReplicationConfig,
  o: (ReadOptions & WriteOptions) | undefined,
): RequestOptions {
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
