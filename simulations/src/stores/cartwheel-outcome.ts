import { type CartState, type CausalContext, cartToJSON } from '@cartwheel/crdt';
import { dotId, parseDotId } from './dot-id.js';
import type { ObservedLine, ReadOutcome, SimCartOp, VersionVector, WriteOutcome } from './store.js';

/** Highest counter per actor: a context with its gaps filled (see VersionVector). */
export function maxCounters(ctx: CausalContext): VersionVector {
  const out: Record<string, number> = {};
  for (const actor of ctx.actors()) out[actor] = ctx.max(actor);
  return out;
}

/**
 * What a Cartwheel delta tells the checkers: an add or set-quantity minted one INC / SET entry
 * (its dot is the write id); a remove, clear or set-quantity carries in its causal context the
 * dots it observed and so removed (observed-remove, Riak's ORSWOT / delta-CRDT DotFun).
 *
 * `minted` is the context of the state the operation was applied to, with its own dot. `actor`,
 * when known, names the minter: a remove or clear mints a dot that no entry carries, and only the
 * actor tells it apart from the observed dots (the MintLog knows a coordinator's actor; should an
 * op's mint be unknown, its remove reports its own dot among `observed` and the checkers allow
 * for that).
 */
export function writeOutcome(
  delta: CartState,
  op: SimCartOp,
  minted: CausalContext,
  actor?: string,
): WriteOutcome {
  let writeId: string | undefined;
  if (op.type === 'add' || op.type === 'setQuantity') {
    const kind = op.type === 'add' ? 'inc' : 'set';
    const entry = cartToJSON(delta).lines[op.productId]?.find((e) => e.kind === kind);
    if (entry !== undefined) writeId = dotId(entry.actor, entry.counter);
  }
  const context = delta.context();
  const dot = writeId ?? (actor === undefined ? undefined : dotId(actor, context.max(actor)));
  const observed: string[] = [];
  if (op.type !== 'add')
    for (const a of context.actors())
      for (const [lo, hi] of context.rangesOf(a))
        for (let c = lo; c <= hi; c++) {
          const id = dotId(a, c);
          if (id !== dot) observed.push(id);
        }
  return { writeId, observed, causal: { dot, context: maxCounters(minted) } };
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
