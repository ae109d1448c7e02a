import { type CartState, type CausalContext, cartToJSON } from '@cartwheel/crdt';
import { dotId, parseDotId } from './dot-id.js';
import type { ObservedLine, ReadOutcome, SimCartOp, VersionVector, WriteOutcome } from './store.js';

/** Highest counter per actor: a context with its gaps filled (see VersionVector). */
export function maxCounters(ctx: CausalContext): VersionVector {
  const out: Record<string, number> = {};
  for (const actor of ctx.actors()) out[actor] = ctx.max(actor);
  return out;
}

/** Where an operation was minted: what its minter had seen (own dot included) and, if known, who. */
export interface Mint {
  readonly context: VersionVector;
  readonly actor: string | undefined;
}

/**
 * The mint of an operation a node coordinated, read off its delta alone. A delta carries its
 * dependencies (`CartState.dependencies()`: the contiguous prefix, per actor, of the state it was
 * minted against) and its own dots, so the two together are what the minter had seen. Every dot
 * the operation observed was in that state, and its own dot is above everything its actor had
 * minted: when exactly one dot of the delta lies above the dependencies, it is the minted one.
 *
 * (The state `ReplicaNode.update` answers with is no stamp: it also joins what the quorum's
 * replicas held, writes the operation never saw — read-your-writes answers, crdt 82437ef.)
 */
export function mintOf(delta: CartState): Mint {
  const deps = delta.dependencies() ?? new Map<string, number>();
  const ctx = delta.context();
  const context: Record<string, number> = Object.fromEntries(deps);
  let actor: string | undefined;
  let above = 0;
  for (const a of ctx.actors()) {
    const max = ctx.max(a);
    if ((context[a] ?? 0) < max) context[a] = max;
    for (const [lo, hi] of ctx.rangesOf(a)) {
      const from = Math.max(lo, (deps.get(a) ?? 0) + 1);
      if (hi >= from) {
        above += hi - from + 1;
        actor = a;
      }
    }
  }
  return { context, actor: above === 1 ? actor : undefined };
}

/** The mint of a device's operation: its replica's state after the op (a device sees its own). */
export function deviceMint(state: CausalContext, actor: string): Mint {
  return { context: maxCounters(state), actor };
}

/**
 * What a Cartwheel delta tells the checkers: an add or set-quantity minted one INC / SET entry
 * (its dot is the write id); a remove, clear or set-quantity carries in its causal context the
 * dots it observed and so removed (observed-remove, Riak's ORSWOT / delta-CRDT DotFun).
 *
 * `mint.actor`, when known, names the minter: a remove or clear mints a dot that no entry carries,
 * and only the actor tells it apart from the observed dots (when it is not known, the remove
 * reports its own dot among `observed` and the checkers allow for that).
 */
export function writeOutcome(delta: CartState, op: SimCartOp, mint: Mint): WriteOutcome {
  let writeId: string | undefined;
  if (op.type === 'add' || op.type === 'setQuantity') {
    const kind = op.type === 'add' ? 'inc' : 'set';
    const entry = cartToJSON(delta).lines[op.productId]?.find((e) => e.kind === kind);
    if (entry !== undefined) writeId = dotId(entry.actor, entry.counter);
  }
  const context = delta.context();
  const actor = mint.actor;
  const dot = writeId ?? (actor === undefined ? undefined : dotId(actor, context.max(actor)));
  const observed: string[] = [];
  if (op.type !== 'add')
    for (const a of context.actors())
      for (const [lo, hi] of context.rangesOf(a))
        for (let c = lo; c <= hi; c++) {
          const id = dotId(a, c);
          if (id !== dot) observed.push(id);
        }
  return { writeId, observed, causal: { dot, context: mint.context } };
}

/** Visible lines with the dots of their live INC / SET entries. */
export function observedLines(state: CartState): ObservedLine[] {
  const json = cartToJSON(state);
  return state.lines().map((line) => ({
    productId: line.productId,
    quantity: line.quantity,
    ids: (json.lines[line.productId] ?? [])
      .filter((e) => e.kind !== 'meta')
      .map((e) => dotId(e.actor, e.counter)),
  }));
}

export function readOutcome(state: CartState, versions: number): ReadOutcome {
  const ctx = state.context();
  return {
    lines: observedLines(state),
    seen: (id) => {
      const dot = parseDotId(id);
      return dot !== undefined && ctx.hasDot(dot.actor, dot.counter);
    },
    versions,
  };
}
