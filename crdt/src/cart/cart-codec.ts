/**
 * Versioned binary codec of cart states and deltas (the same format: a delta is a state).
 *
 *   header(version 3, kind cart)
 *   actor table            count·2 + allUuids, then sorted actors (UUIDs as 16 raw bytes)
 *   flags                  varuint: 1 = a delta (dependencies follow), 0 = a full state
 *   context                per table actor: interval count, intervals as gap/length varints
 *                          (singleton intervals holding an entry's own dot are left implied)
 *   dependencies           deltas only: per table actor, the version-vector entry its minter had
 *                          seen (0 = none) — the delivery contract's causal past
 *   hlc base               smallest wall ms of any timestamp
 *   lines                  count, then per line (sorted by product id):
 *     productId            length-prefixed UTF-8 (≤ 128 characters)
 *     entries              count, then per entry: (actorIndex·4 + kind), counter,
 *                          INC: value | SET: value, hlc | META: hlc, meta
 *
 * Format 1 (until 2026-11) wrote an actor count + index per context actor and a tag per actor;
 * format 2 saved 3 bytes on a one-op delta; format 3 adds the flags and dependencies and packs
 * timestamps with 5 logical bits (causal/hlc.ts). Format 1 and 2 bytes (stored snapshots) still
 * decode, as full states, their timestamps converted.
 *
 * The encoding is canonical (equal states give equal bytes), which anti-entropy hashing relies on.
 * Decoding validates every invariant: indices in range, quantities in 1..MAX_QUANTITY, every entry's
 * dot inside the context, no dot twice, product ids distinct — and fails only with CrdtDecodeError.
 */
import { type CausalContext, intervalsOf, unionSorted } from '../causal/causal-context.js';
import type { ActorId } from '../causal/dot.js';
import { hlcPhysical } from '../causal/hlc.js';
import { findInterval, type Intervals } from '../causal/interval-set.js';
import { ActorTable } from '../codec/actor-table.js';
import { readContextBody, readContextByTable, writeContextByTable } from '../codec/context-codec.js';
import { CART_CODEC_VERSION, KIND, readHeader, writeHeader } from '../codec/header.js';
import { readBase, readHlc, readLegacyHlc, writeHlc } from '../codec/hlc-codec.js';
import { LIMITS } from '../codec/limits.js';
import { readMeta, writeMeta } from '../codec/meta-codec.js';
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { CrdtDecodeError } from '../errors.js';
import { contextOf, DotList, depsOf, listsOf } from '../types/dot-store.js';
import type { CartDelta } from './cart-state.js';
import { CartState } from './cart-state.js';
import { Entry, type EntryKind, INC, type Line, META, SET } from './line.js';
import { MAX_QUANTITY } from './validate.js';

/** Formats 1 and 2 differ in the actor table, context, flags and timestamps (see the header comment). */
const CART_DECODABLE = [1, 2, CART_CODEC_VERSION] as const;

export function encodeCart(state: CartState): Uint8Array {
  if (!(state instanceof CartState)) throw new TypeError('encodeCart expects a CartState');
  const ctx = contextOf(state);
  const lines = listsOf(state);
  const deps = depsOf(state);
  const actors = new Set<ActorId>(ctx.actors());
  if (deps !== undefined) for (const a of deps.keys()) actors.add(a);
  let minHlc = Number.POSITIVE_INFINITY;
  let entryCount = 0;
  // An entry's dot that forms a singleton interval of the context (the dot a mutator just minted)
  // is implied by the entry: leave it out of the context and restore it when decoding.
  let implied: Map<ActorId, Set<number>> | undefined;
  let scanActor: ActorId | undefined;
  let scanIv: Intervals | undefined;
  for (const line of lines.values()) {
    for (const e of line.entries) {
      entryCount++;
      if (e.kind !== INC && e.hlc < minHlc) minHlc = e.hlc;
      if (e.actor !== scanActor) {
        scanActor = e.actor;
        scanIv = intervalsOf(ctx, e.actor);
        actors.add(e.actor);
      }
      if (scanIv === undefined) continue;
      const k = scanIv.length === 2 ? (scanIv[0] === e.counter ? 0 : -1) : findInterval(scanIv, e.counter);
      if (k >= 0 && scanIv[k * 2] === scanIv[k * 2 + 1]) {
        implied ??= new Map();
        let set = implied.get(e.actor);
        if (set === undefined) {
          set = new Set();
          implied.set(e.actor, set);
        }
        set.add(e.counter);
      }
    }
  }
  const table = new ActorTable(actors);
  const w = new Writer(
    64 + table.actors.length * 20 + ctx.intervalCount() * 4 + lines.size * 16 + entryCount * 10,
  );
  writeHeader(w, KIND.cart, CART_CODEC_VERSION);
  table.write2(w);
  w.varuint(deps === undefined ? 0 : 1);
  const written = writeContextByTable(w, ctx, table, implied && ((a) => implied.get(a)));
  if (deps !== undefined) for (const a of table.actors) w.varuint(deps.get(a) ?? 0);
  const base = minHlc === Number.POSITIVE_INFINITY ? 0 : hlcPhysical(minHlc);
  w.varuint(base);
  // default sort compares UTF-16 code units, the same order as `<` used by the decoder's check
  const pids = [...lines.keys()].sort();
  w.varuint(pids.length);
  let lastActor = '';
  let lastIndex = 0;
  let lastWritten = 0;
  for (const pid of pids) {
    const entries = lines.get(pid)!.entries;
    w.string(pid);
    w.varuint(entries.length);
    const sorted = inTableOrder(entries, table) ? entries : entries.slice().sort(table.compareDots);
    for (const e of sorted) {
      if (e.actor !== lastActor) {
        lastActor = e.actor;
        lastIndex = table.index(e.actor);
        lastWritten = written.get(e.actor) ?? 0;
      }
      w.varuint(lastIndex * 4 + e.kind);
      // relative to the context's written maximum: a fresh dot is then one byte, not three
      w.varint(e.counter - lastWritten);
      if (e.kind === INC) w.varuint(e.value);
      else if (e.kind === SET) {
        w.varuint(e.value);
        writeHlc(w, e.hlc, base);
      } else {
        writeHlc(w, e.hlc, base);
        writeMeta(w, e.meta ?? {});
      }
    }
  }
  return w.finish();
}

export function decodeCart(bytes: Uint8Array): CartState {
  try {
    return decodeCartUnsafe(bytes);
  } catch (err) {
    if (err instanceof CrdtDecodeError) throw err;
    throw new CrdtDecodeError('malformed cart encoding', { cause: err });
  }
}

function decodeCartUnsafe(bytes: Uint8Array): CartState {
  const r: Reader = new Reader(bytes);
  const version = readHeader(r, KIND.cart, 'cart', CART_DECODABLE);
  const actors = version === 1 ? ActorTable.read(r) : ActorTable.read2(r);
  let isDelta = false;
  if (version >= 3) {
    const flags = r.varuint();
    if (flags > 1) r.fail(`unknown cart flags ${flags}`);
    isDelta = flags === 1;
  }
  const ctx: CausalContext = version === 1 ? readContextBody(r, actors) : readContextByTable(r, actors);
  let deps: Map<ActorId, number> | undefined;
  if (isDelta) {
    deps = new Map();
    for (const a of actors) {
      const n = r.varuint();
      if (n > LIMITS.maxCounter) r.fail('dependency counter out of range');
      if (n > 0) deps.set(a, n);
    }
  }
  const maxOf = actors.map((a) => ctx.max(a));
  const base = readBase(r);
  const hlcOf = version >= 3 ? readHlc : readLegacyHlc;
  const nLines = r.count(LIMITS.maxEntries, 5, 'lines');
  const lines = new Map<string, Line>();
  // entry counters per actor index: checked for duplicates and joined into the context at the end
  const dots: number[][] = actors.map(() => []);
  let prev = '';
  for (let i = 0; i < nLines; i++) {
    const pid = r.string(LIMITS.maxProductIdLength * 3);
    if (pid.length === 0 || pid.length > LIMITS.maxProductIdLength) r.fail('bad product id length');
    if (i > 0 && pid <= prev) r.fail('product ids must be sorted and distinct');
    prev = pid;
    const n = r.count(LIMITS.maxDotsPerEntry, 3, 'line entries');
    if (n === 0) r.fail('empty line');
    const entries: Entry[] = [];
    for (let j = 0; j < n; j++) {
      const head = r.varuint();
      const kind = head % 4;
      const ai = (head - kind) / 4;
      const actor = actors[ai];
      if (actor === undefined) r.fail('actor index out of range');
      if (kind > META) r.fail(`unknown entry kind ${kind}`);
      const counter = maxOf[ai]! + r.varint();
      if (counter < 1 || counter > LIMITS.maxCounter) r.fail('dot counter out of range');
      dots[ai]!.push(counter);
      let e: Entry;
      if (kind === INC || kind === SET) {
        const value = r.varuint();
        if (value < 1 || value > MAX_QUANTITY) r.fail(`quantity ${value} out of range`);
        e = new Entry(actor, counter, kind as EntryKind, value, kind === SET ? hlcOf(r, base) : 0, undefined);
      } else {
        const hlc = hlcOf(r, base);
        e = new Entry(actor, counter, META, 0, hlc, readMeta(r));
      }
      entries.push(e);
    }
    lines.set(pid, new DotList(entries, 0));
  }
  r.end();
  // Entry dots belong to the context (singleton ones are left implied by the encoder); a dot may
  // appear only once. One sort per actor instead of a set lookup per entry.
  for (let ai = 0; ai < actors.length; ai++) {
    const list = dots[ai]!;
    if (list.length === 0) continue;
    list.sort(byNumber);
    for (let k = 1; k < list.length; k++) {
      if (list[k] === list[k - 1]) r.fail(`dot ${actors[ai]}:${list[k]} appears twice`);
    }
    unionSorted(ctx, actors[ai]!, list);
  }
  r.end();
  if (ctx.intervalCount() > LIMITS.maxIntervals) r.fail('too many intervals');
  return new CartState(lines, ctx, deps);
}

/** Entries are usually already in (actor index, counter) order: check before sorting a copy. */
function inTableOrder(entries: readonly Entry[], table: ActorTable): boolean {
  for (let k = 1; k < entries.length; k++)
    if (table.compareDots(entries[k - 1]!, entries[k]!) > 0) return false;
  return true;
}

function byNumber(a: number, b: number): number {
  return a - b;
}

export const encodeCartDelta: (delta: CartDelta) => Uint8Array = encodeCart;
export const decodeCartDelta: (bytes: Uint8Array) => CartDelta = decodeCart;
