/**
 * Persistence of a client replica. One interface, several backends (IndexedDB, in memory, any
 * abstract-level database such as classic-level on disk), all of which run the conformance suite in
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
  /**
   * The device's actor id; every local dot is minted with it. Chosen by the device on its first
   * start (so it works offline from the start) and claimed on first contact with the server.
   */
  readonly actor: string;
  /** Bearer token carrying `act`, used to open the sync socket; absent until the actor is claimed. */
  readonly token?: string;
  /**
   * Actor ids this device minted with before another user's claim took them: their dots are
   * re-minted under `actor` whenever stored state is loaded (a crash mid-way leaves nothing
   * under an actor the device does not own). At most 8, oldest first.
   */
  readonly replaced?: readonly string[];
  /**
   * An actor this device had synced with, then lost to another user's claim (a node lost the
   * binding): its dots the server lacks are moved under `actor` at the next welcome, when the
   * server's context says which those are.
   */
  readonly moving?: string;
}

/** A ReplicaMeta's JSON shape checked; `corrupt` raises the store's error. */
export function parseReplicaMeta(value: unknown, corrupt: (message: string) => never): ReplicaMeta {
  if (typeof value !== 'object' || value === null) corrupt('replica meta is not an object');
  const { actor, token, replaced, moving } = value as {
    actor?: unknown;
    token?: unknown;
    replaced?: unknown;
    moving?: unknown;
  };
  if (
    typeof actor !== 'string' ||
    (token !== undefined && typeof token !== 'string') ||
    (moving !== undefined && typeof moving !== 'string')
  ) {
    corrupt('replica meta has the wrong shape');
  }
  if (
    replaced !== undefined &&
    (!Array.isArray(replaced) || replaced.length > 8 || !replaced.every((a) => typeof a === 'string'))
  ) {
    corrupt('replica meta has the wrong shape');
  }
  return {
    actor,
    ...(token === undefined ? {} : { token }),
    ...(replaced === undefined ? {} : { replaced: replaced as string[] }),
    ...(moving === undefined ? {} : { moving }),
  };
}

/** The JSON a store keeps for `meta` (validated: programmer errors throw TypeError). */
export function replicaMetaJSON(meta: ReplicaMeta): string {
  if (typeof meta.actor !== 'string' || meta.actor.length === 0 || meta.actor.length > 200) {
    throw new TypeError('meta.actor must be a non-empty string');
  }
  if (meta.replaced !== undefined && (!Array.isArray(meta.replaced) || meta.replaced.length > 8)) {
    throw new TypeError('meta.replaced must be an array of at most 8 actor ids');
  }
  return JSON.stringify({
    actor: meta.actor,
    ...(meta.token === undefined ? {} : { token: meta.token }),
    ...(meta.replaced === undefined || meta.replaced.length === 0 ? {} : { replaced: meta.replaced }),
    ...(meta.moving === undefined ? {} : { moving: meta.moving }),
  });
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
