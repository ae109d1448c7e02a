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
 * `state` with every dot of `from` (context, entries, dependencies) renamed to `to`. `to` may
 * already hold dots of its own when their counters do not overlap those of `from` (a replica that
 * went on minting under `to` after `Cart.fromState(renamed, { actor: to })` continues after the
 * renamed counters, so renaming again — e.g. a log replayed after a crash — is safe). Throws
 * CrdtInvalidOpError when the two histories overlap.
 */
export function reassignActor(state: CartState, from: ActorId, to: ActorId): CartState {
  checkActorId(from);
  checkActorId(to);
  if (from === to) return state;
  const json = cartToJSON(state);
  const moved = json.context[from];
  if (moved === undefined) return state;
  const ranges = [...moved, ...(json.context[to] ?? [])].sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [lo, hi] of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && lo <= last[1]) {
      throw new CrdtInvalidOpError(`actor ${to} already has dots that overlap those of ${from}`);
    }
    if (last !== undefined && lo === last[1] + 1) last[1] = hi;
    else merged.push([lo, hi]);
  }
  const rename = (actor: ActorId): ActorId => (actor === from ? to : actor);
  const context: Record<ActorId, Array<[number, number]>> = {};
  for (const [a, r] of Object.entries(json.context)) if (a !== from && a !== to) context[a] = r;
  context[to] = merged;
  const out: CartJSON = {
    version: json.version,
    context,
    lines: Object.fromEntries(
      Object.entries(json.lines).map(([pid, entries]) => [
        pid,
        entries.map((e) => ({ ...e, actor: rename(e.actor) })),
      ]),
    ),
  };
  if (json.deps !== undefined) {
    const deps: Record<ActorId, number> = {};
    for (const [a, c] of Object.entries(json.deps)) deps[rename(a)] = Math.max(deps[rename(a)] ?? 0, c);
    out.deps = deps;
  }
  return cartFromJSON(out);
}
