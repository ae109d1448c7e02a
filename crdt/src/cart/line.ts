/**
 * One cart line is a small dot store (delta-CRDT "DotFun", Almeida et al. §6): each entry is keyed
 * by the dot of the action that created it and never changes afterwards.
 *
 *  - INC  entries: add-increments (`value` = added quantity). Concurrent adds both survive.
 *  - SET  entries: set-quantity registers (`value`, `hlc`); the live one with the greatest
 *         (hlc, actor) wins. setQuantity removes the INC/SET dots it observed.
 *  - META entries: line metadata, LWW by (hlc, actor) among live ones.
 *
 * quantity = winning SET value (0 if none) + sum of live INC values, clamped to MAX_QUANTITY.
 * Removing a line removes its dots; the causal context remembers them, so no tombstone remains.
 */
import type { ActorId } from '../causal/dot.js';
import type { DotList, EntryOrder } from '../types/dot-store.js';
import { type LineMeta, MAX_QUANTITY } from './validate.js';

export const INC = 0;
export const SET = 1;
export const META = 2;
export type EntryKind = typeof INC | typeof SET | typeof META;

export class Entry {
  // `declare` fields assigned in the constructor: no class-field initializer runs per entry
  // (ES2022 define semantics would add one call per construction on the decode path).
  declare readonly actor: ActorId;
  declare readonly counter: number;
  declare readonly kind: EntryKind;
  /** INC: quantity added; SET: quantity set; META: 0. */
  declare readonly value: number;
  /** SET / META: HLC timestamp; INC: 0. */
  declare readonly hlc: number;
  declare readonly meta: LineMeta | undefined;

  constructor(
    actor: ActorId,
    counter: number,
    kind: EntryKind,
    value: number,
    hlc: number,
    meta: LineMeta | undefined,
  ) {
    this.actor = actor;
    this.counter = counter;
    this.kind = kind;
    this.value = value;
    this.hlc = hlc;
    this.meta = meta;
  }
}

/** A line's entries (the dot store's list under the product id). */
export type Line = DotList<Entry>;

/** (hlc, actor) order used by every LWW choice in the cart. */
export function lwwGreater(a: Entry, b: Entry): boolean {
  return a.hlc > b.hlc || (a.hlc === b.hlc && a.actor > b.actor);
}

/** Quantity of a line (0 when it holds only metadata, which keeps it invisible). */
export function lineQuantity(line: Line): number {
  let sum = 0;
  let best: Entry | undefined;
  for (const e of line.entries) {
    if (e.kind === INC) sum += e.value;
    else if (e.kind === SET && (best === undefined || lwwGreater(e, best))) best = e;
  }
  const q = (best === undefined ? 0 : best.value) + sum;
  return Math.min(q, MAX_QUANTITY);
}

export function lineMeta(line: Line): LineMeta | undefined {
  let best: Entry | undefined;
  for (const e of line.entries) if (e.kind === META && (best === undefined || lwwGreater(e, best))) best = e;
  return best?.meta;
}

export function entriesEqual(a: Entry, b: Entry): boolean {
  if (a.actor !== b.actor || a.counter !== b.counter || a.kind !== b.kind) return false;
  if (a.value !== b.value || a.hlc !== b.hlc) return false;
  if (a.meta === b.meta) return true;
  if (a.meta === undefined || b.meta === undefined) return false;
  const ka = Object.keys(a.meta);
  const kb = Object.keys(b.meta);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (a.meta[k] !== b.meta[k]) return false;
  return true;
}

/** Total order of payloads under one dot (only a forger makes two): kind, value, hlc, meta. */
export function compareEntries(a: Entry, b: Entry): number {
  if (a.kind !== b.kind) return a.kind - b.kind;
  if (a.value !== b.value) return a.value - b.value;
  if (a.hlc !== b.hlc) return a.hlc - b.hlc;
  const ma = a.meta === undefined ? '' : JSON.stringify(a.meta);
  const mb = b.meta === undefined ? '' : JSON.stringify(b.meta);
  return ma < mb ? -1 : ma > mb ? 1 : 0;
}

export const CART_ENTRY_ORDER: EntryOrder<Entry> = { equals: entriesEqual, compare: compareEntries };
