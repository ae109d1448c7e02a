/**
 * Errors of @cartwheel/crdt. Every error has a stable `code` (documented in crdt/README.md) so that
 * callers (the cart server's HTTP layer, the sync client) can map them without parsing messages.
 * Programmer misuse (wrong argument types) throws a plain `TypeError` instead.
 */
export class CrdtError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CrdtError';
    this.code = code;
  }
}

/** Bytes (or JSON) that are not a valid encoding: truncated, corrupt, oversized or hostile input. */
export class CrdtDecodeError extends CrdtError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CRDT_DECODE_ERROR', message, options);
    this.name = 'CrdtDecodeError';
  }
}

/** An operation that violates the type's invariants (empty product id, quantity out of range, ...). */
export class CrdtInvalidOpError extends CrdtError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CRDT_INVALID_OP', message, options);
    this.name = 'CrdtInvalidOpError';
  }
}

/** A documented size bound was exceeded (too many dots to enumerate, too many actors, ...). */
export class CrdtLimitError extends CrdtError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CRDT_LIMIT_EXCEEDED', message, options);
    this.name = 'CrdtLimitError';
  }
}

/**
 * A delta whose causal past the receiver lacks (README, "Delivery contract"). Nothing was changed;
 * `missing` names the dots to fetch first (or send the receiver's context to the sender and join
 * what it answers: a full state or `deltaSince` always applies).
 */
export class CrdtCausalGapError extends CrdtError {
  readonly missing: ReadonlyMap<string, readonly [number, number]>;
  constructor(missing: ReadonlyMap<string, readonly [number, number]>, options?: { cause?: unknown }) {
    const first = [...missing].slice(0, 3).map(([a, [lo, hi]]) => `${a}:${lo}..${hi}`);
    super(
      'CRDT_CAUSAL_GAP',
      `delta depends on dots this replica has not seen (${first.join(', ')}${missing.size > 3 ? ', ...' : ''})`,
      options,
    );
    this.name = 'CrdtCausalGapError';
    this.missing = missing;
  }
}

// ---------------------------------------------------------------- replication core

export type ReplicationErrorCode =
  | 'QUORUM_NOT_MET'
  | 'REPLICATION_DECODE_ERROR'
  | 'REPLICATION_STOPPED'
  | 'REPLICATION_STORAGE_ERROR'
  | 'REPLICATION_BAD_REQUEST';

/** Errors of the replication core (quorums, storage, stopped nodes, undecodable peer messages). */
export class ReplicationError extends CrdtError {
  declare readonly code: ReplicationErrorCode;
  constructor(code: ReplicationErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ReplicationError';
  }
}

export interface QuorumDetails {
  /** How many replies the request needed (R or W, or PR/PW when those failed). */
  readonly needed: number;
  /** How many replicas replied (or durably stored, for writes) before the deadline. */
  readonly replied: number;
  /** How many of those replies came from primaries. */
  readonly primaries: number;
  /** Which requirement failed. */
  readonly kind: 'r' | 'w' | 'pr' | 'pw' | 'coordinator';
}

/** Fewer replicas than required answered in time (or too few are reachable to even try). */
export class QuorumError extends ReplicationError {
  readonly needed: number;
  readonly replied: number;
  readonly primaries: number;
  readonly kind: QuorumDetails['kind'];
  constructor(details: QuorumDetails, message?: string, options?: { cause?: unknown }) {
    super(
      'QUORUM_NOT_MET',
      message ??
        `quorum not met (${details.kind}): needed ${details.needed}, ` +
          `${details.replied} replied (${details.primaries} primaries)`,
      options,
    );
    this.name = 'QuorumError';
    this.needed = details.needed;
    this.replied = details.replied;
    this.primaries = details.primaries;
    this.kind = details.kind;
  }
}

/** Bytes from the network or storage that are not a valid message/record. */
export class ReplicationDecodeError extends ReplicationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('REPLICATION_DECODE_ERROR', message, options);
    this.name = 'ReplicationDecodeError';
  }
}
