import type { ObservedLine, SimCartOp } from '../stores/store.js';
import { readText } from './text.js';

/**
 * The negative control's value: a whole cart under one wall-clock timestamp, as Dynamo or Riak
 * with `last_write_wins` store it. `ids` per line and `seen` are provenance for the checkers
 * only (which writes a line's quantity came from, which writes this value's history includes);
 * they never influence which value wins.
 */
export interface LwwCart {
  readonly ts: number;
  readonly writer: string;
  readonly lines: readonly LwwLine[];
  readonly seen: readonly string[];
}

export interface LwwLine {
  readonly productId: string;
  readonly quantity: number;
  readonly ids: readonly string[];
}

export const EMPTY_LWW_CART: LwwCart = { ts: 0, writer: '', lines: [], seen: [] };

/** Last writer wins: greater timestamp, ties broken by writer id. */
export function newer(a: LwwCart, b: LwwCart): boolean {
  return a.ts > b.ts || (a.ts === b.ts && a.writer > b.writer);
}

export function winner(values: readonly LwwCart[]): LwwCart {
  let best = EMPTY_LWW_CART;
  for (const v of values) if (newer(v, best)) best = v;
  return best;
}

export interface LwwApplied {
  readonly cart: LwwCart;
  readonly observed: string[];
}

/** Read-modify-write of the whole cart, stamped with the writer's wall clock. */
export function applyLww(
  base: LwwCart,
  op: SimCartOp,
  writeId: string,
  ts: number,
  writer: string,
): LwwApplied {
  const lines = new Map(base.lines.map((l) => [l.productId, l]));
  const observed: string[] = [];
  switch (op.type) {
    case 'add': {
      const line = lines.get(op.productId);
      lines.set(op.productId, {
        productId: op.productId,
        quantity: (line?.quantity ?? 0) + op.quantity,
        ids: [...(line?.ids ?? []), writeId],
      });
      break;
    }
    case 'setQuantity': {
      const line = lines.get(op.productId);
      if (line !== undefined) observed.push(...line.ids);
      lines.set(op.productId, { productId: op.productId, quantity: op.quantity, ids: [writeId] });
      break;
    }
    case 'remove': {
      const line = lines.get(op.productId);
      if (line !== undefined) observed.push(...line.ids);
      lines.delete(op.productId);
      break;
    }
    case 'clear':
      for (const line of lines.values()) observed.push(...line.ids);
      lines.clear();
      break;
  }
  const sorted = [...lines.values()].sort((a, b) => (a.productId < b.productId ? -1 : 1));
  return { cart: { ts, writer, lines: sorted, seen: [...base.seen, writeId] }, observed };
}

export function toObservedLines(cart: LwwCart): ObservedLine[] {
  return cart.lines.map((l) => ({ productId: l.productId, quantity: l.quantity, ids: l.ids }));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encoded as "ts|writer\n" + JSON, so anti-entropy can read the version without parsing. */
export function encodeLww(cart: LwwCart): Uint8Array {
  return encoder.encode(`${cart.ts}|${cart.writer}\n${JSON.stringify(cart)}`);
}

export function decodeLww(bytes: Uint8Array): LwwCart {
  const text = decoder.decode(bytes);
  const value: unknown = JSON.parse(text.slice(text.indexOf('\n') + 1));
  if (typeof value !== 'object' || value === null || !('ts' in value) || !('lines' in value))
    throw new TypeError('not an LWW cart');
  return value as LwwCart;
}

/** The (ts, writer) version of an encoded cart. */
export function peekVersion(bytes: Uint8Array): { ts: number; writer: string } {
  let end = bytes.indexOf(10);
  if (end < 0) end = bytes.length;
  const head = readText(bytes.subarray(0, end));
  const bar = head.indexOf('|');
  return { ts: Number(head.slice(0, bar)), writer: head.slice(bar + 1) };
}

export function digestLww(cart: LwwCart): string {
  return `${cart.ts}|${cart.writer}|${cart.lines.map((l) => `${l.productId}:${l.quantity}`).join(',')}`;
}
