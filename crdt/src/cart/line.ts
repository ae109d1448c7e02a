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

/**
 * A line's entries. `gen` implements copy-on-write: a Cart mutates a line in place only when the
 * line's generation is the Cart's current one; snapshots and deltas share lines read-only.
 */
export class Line {
  declare entries: Entry[];
  declare gen: number;

  constructor(entries: Entry[], gen: number) {
    this.entries = entries;
    this.gen = gen;
  }
}

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

/** Same entries regardless of order. */
export function linesEqual(a: Line, b: Line): boolean {
  if (a.entries.length !== b.entries.length) return false;
  outer: for (const e of a.entries) {
    for (const f of b.entries) {
      if (f.counter === e.counter && f.actor === e.actor) {
        if (!entriesEqual(e, f)) return false;
        continue outer;
      }
    }
    return false;
  }
  return true;
}
