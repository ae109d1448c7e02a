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
