import { type CausalContext, intervalsOf } from '../causal/causal-context.js';
import type { Dot } from '../causal/dot.js';
import { differenceIntervals } from '../causal/interval-set.js';
import { LIMITS } from '../codec/limits.js';
import { CrdtLimitError } from '../errors.js';
import { conflictingDots, contextOf } from '../types/dot-store.js';
import { CartState } from './cart-state.js';
import { CART_ENTRY_ORDER } from './line.js';

/**
 * Dots in `delta` (its context, which covers its entries) that `known` has not seen, grouped by
 * actor (actors sorted, counters ascending). The cart server uses it to check that a device only
 * mints dots of its own actor. Refuses (CRDT_LIMIT_EXCEEDED) to enumerate more than
 * LIMITS.maxEnumeratedDots, since a compact context can name 2^53 dots in a few bytes.
 */
export function newDots(delta: CartState, known: CausalContext): Dot[] {
  if (!(delta instanceof CartState)) throw new TypeError('newDots expects a CartDelta');
  const out: Dot[] = [];
  const ctx = contextOf(delta);
  for (const actor of ctx.actors()) {
    const iv = intervalsOf(ctx, actor)!;
    const kv = intervalsOf(known, actor);
    const d = kv === undefined ? iv : differenceIntervals(iv, kv);
    for (let k = 0; k < d.length; k += 2) {
      if (out.length + (d[k + 1]! - d[k]! + 1) > LIMITS.maxEnumeratedDots) {
        throw new CrdtLimitError(`delta introduces more than ${LIMITS.maxEnumeratedDots} new dots`);
      }
      for (let c = d[k]!; c <= d[k + 1]!; c++) out.push({ actor, counter: c });
    }
  }
  return out;
}

/** The actors that `delta` introduces new dots for (cheap: no enumeration). */
export function newDotActors(delta: CartState, known: CausalContext): string[] {
  const out: string[] = [];
  const ctx = contextOf(delta);
  for (const actor of ctx.actors()) {
    const kv = intervalsOf(known, actor);
    const iv = intervalsOf(ctx, actor)!;
    if (kv === undefined || differenceIntervals(iv, kv).length > 0) out.push(actor);
  }
  return out;
}

/**
 * Dots `delta` re-sends with a payload other than the one `state` holds for them (a forgery: an
 * honest replica never mints one dot twice). The cart server refuses a device delta that has any.
 */
export function conflictingCartDots(state: CartState, delta: CartState): Dot[] {
  if (!(state instanceof CartState) || !(delta instanceof CartState)) {
    throw new TypeError('conflictingCartDots expects two CartStates');
  }
  return conflictingDots(CART_ENTRY_ORDER, state, delta);
}
