/**
 * An immutable cart value: lines (product id → dot store list) plus the causal context of
 * everything seen, and for a delta the version vector its minter had seen (its dependencies). A
 * delta is the same shape (delta-state CRDTs: a delta is a state), so deltas join, encode and
 * validate exactly like full states.
 */
import { CausalContext } from '../causal/causal-context.js';
import {
  DotStoreState,
  joinStates,
  listsOf,
  type StoreKind,
  statesEqual,
  type VersionVector,
} from '../types/dot-store.js';
import { CART_ENTRY_ORDER, type Entry, type Line, lineMeta, lineQuantity } from './line.js';
import type { LineMeta } from './validate.js';

export interface CartLine {
  readonly productId: string;
  readonly quantity: number;
  readonly meta?: LineMeta;
}

export class CartState extends DotStoreState<Entry> {
  static empty(): CartState {
    return new CartState(new Map(), new CausalContext());
  }

  /** Visible lines sorted by product id. */
  lines(): CartLine[] {
    return visibleLines(listsOf(this));
  }

  get(productId: string): CartLine | undefined {
    const line = listsOf(this).get(productId);
    return line === undefined ? undefined : toCartLine(productId, line);
  }

  get size(): number {
    return countVisible(listsOf(this));
  }

  equals(other: CartState): boolean {
    return statesEqual(CART_ENTRY_ORDER, this, other);
  }
}

export type CartDelta = CartState;

/** The store kind of carts: its entry order and its state class. */
export const CART_KIND: StoreKind<Entry, CartState> = {
  order: CART_ENTRY_ORDER,
  make: (lines: ReadonlyMap<string, Line>, ctx: CausalContext, deps?: VersionVector) =>
    new CartState(lines, ctx, deps),
};

export function toCartLine(productId: string, line: Line): CartLine | undefined {
  const quantity = lineQuantity(line);
  if (quantity === 0) return undefined;
  const meta = lineMeta(line);
  return meta === undefined ? { productId, quantity } : { productId, quantity, meta };
}

export function visibleLines(lines: ReadonlyMap<string, Line>): CartLine[] {
  const out: CartLine[] = [];
  for (const [pid, line] of lines) {
    const l = toCartLine(pid, line);
    if (l) out.push(l);
  }
  return out.sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
}

export function countVisible(lines: ReadonlyMap<string, Line>): number {
  let n = 0;
  for (const line of lines.values()) if (lineQuantity(line) > 0) n++;
  return n;
}

/**
 * Join of two cart values without mutating either: two deltas compose into one delta (their
 * dependencies joined, e.g. a batch), a state and a delta give a state when the state holds the
 * delta's causal past (CrdtCausalGapError otherwise), two states give a state.
 */
export function joinCartStates(a: CartState, b: CartState): CartState {
  return joinStates(CART_KIND, a, b);
}
