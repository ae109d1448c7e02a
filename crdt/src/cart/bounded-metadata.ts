/**
 * Helpers for keeping causal metadata bounded (README, "Bounded metadata"). A cart's context holds
 * one interval per actor when deltas arrive in causal order (more only across gaps), so it grows
 * with the number of actors that ever wrote, never with the number of operations. Retiring actors
 * that have no live entries and that every replica has seen identically removes even that.
 */
import type { CausalContext } from '../causal/causal-context.js';
import type { ActorId } from '../causal/dot.js';
import { intervalsEqual } from '../causal/interval-set.js';
import type { CartState } from './cart-state.js';

/**
 * Actors of `state` without live entries whose dots every one of `replicaContexts` has seen exactly
 * as `state` has (so no replica holds or awaits anything of theirs). The caller must also know that
 * they will never write again before passing them to `Cart.retireActors` on every replica.
 */
export function retirableActors(state: CartState, replicaContexts: readonly CausalContext[]): ActorId[] {
  const live = new Set<ActorId>();
  for (const line of state._lines.values()) for (const e of line.entries) live.add(e.actor);
  return state._ctx.actors().filter((a) => {
    if (live.has(a)) return false;
    const mine = state._ctx._intervals(a)!;
    return replicaContexts.every((c) => {
      const theirs = c._intervals(a);
      return theirs !== undefined && intervalsEqual(theirs, mine);
    });
  });
}
