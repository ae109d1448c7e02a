/**
 * Binary form of a causal context: per actor (by table index), its intervals as gap/length varints
 * relative to the previous interval, so a version vector costs ~3 bytes per actor and a dot cloud
 * a couple of bytes per range.
 */
import { CausalContext, intervalsOf } from '../causal/causal-context.js';
import type { ActorId } from '../causal/dot.js';
import type { Intervals } from '../causal/interval-set.js';
import { ActorTable, readActorIndex } from './actor-table.js';
import { KIND, readHeader, writeHeader } from './header.js';
import { LIMITS } from './limits.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

/**
 * Writes the ranges; every actor of `ctx` must be in `table`. `elide(actor)` may name singleton
 * intervals [c, c] to leave out because the value restores them itself (a cart's entry dots).
 * Returns the highest counter written per actor (what a reader sees before restoring elided dots).
 */
export function writeContextBody(
  w: Writer,
  ctx: CausalContext,
  table: ActorTable,
  elide?: (actor: ActorId) => ReadonlySet<number> | undefined,
): Map<ActorId, number> {
  const written = new Map<ActorId, number>();
  const actors: Array<[ActorId, Intervals]> = [];
  for (const a of ctx.actors()) {
    let iv = intervalsOf(ctx, a)!;
    const skip = elide?.(a);
    if (skip !== undefined) {
      const kept: Intervals = [];
      for (let k = 0; k < iv.length; k += 2) {
        if (!(iv[k] === iv[k + 1] && skip.has(iv[k]!))) kept.push(iv[k]!, iv[k + 1]!);
      }
      iv = kept;
    }
    if (iv.length > 0) actors.push([a, iv]);
  }
  w.varuint(actors.length);
  for (const [a, iv] of actors) {
    w.varuint(table.index(a));
    w.varuint(iv.length >> 1);
    let prev = 0;
    for (let k = 0; k < iv.length; k += 2) {
      w.varuint(iv[k]! - prev - 1);
      w.varuint(iv[k + 1]! - iv[k]!);
      prev = iv[k + 1]!;
    }
    written.set(a, prev);
  }
  return written;
}

/**
 * Format 2 (cart values): per table actor, in table order, its interval count (0: none) and then
 * its intervals; no actor count and no actor indices (every actor of a cart value's table has
 * dots, so the count is rarely 0). Same `elide` and return value as `writeContextBody`.
 */
export function writeContextByTable(
  w: Writer,
  ctx: CausalContext,
  table: ActorTable,
  elide?: (actor: ActorId) => ReadonlySet<number> | undefined,
): Map<ActorId, number> {
  const written = new Map<ActorId, number>();
  for (const a of table.actors) {
    let iv = intervalsOf(ctx, a) ?? [];
    const skip = elide?.(a);
    if (skip !== undefined) {
      const kept: Intervals = [];
      for (let k = 0; k < iv.length; k += 2) {
        if (!(iv[k] === iv[k + 1] && skip.has(iv[k]!))) kept.push(iv[k]!, iv[k + 1]!);
      }
      iv = kept;
    }
    w.varuint(iv.length >> 1);
    let prev = 0;
    for (let k = 0; k < iv.length; k += 2) {
      w.varuint(iv[k]! - prev - 1);
      w.varuint(iv[k + 1]! - iv[k]!);
      prev = iv[k + 1]!;
    }
    if (iv.length > 0) written.set(a, prev);
  }
  return written;
}

export function readContextByTable(r: Reader, actors: readonly ActorId[]): CausalContext {
  const m = new Map<ActorId, Intervals>();
  let total = 0;
  for (const actor of actors) {
    const k = r.count(LIMITS.maxIntervals, 2, 'intervals');
    if (k === 0) continue;
    total += k;
    if (total > LIMITS.maxIntervals) r.fail('too many intervals');
    m.set(actor, readIntervals(r, k));
  }
  return new CausalContext(m);
}

function readIntervals(r: Reader, k: number): Intervals {
  const iv: Intervals = [];
  let prev = 0;
  for (let j = 0; j < k; j++) {
    const gap = r.varuint();
    const len = r.varuint();
    if (j > 0 && gap === 0) r.fail('adjacent intervals must be merged');
    const lo = prev + gap + 1;
    const hi = lo + len;
    if (hi > LIMITS.maxCounter) r.fail('dot counter exceeds LIMITS.maxCounter');
    iv.push(lo, hi);
    prev = hi;
  }
  return iv;
}

export function readContextBody(r: Reader, actors: readonly ActorId[]): CausalContext {
  const n = r.count(LIMITS.maxActors, 2, 'context actors');
  const m = new Map<ActorId, Intervals>();
  let total = 0;
  for (let i = 0; i < n; i++) {
    const actor = readActorIndex(r, actors);
    if (m.has(actor)) r.fail(`actor ${actor} twice in a context`);
    const k = r.count(LIMITS.maxIntervals, 2, 'intervals');
    if (k === 0) r.fail('actor without intervals');
    total += k;
    if (total > LIMITS.maxIntervals) r.fail('too many intervals');
    m.set(actor, readIntervals(r, k));
  }
  return new CausalContext(m);
}

export function encodeContext(ctx: CausalContext): Uint8Array {
  const w = new Writer();
  writeHeader(w, KIND.context);
  const table = new ActorTable(ctx.actors());
  table.write(w);
  writeContextBody(w, ctx, table);
  return w.finish();
}

export function decodeContext(bytes: Uint8Array): CausalContext {
  const r: Reader = new Reader(bytes);
  readHeader(r, KIND.context, 'causal context');
  const actors = ActorTable.read(r);
  const ctx = readContextBody(r, actors);
  r.end();
  return ctx;
}
