/**
 * Binary form of a causal context: per actor (by table index), its intervals as gap/length varints
 * relative to the previous interval, so a version vector costs ~3 bytes per actor and a dot cloud
 * a couple of bytes per range.
 */
import { CausalContext } from '../causal/causal-context.js';
import type { ActorId } from '../causal/dot.js';
import type { Intervals } from '../causal/interval-set.js';
import { ActorTable, readActorIndex } from './actor-table.js';
import { KIND, readHeader, writeHeader } from './header.js';
import { LIMITS } from './limits.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

/** Writes the ranges; every actor of `ctx` must be in `table`. */
export function writeContextBody(w: Writer, ctx: CausalContext, table: ActorTable): void {
  const actors = ctx.actors();
  w.varuint(actors.length);
  for (const a of actors) {
    const iv = ctx._intervals(a)!;
    w.varuint(table.index(a));
    w.varuint(iv.length >> 1);
    let prev = 0;
    for (let k = 0; k < iv.length; k += 2) {
      w.varuint(iv[k]! - prev - 1);
      w.varuint(iv[k + 1]! - iv[k]!);
      prev = iv[k + 1]!;
    }
  }
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
    const iv: Intervals = [];
    let prev = 0;
    for (let j = 0; j < k; j++) {
      const gap = r.varuint();
      const len = r.varuint();
      if (j > 0 && gap === 0) r.fail('adjacent intervals must be merged');
      const lo = prev + gap + 1;
      const hi = lo + len;
      if (hi > Number.MAX_SAFE_INTEGER) r.fail('dot counter exceeds 2^53-1');
      iv.push(lo, hi);
      prev = hi;
    }
    m.set(actor, iv);
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
