/**
 * Moving a replica's own unshared history to another actor id. A device mints dots with an actor
 * id it chose itself before it ever reached a server (offline-first from the first start); when
 * the server refuses that id (another user claimed it first), the device continues under a fresh
 * id and re-mints its unsynced work under it. As long as no other replica has seen a dot of
 * `from`, renaming every dot of `from` to `to` yields exactly the state the device would have had
 * had it used `to` from the start: same entries, same counters, same timestamps, and nothing is
 * attributed to the actor's other owner.
 */
import { type ActorId, checkActorId } from '../causal/dot.js';
import { CrdtInvalidOpError } from '../errors.js';
import { type CartJSON, cartFromJSON, cartToJSON } from './cart-json.js';
import type { CartState } from './cart-state.js';

/**
 * `state` with every dot of `from` (context, entries, dependencies) renamed to `to`. Throws
 * CrdtInvalidOpError when `to` already appears in the state (the two histories would collide).
 */
export function reassignActor(state: CartState, from: ActorId, to: ActorId): CartState {
  checkActorId(from);
  checkActorId(to);
  if (from === to) return state;
  const json = cartToJSON(state);
  if (json.context[from] === undefined) return state;
  if (json.context[to] !== undefined || json.deps?.[to] !== undefined) {
    throw new CrdtInvalidOpError(`actor ${to} already has dots in this state`);
  }
  const rename = (actor: ActorId): ActorId => (actor === from ? to : actor);
  const out: CartJSON = {
    version: json.version,
    context: Object.fromEntries(Object.entries(json.context).map(([a, r]) => [rename(a), r])),
    lines: Object.fromEntries(
      Object.entries(json.lines).map(([pid, entries]) => [
        pid,
        entries.map((e) => ({ ...e, actor: rename(e.actor) })),
      ]),
    ),
  };
  if (json.deps !== undefined) {
    out.deps = Object.fromEntries(Object.entries(json.deps).map(([a, c]) => [rename(a), c]));
  }
  return cartFromJSON(out);
}
