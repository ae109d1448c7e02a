/**
 * Documented size bounds enforced by every decoder (and by the mutators where they apply). A value
 * beyond a bound is rejected with `CrdtDecodeError` (decoding) or `CrdtInvalidOpError` (mutating).
 * Besides these, every count read from the wire is checked against the bytes that remain, so a
 * decoder never allocates more than a small multiple of its input.
 */
export const LIMITS = {
  /** Distinct actors in one state, delta or context. */
  maxActors: 4096,
  /** Bytes of an actor id that is not a UUID. */
  maxActorBytes: 128,
  /** Intervals (dot ranges) in one context, all actors together. */
  maxIntervals: 1_000_000,
  /** Elements / keys / lines in one state. */
  maxEntries: 100_000,
  /**
   * Dots held by one element, line or register: room for every actor's own entries on one cart
   * line (an actor keeps at most 16 increments, one set and one meta live: 4096 × 18).
   */
  maxDotsPerEntry: 73_728,
  /** Characters of a product id (also bytes on the wire, UTF-8). */
  maxProductIdLength: 128,
  /** Bytes of an OR-Set element, map key or string register value. */
  maxStringBytes: 4096,
  /** Fields of one line's metadata. */
  maxMetaFields: 16,
  /** Characters of a metadata key. */
  maxMetaKeyLength: 64,
  /** Characters of a metadata string value. */
  maxMetaStringLength: 256,
  /** Largest dot counter (2^48): leaves room for relative and zigzag encodings below 2^53. */
  maxCounter: 2 ** 48,
  /** Dots `newDots` will enumerate before refusing with CRDT_LIMIT_EXCEEDED. */
  maxEnumeratedDots: 100_000,
} as const;
