/**
 * How much one device delta may carry, and how far it may grow a cart. A device once poisoned its
 * own cart: 48 merges of ~23,000 single-dot ranges of its own actor (1, 3, 5, ...) pushed the
 * stored causal context past the decoder's 1,000,000 intervals, and from then on every read of
 * the cart failed. The design rule (DESIGN.md, crdt semantics): limits are enforced where states
 * grow — here, at the server boundary, before any replica stores anything — never discovered by a
 * reader later.
 *
 * Two checks, both pure:
 * - `checkDeltaShape`, right after decoding and before any I/O: a delta naming more context
 *   intervals or entries than a legitimate one can is refused with DELTA_TOO_LARGE (413).
 * - `checkCartGrowth`, on the state the replicas would store (the quorum read joined with the
 *   delta): a delta that takes the cart past a bound is refused with CART_TOO_LARGE (400) unless
 *   it does not grow that measure, so a cart already over a bound can always shrink or heal.
 *
 * Why the device's own ranges are bounded in the joined state rather than in the delta: a
 * legitimate catch-up delta (`deltaSince`) carries the device's context minus the live dots the
 * server already has, up to one range per live entry. What must stay small is the number of gaps
 * the cart records for one device actor: a device mints its counters in order and the sync
 * protocol resends whatever the server lacks, so its dots arrive as one run plus, for a moment, a
 * few gaps. Other actors cannot fragment the context through a device: a device may only
 * introduce dots of its own actor (FORBIDDEN_DOTS), so every other actor's ranges in a delta are
 * already in the cart's context.
 */
import { type CartState, type CausalContext, LIMITS } from '@cartwheel/crdt';
import { ApiError } from '../http/errors.js';

export interface DeltaBounds {
  /** Visible lines of a cart (`--max-lines-per-cart`). */
  readonly maxLines: number;
  /** Live entries (dots) of a cart, and of one delta. */
  readonly maxEntries: number;
  /** Actors in a cart's causal context. */
  readonly maxActors: number;
  /** Ranges of one device actor in a cart's causal context. */
  readonly maxActorRanges: number;
  /** Intervals (all actors) in one delta's causal context. */
  readonly maxDeltaIntervals: number;
}

/**
 * The bounds for a cart of at most `maxLinesPerCart` lines.
 *
 * - entries: 16 per line on average (the crdt folds an actor's increments on a line), and never
 *   more than the decoder accepts on one line, so no line of a bounded cart can fail to decode;
 * - actors: half the decoder's limit, leaving room for server vnode and order actors, which are
 *   not minted through this boundary;
 * - ranges per device actor: 64 (one run plus gaps in flight);
 * - delta intervals: a catch-up delta carries about one interval per live entry of the cart plus
 *   two per actor.
 */
export function deltaBounds(maxLinesPerCart: number): DeltaBounds {
  if (!Number.isSafeInteger(maxLinesPerCart) || maxLinesPerCart < 1) {
    throw new TypeError('deltaBounds needs maxLinesPerCart ≥ 1');
  }
  const maxEntries = Math.min(16 * maxLinesPerCart, LIMITS.maxDotsPerEntry, LIMITS.maxEntries);
  const maxActors = Math.floor(LIMITS.maxActors / 2);
  return {
    maxLines: maxLinesPerCart,
    maxEntries,
    maxActors,
    maxActorRanges: 64,
    maxDeltaIntervals: maxEntries + 2 * maxActors,
  };
}

/** Refuses (DELTA_TOO_LARGE) a decoded delta larger than any legitimate one. No I/O, O(delta). */
export function checkDeltaShape(delta: CartState, bounds: DeltaBounds): void {
  const intervals = delta.context().intervalCount();
  if (intervals > bounds.maxDeltaIntervals) {
    throw new ApiError(
      'DELTA_TOO_LARGE',
      `delta context holds ${intervals} intervals (at most ${bounds.maxDeltaIntervals})`,
    );
  }
  const entries = delta.entryCount;
  if (entries > bounds.maxEntries) {
    throw new ApiError('DELTA_TOO_LARGE', `delta holds ${entries} entries (at most ${bounds.maxEntries})`);
  }
}

/**
 * Refuses (CART_TOO_LARGE) the join of a device delta when it would take the cart past a bound
 * that the join grows. `before`/`beforeContext` are the quorum read, `after` the joined state and
 * `actor` the device's registered actor.
 */
export function checkCartGrowth(
  before: CartState,
  beforeContext: CausalContext,
  after: CartState,
  actor: string,
  bounds: DeltaBounds,
): void {
  const grows = (was: number, now: number, max: number, message: string): void => {
    if (now > max && now > was)
      throw new ApiError('CART_TOO_LARGE', `${message} (this delta would make ${now})`);
  };
  grows(before.size, after.size, bounds.maxLines, `a cart holds at most ${bounds.maxLines} lines`);
  grows(
    before.entryCount,
    after.entryCount,
    bounds.maxEntries,
    `a cart holds at most ${bounds.maxEntries} live entries`,
  );
  const afterContext = after.context();
  grows(
    beforeContext.actorCount,
    afterContext.actorCount,
    bounds.maxActors,
    `a cart's causal context holds at most ${bounds.maxActors} actors`,
  );
  grows(
    beforeContext.rangesOf(actor).length,
    afterContext.rangesOf(actor).length,
    bounds.maxActorRanges,
    `a cart records at most ${bounds.maxActorRanges} separate runs of one device's changes; ` +
      'send the changes this delta skips first',
  );
}
