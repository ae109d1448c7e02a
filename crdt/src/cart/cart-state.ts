/**
 * An immutable cart value: lines (product id → dot store) plus the causal context of everything
 * seen. A delta is the same shape (delta-state CRDTs: a delta is a state), so deltas join, encode
 * and validate exactly like full states.
 */
import { CausalContext } from '../causal/causal-context.js';
import { type Line, lineMeta, lineQuantity, linesEqual } from './line.js';
import type { LineMeta } from './validate.js';

export interface CartLine {
  readonly productId: string;
  readonly quantity: number;
  readonly meta?: LineMeta;
}

export class CartState {
  /** @internal lines, shared read-only with carts and other states. */
  readonly _lines: ReadonlyMap<string, Line>;
  /** @internal never mutate. */
  readonly _ctx: CausalContext;

  constructor(lines: ReadonlyMap<string, Line>, ctx: CausalContext) {
    this._lines = lines;
    this._ctx = ctx;
  }

  static empty(): CartState {
    return new CartState(new Map(), new CausalContext());
  }

  /** Visible lines sorted by product id. */
  lines(): CartLine[] {
    return visibleLines(this._lines);
  }

  get(productId: string): CartLine | undefined {
    const line = this._lines.get(productId);
    return line === undefined ? undefined : toCartLine(productId, line);
  }

  get size(): number {
    return countVisible(this._lines);
  }

  /** A copy of the causal context. */
  context(): CausalContext {
    return this._ctx.clone();
  }

  /** Number of live dots (entries) across all lines: the state's size, independent of history. */
  get entryCount(): number {
    let n = 0;
    for (const l of this._lines.values()) n += l.entries.length;
    return n;
  }

  equals(other: CartState): boolean {
    return statesEqual(this._lines, this._ctx, other._lines, other._ctx);
  }
}

export type CartDelta = CartState;

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

export function statesEqual(
  la: ReadonlyMap<string, Line>,
  ca: CausalContext,
  lb: ReadonlyMap<string, Line>,
  cb: CausalContext,
): boolean {
  if (la.size !== lb.size || !ca.equals(cb)) return false;
  for (const [pid, line] of la) {
    const other = lb.get(pid);
    if (other === undefined || !linesEqual(line, other)) return false;
  }
  return true;
}
