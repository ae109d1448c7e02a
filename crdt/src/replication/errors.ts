/** Typed errors of the replication core. Codes are stable and documented in crdt/README.md. */

export type ReplicationErrorCode =
  | 'QUORUM_NOT_MET'
  | 'REPLICATION_DECODE_ERROR'
  | 'REPLICATION_STOPPED'
  | 'REPLICATION_STORAGE_ERROR'
  | 'REPLICATION_BAD_REQUEST';

export class ReplicationError extends Error {
  readonly code: ReplicationErrorCode;
  constructor(code: ReplicationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplicationError';
    this.code = code;
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
