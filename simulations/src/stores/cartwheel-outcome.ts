import { type CartState, cartToJSON } from '@cartwheel/crdt';
import type { ObservedLine, ReadOutcome, SimCartOp, WriteOutcome } from './store.js';

/** A dot as a write id: "actor@counter". */
export function dotId(actor: string, counter: number): string {
  return `${actor}@${counter}`;
}

/**
 * What a Cartwheel delta tells the checkers: an add or set-quantity minted one INC / SET entry
 * (its dot is the write id); a remove, clear or set-quantity carries in its causal context the
 * dots it observed and so removed (observed-remove, Riak's ORSWOT / delta-CRDT DotFun).
 */
export function writeOutcome(delta: CartState, op: SimCartOp): WriteOutcome {
  const json = cartToJSON(delta);
  let writeId: string | undefined;
  if (op.type === 'add' || op.type === 'setQuantity') {
    const kind = op.type === 'add' ? 'inc' : 'set';
    const entry = json.lines[op.productId]?.find((e) => e.kind === kind);
    if (entry !== undefined) writeId = dotId(entry.actor, entry.counter);
  }
  const observed: string[] = [];
  if (op.type !== 'add')
    for (const [actor, ranges] of Object.entries(json.context))
      for (const [lo, hi] of ranges)
        for (let c = lo; c <= hi; c++) {
          const id = dotId(actor, c);
          if (id !== writeId) observed.push(id);
        }
  return { writeId, observed };
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
      const at = id.lastIndexOf('@');
      return ctx.hasDot(id.slice(0, at), Number(id.slice(at + 1)));
    },
    versions,
  };
}
