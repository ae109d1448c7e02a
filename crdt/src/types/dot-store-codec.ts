/**
 * One versioned binary layout for every simple dot-store type (header kind distinguishes them):
 *   header · actor table · flags (1 = delta) · context · [deltas: dependencies per table actor]
 *   · keys (sorted): key, entry count, entries (actor, counter, value)
 * Format 1 (before dependencies) still decodes, as a full state; value codecs are told the format
 * so they can convert old timestamps. Decoding checks that every dot lies inside the context and
 * appears once; it fails only with CrdtDecodeError, and every count is bounded by LIMITS and by the
 * bytes that remain.
 */
import type { ActorId } from '../causal/dot.js';
import { ActorTable } from '../codec/actor-table.js';
import { readContextBody, writeContextBody } from '../codec/context-codec.js';
import { readHeader, writeHeader } from '../codec/header.js';
import { LIMITS } from '../codec/limits.js';
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { CrdtDecodeError } from '../errors.js';
import { contextOf, type DotEntry, DotList, DotStoreState, depsOf, listsOf } from './dot-store.js';
import type { ValueState } from './dot-store-replica.js';

/** Current format of the simple types; 1 still decodes. */
export const DOT_STORE_CODEC_VERSION = 2;

export interface ValueCodec<V> {
  write(w: Writer, v: V): void;
  /** `version`: the format being read (values of older formats may need converting). */
  read(r: Reader, version?: number): V;
  /** Smallest encoded size of a value, for count checks. */
  readonly minBytes: number;
}

export function encodeDotStore<V>(kind: number, state: ValueState<V>, codec: ValueCodec<V>): Uint8Array {
  const ctx = contextOf(state);
  const lists = listsOf(state);
  const deps = depsOf(state);
  const actors = new Set<ActorId>(ctx.actors());
  for (const l of lists.values()) for (const e of l.entries) actors.add(e.actor);
  if (deps !== undefined) for (const a of deps.keys()) actors.add(a);
  const table = new ActorTable(actors);
  const w = new Writer();
  writeHeader(w, kind, DOT_STORE_CODEC_VERSION);
  table.write(w);
  w.varuint(deps === undefined ? 0 : 1);
  writeContextBody(w, ctx, table);
  if (deps !== undefined) for (const a of table.actors) w.varuint(deps.get(a) ?? 0);
  const keys = [...lists.keys()].sort();
  w.varuint(keys.length);
  for (const k of keys) {
    const list = lists
      .get(k)!
      .entries.slice()
      .sort((a, b) => table.index(a.actor) - table.index(b.actor) || a.counter - b.counter);
    w.string(k);
    w.varuint(list.length);
    for (const e of list) {
      w.varuint(table.index(e.actor));
      w.varuint(e.counter);
      codec.write(w, e.value);
    }
  }
  return w.finish();
}

export function decodeDotStore<V>(
  kind: number,
  what: string,
  bytes: Uint8Array,
  codec: ValueCodec<V>,
): ValueState<V> {
  try {
    const r: Reader = new Reader(bytes);
    const version = readHeader(r, kind, what, [1, DOT_STORE_CODEC_VERSION]);
    const actors = ActorTable.read(r);
    const flags = version >= 2 ? r.varuint() : 0;
    if (flags > 1) r.fail(`unknown ${what} flags ${flags}`);
    const context = readContextBody(r, actors);
    let deps: Map<ActorId, number> | undefined;
    if (flags === 1) {
      deps = new Map();
      for (const a of actors) {
        const n = r.varuint();
        if (n > LIMITS.maxCounter) r.fail('dependency counter out of range');
        if (n > 0) deps.set(a, n);
      }
    }
    const n = r.count(LIMITS.maxEntries, 2, 'keys');
    const lists = new Map<string, DotList<DotEntry<V>>>();
    const seen = new Set<string>();
    let prev = '';
    for (let i = 0; i < n; i++) {
      const key = r.string(LIMITS.maxStringBytes);
      if (i > 0 && key <= prev) r.fail('keys must be sorted and distinct');
      prev = key;
      const m = r.count(LIMITS.maxDotsPerEntry, 2 + codec.minBytes, 'entries');
      if (m === 0) r.fail('key without entries');
      const list: DotEntry<V>[] = [];
      for (let j = 0; j < m; j++) {
        const ai = r.varuint();
        const actor = actors[ai];
        if (actor === undefined) r.fail('actor index out of range');
        const counter = r.varuint();
        if (counter < 1 || !context.hasDot(actor, counter)) r.fail('entry dot outside the context');
        const id = `${ai}:${counter}`;
        if (seen.has(id)) r.fail('dot appears twice');
        seen.add(id);
        list.push({ actor, counter, value: codec.read(r, version) });
      }
      lists.set(key, new DotList(list, 0));
    }
    r.end();
    return new DotStoreState(lists, context, deps);
  } catch (err) {
    if (err instanceof CrdtDecodeError) throw err;
    throw new CrdtDecodeError(`malformed ${what} encoding`, { cause: err });
  }
}

/** Debug JSON of any simple dot store. */
export function dotStoreToJSON<V>(state: ValueState<V>, valueToJSON: (v: V) => unknown = (v) => v): unknown {
  const entries: Record<string, Array<{ actor: ActorId; counter: number; value: unknown }>> = {};
  for (const k of state.keys()) {
    entries[k] = state
      .entries(k)
      .map((e) => ({ actor: e.actor, counter: e.counter, value: valueToJSON(e.value) }));
  }
  return { context: state.context().toJSON(), entries };
}
