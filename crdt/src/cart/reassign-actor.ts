/**
 * Moving a replica's own unshared history to another actor id. A device mints dots with an actor
 * id it chose itself before it ever reached a server (offline-first from the first start); when
 * the server refuses that id (another user claimed it first), the device continues under a fresh
 * id and re-mints its unsynced work under it. As long as no other replica has seen a dot of
 * `from`, renaming every dot of `from` to `to` yields exactly the state the device would have had
 * had it used `to` from the start: same entries, same counters, same timestamps, and nothing is
 * attributed to the actor's other owner.
 */
import type { CausalContext } from '../causal/causal-context.js';
import { type ActorId, checkActorId } from '../causal/dot.js';
import { CrdtInvalidOpError } from '../errors.js';
import { type CartJSON, cartFromJSON, cartToJSON } from './cart-json.js';
import type { CartState } from './cart-state.js';

/**
 * `state` with every dot of `from` (context, entries, dependencies) renamed to `to` — except,
 * with `keep`, the dots of `from` that `keep` holds (what a server already has under `from`:
 * only the unsynced rest moves, renumbered after `to`'s last dot; `state` must then be the
 * replica's full state, a moved dot range is only meaningful against all of `from`'s). `to` may
 * already hold dots of its own when their counters do not overlap those of `from` (a replica that
 * went on minting under `to` after `Cart.fromState(renamed, { actor: to })` continues after the
 * renamed counters, so renaming again — e.g. a log replayed after a crash — is safe). Throws
 * CrdtInvalidOpError when the two histories overlap.
 */
export function reassignActor(state: CartState, from: ActorId, to: ActorId, keep?: CausalContext): CartState {
  checkActorId(from);
  checkActorId(to);
  if (from === to) return state;
  const json = cartToJSON(state);
  const all = json.context[from];
  if (all === undefined) return state;
  const kept = keep === undefined ? [] : intersect(all, keep.rangesOf(from));
  const moved = subtract(all, kept);
  if (moved.length === 0) return state;
  const existing = json.context[to] ?? [];
  // Without `keep` every counter keeps its number (the device's own history, 1..n, becomes the
  // new actor's 1..n). With `keep` the moved dots are renumbered after the new actor's last one:
  // a receiver joins a delta only without a gap below its dots (delivery contract), and the kept
  // prefix would leave one.
  const renumber = new Map<number, number>();
  let targets: Ranges = moved;
  if (keep !== undefined) {
    let next = (existing[existing.length - 1]?.[1] ?? 0) + 1;
    const first = next;
    for (const [lo, hi] of moved) for (let c = lo; c <= hi; c++) renumber.set(c, next++);
    targets = [[first, next - 1]];
  }
  const ranges = [...targets, ...existing].sort((a, b) => a[0] - b[0]);
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
  const movedDot = (actor: ActorId, counter: number): boolean =>
    actor === from && (keep === undefined || !keep.hasDot(from, counter));
  const context: Record<ActorId, Array<[number, number]>> = {};
  for (const [a, r] of Object.entries(json.context)) if (a !== from && a !== to) context[a] = r;
  if (kept.length > 0) context[from] = kept;
  context[to] = merged;
  const out: CartJSON = {
    version: json.version,
    context,
    lines: Object.fromEntries(
      Object.entries(json.lines).map(([pid, entries]) => [
        pid,
        entries.map((e) =>
          movedDot(e.actor, e.counter)
            ? { ...e, actor: to, counter: renumber.get(e.counter) ?? e.counter }
            : e,
        ),
      ]),
    ),
  };
  if (json.deps !== undefined) {
    // A delta's dependencies: with dots of `from` kept, it still depends on them.
    const deps: Record<ActorId, number> = {};
    const name = kept.length > 0 ? (a: ActorId) => a : rename;
    for (const [a, c] of Object.entries(json.deps)) deps[name(a)] = Math.max(deps[name(a)] ?? 0, c);
    out.deps = deps;
  }
  return cartFromJSON(out);
}

type Ranges = Array<[number, number]>;

/** Sorted disjoint ranges ∩ sorted disjoint ranges. */
function intersect(a: Ranges, b: readonly (readonly [number, number])[]): Ranges {
  const out: Ranges = [];
  let j = 0;
  for (const [lo, hi] of a) {
    while (j < b.length && b[j]![1] < lo) j++;
    for (let k = j; k < b.length && b[k]![0] <= hi; k++) {
      out.push([Math.max(lo, b[k]![0]), Math.min(hi, b[k]![1])]);
    }
  }
  return out;
}

/** Sorted disjoint ranges − a sorted disjoint subset of them. */
function subtract(a: Ranges, cut: Ranges): Ranges {
  const out: Ranges = [];
  let j = 0;
  for (const [lo, hi] of a) {
    let start = lo;
    while (j < cut.length && cut[j]![1] < start) j++;
    let k = j;
    while (k < cut.length && cut[k]![0] <= hi) {
      if (cut[k]![0] > start) out.push([start, cut[k]![0] - 1]);
      start = Math.max(start, cut[k]![1] + 1);
      k++;
    }
    if (start <= hi) out.push([start, hi]);
  }
  return out;
}
