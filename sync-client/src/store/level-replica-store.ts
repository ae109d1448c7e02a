/**
 * ReplicaStore on the slice of the abstract-level API it needs (`ReplicaLevel`): IndexedDB
 * (indexeddb-level.ts) in browsers, a Map (in-memory-level.ts), or any abstract-level database
 * such as classic-level on disk in Node. The database must use utf8 keys and `view`
 * (Uint8Array) values.
 */
import { SyncClientError } from '../errors.js';
import {
  assertReplicaKey,
  assertSeq,
  type LogEntry,
  parseReplicaMeta,
  type ReplicaMeta,
  type ReplicaStore,
  replicaMetaJSON,
  type StoredReplica,
} from './replica-store.js';

type BatchOp = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };
type Range = { gt?: string; gte?: string; lt?: string; lte?: string };

/**
 * The part of the abstract-level API the store uses. Structural, so browser-level,
 * memory-level and classic-level instances (utf8 keys, `view` values) fit, as do the package's own
 * IndexedDB and in-memory adapters.
 */
export interface ReplicaLevel {
  readonly status: string;
  open(): Promise<void>;
  close(): Promise<void>;
  getMany(keys: string[]): Promise<(Uint8Array | undefined)[]>;
  put(key: string, value: Uint8Array): Promise<void>;
  batch(operations: BatchOp[]): Promise<void>;
  iterator(options: Range): AsyncIterable<[string, Uint8Array]>;
  keys(options: Range): AsyncIterable<string>;
  clear(options: Range): Promise<void>;
}

// Key layout under "<replicaKey>!": m (meta), s (snapshot), q (last seq), l!<seq> (log),
// p!<seq> (pending). Seqs are zero-padded hex so lexicographic order is numeric order.
const pad = (seq: number): string => seq.toString(16).padStart(14, '0');
const k = (replica: string, suffix: string): string => `${replica}!${suffix}`;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function corrupt(message: string, cause?: unknown): never {
  throw new SyncClientError('SYNC_STORE_CORRUPT', message, { cause });
}

function parseMeta(bytes: Uint8Array): ReplicaMeta {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    corrupt('replica meta is not JSON', error);
  }
  return parseReplicaMeta(value, corrupt);
}

function seqFromKey(key: string): number {
  const seq = Number.parseInt(key.slice(key.lastIndexOf('!') + 1), 16);
  if (!Number.isSafeInteger(seq)) corrupt(`bad log key ${key}`);
  return seq;
}

export class LevelReplicaStore implements ReplicaStore {
  readonly kind: string;
  readonly #db: ReplicaLevel;
  #closed = false;

  constructor(db: ReplicaLevel, kind = 'level') {
    this.#db = db;
    this.kind = kind;
  }

  async open(): Promise<void> {
    await this.#db.open();
    this.#closed = false;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#db.close();
  }

  #check(key: string): void {
    assertReplicaKey(key);
    if (this.#closed || this.#db.status === 'closed' || this.#db.status === 'closing') {
      throw new SyncClientError('SYNC_STORE_CLOSED', `${this.kind} replica store is closed`);
    }
  }

  async load(replicaKey: string): Promise<StoredReplica> {
    this.#check(replicaKey);
    const [metaBytes, snapshot, lastBytes] = await this.#db.getMany([
      k(replicaKey, 'm'),
      k(replicaKey, 's'),
      k(replicaKey, 'q'),
    ]);
    const log: LogEntry[] = [];
    for await (const [key, value] of this.#db.iterator({
      gt: k(replicaKey, 'l!'),
      lt: k(replicaKey, 'l"'),
    })) {
      if (value.length < 1 || (value[0] !== 0 && value[0] !== 1)) corrupt(`bad log entry ${key}`);
      log.push({ seq: seqFromKey(key), local: value[0] === 1, delta: value.slice(1) });
    }
    const pending: number[] = [];
    for await (const key of this.#db.keys({ gt: k(replicaKey, 'p!'), lt: k(replicaKey, 'p"') })) {
      pending.push(seqFromKey(key));
    }
    const lastSeq = lastBytes === undefined ? 0 : Number(decoder.decode(lastBytes));
    if (!Number.isSafeInteger(lastSeq)) corrupt('bad last seq');
    return {
      meta: metaBytes === undefined ? undefined : parseMeta(metaBytes),
      snapshot,
      log,
      pending,
      lastSeq,
    };
  }

  async putMeta(replicaKey: string, meta: ReplicaMeta): Promise<void> {
    this.#check(replicaKey);
    await this.#db.put(k(replicaKey, 'm'), encoder.encode(replicaMetaJSON(meta)));
  }

  async append(replicaKey: string, entry: LogEntry): Promise<void> {
    this.#check(replicaKey);
    assertSeq(entry.seq);
    if (!(entry.delta instanceof Uint8Array)) throw new TypeError('entry.delta must be a Uint8Array');
    const value = new Uint8Array(entry.delta.length + 1);
    value[0] = entry.local ? 1 : 0;
    value.set(entry.delta, 1);
    const ops: BatchOp[] = [
      { type: 'put', key: k(replicaKey, `l!${pad(entry.seq)}`), value },
      { type: 'put', key: k(replicaKey, 'q'), value: encoder.encode(String(entry.seq)) },
    ];
    if (entry.local)
      ops.push({ type: 'put', key: k(replicaKey, `p!${pad(entry.seq)}`), value: new Uint8Array(0) });
    await this.#db.batch(ops);
  }

  async acknowledge(replicaKey: string, seqs: readonly number[]): Promise<void> {
    this.#check(replicaKey);
    if (seqs.length === 0) return;
    for (const seq of seqs) assertSeq(seq);
    await this.#db.batch(seqs.map((seq): BatchOp => ({ type: 'del', key: k(replicaKey, `p!${pad(seq)}`) })));
  }

  async compact(replicaKey: string, snapshot: Uint8Array, throughSeq: number): Promise<void> {
    this.#check(replicaKey);
    assertSeq(throughSeq, 'throughSeq');
    const ops: BatchOp[] = [{ type: 'put', key: k(replicaKey, 's'), value: snapshot }];
    for await (const key of this.#db.keys({
      gt: k(replicaKey, 'l!'),
      lte: k(replicaKey, `l!${pad(throughSeq)}`),
    })) {
      ops.push({ type: 'del', key });
    }
    await this.#db.batch(ops);
  }

  async clear(replicaKey: string): Promise<void> {
    this.#check(replicaKey);
    await this.#db.clear({ gt: k(replicaKey, ''), lt: k(replicaKey, '\uffff') });
  }
}
