/**
 * Helpers for keeping causal metadata bounded (README, "Bounded metadata"). Under the delivery
 * contract a cart's context is one interval per actor (a version vector), so it grows with the
 * number of actors that ever wrote, never with the number of operations. Retiring actors replaces
 * their entry with a marker that also drops any late delta of theirs.
 */
import type { CausalContext } from '../causal/causal-context.js';
import type { ActorId } from '../causal/dot.js';
import { contextOf, listsOf } from '../types/dot-store.js';
import type { CartState } from './cart-state.js';

/**
 * Actors of `state` without live entries, provided every one of `replicaContexts` covers the
 * state's whole context — so every replica has seen every remove this state has seen and none can
 * still hold an entry of theirs (a replica that lacks a remove would keep the entry, and retiring
 * would then let it come back everywhere). Empty otherwise. The caller must also know that they
 * will never write again before passing them to `Cart.retireActors` on every replica.
 */
export function retirableActors(state: CartState, replicaContexts: readonly CausalContext[]): ActorId[] {
  const ctx = contextOf(state);
  if (!replicaContexts.every((c) => c.covers(ctx))) return [];
  const live = new Set<ActorId>();
  for (const line of listsOf(state).values()) for (const e of line.entries) live.add(e.actor);
  return ctx.actors().filter((a) => !live.has(a) && !ctx.isRetired(a));
}
