/**
 * Persistence of a client replica. One interface, several backends (IndexedDB through
 * browser-level, memory-level, classic-level), all of which run the conformance suite in
 * `../testing.ts` — the abstract-level pattern of one contract plus a shared test suite.
 *
 * Layout per replica: device meta, a snapshot of the cart state, and an append-only log of
 * deltas applied since the snapshot (local changes and remote ones). Local entries also carry a
 * "pending" mark until the server acknowledges them. Appending a delta is one small write, so
 * every change is durable before it is reported done without rewriting the whole cart; the
 * log is folded into the snapshot by `compact` from time to time.
 */

/** Device identity and credentials of one replica (SPEC §3: POST /v1/devices). */
export interface ReplicaMeta {
  /** Registered device actor id; every local dot is minted with it. */
  readonly actor: string;
  /** Bearer token carrying `act`, used to open the sync socket. */
  readonly token?: string;
}

export interface LogEntry {
  /** Strictly increasing per replica, starting at 1. */
  readonly seq: number;
  /** Encoded CartDelta. */
  readonly delta: Uint8Array;
  /** True for a change made on this device (it stays pending until acknowledged). */
  readonly local: boolean;
}

export interface StoredReplica {
  readonly meta: ReplicaMeta | undefined;
  readonly snapshot: Uint8Array | undefined;
  /** Log entries after the snapshot, ascending by seq. */
  readonly log: readonly LogEntry[];
  /** Seqs of local changes the server has not acknowledged, ascending. Survives compaction. */
  readonly pending: readonly number[];
  /** Highest seq ever appended (0 if none); also survives compaction. */
  readonly lastSeq: number;
}

export interface ReplicaStore {
  /** Short backend name for diagnostics ("indexeddb", "memory", "level"). */
  readonly kind: string;
  open(): Promise<void>;
  close(): Promise<void>;
  /** Everything stored for `replicaKey`; an empty replica when nothing is. */
  load(replicaKey: string): Promise<StoredReplica>;
  putMeta(replicaKey: string, meta: ReplicaMeta): Promise<void>;
  /** Atomically stores the entry and, for a local one, its pending mark. Resolves once durable. */
  append(replicaKey: string, entry: LogEntry): Promise<void>;
  /** Drops the pending marks of `seqs` (unknown seqs are ignored). */
  acknowledge(replicaKey: string, seqs: readonly number[]): Promise<void>;
  /** Atomically replaces the snapshot and drops log entries with seq ≤ `throughSeq`. */
  compact(replicaKey: string, snapshot: Uint8Array, throughSeq: number): Promise<void>;
  /** Removes everything stored for `replicaKey`. */
  clear(replicaKey: string): Promise<void>;
}

const KEY = /^[A-Za-z0-9._:@/-]{1,200}$/;

/** Replica keys are user-supplied: keep them short and free of the backends' separators. */
export function assertReplicaKey(key: string): void {
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new TypeError('replica key must be 1-200 chars of [A-Za-z0-9._:@/-]');
  }
}

export function assertSeq(seq: number, name = 'seq'): void {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new TypeError(`${name} must be a safe integer ≥ 0`);
}
