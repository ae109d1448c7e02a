/**
 * One versioned binary layout for every dot-store type (header kind distinguishes them):
 *   header · actor table · context · keys (sorted): key, entry count, entries (actor, counter, value)
 * Decoding checks that every dot lies inside the context and appears once; it fails only with
 * CrdtDecodeError, and every count is bounded by LIMITS and by the bytes that remain.
 */
import type { ActorId } from '../causal/dot.js';
import { ActorTable } from '../codec/actor-table.js';
import { readContextBody, writeContextBody } from '../codec/context-codec.js';
import { readHeader, writeHeader } from '../codec/header.js';
import { LIMITS } from '../codec/limits.js';
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { CrdtDecodeError } from '../errors.js';
import type { DotEntry, DotStoreState } from './dot-store.js';

export interface ValueCodec<V> {
  write(w: Writer, v: V): void;
  read(r: Reader): V;
  /** Smallest encoded size of a value, for count checks. */
  readonly minBytes: number;
}

export function encodeDotStore<V>(kind: number, state: DotStoreState<V>, codec: ValueCodec<V>): Uint8Array {
  const actors = new Set<ActorId>(state.context.actors());
  for (const l of state.entries.values()) for (const e of l) actors.add(e.actor);
  const table = new ActorTable(actors);
  const w = new Writer();
  writeHeader(w, kind);
  table.write(w);
  writeContextBody(w, state.context, table);
  const keys = [...state.entries.keys()].sort();
  w.varuint(keys.length);
  for (const k of keys) {
    const list = state.entries
      .get(k)!
      .slice()
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
): DotStoreState<V> {
  try {
    const r: Reader = new Reader(bytes);
    readHeader(r, kind, what);
    const actors = ActorTable.read(r);
    const context = readContextBody(r, actors);
    const n = r.count(LIMITS.maxEntries, 2, 'keys');
    const entries = new Map<string, DotEntry<V>[]>();
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
        list.push({ actor, counter, value: codec.read(r) });
      }
      entries.set(key, list);
    }
    r.end();
    return { entries, context };
  } catch (err) {
    if (err instanceof CrdtDecodeError) throw err;
    throw new CrdtDecodeError(`malformed ${what} encoding`, { cause: err });
  }
}

/** Debug JSON of any dot store. */
export function dotStoreToJSON<V>(
  state: DotStoreState<V>,
  valueToJSON: (v: V) => unknown = (v) => v,
): unknown {
  const entries: Record<string, Array<{ actor: ActorId; counter: number; value: unknown }>> = {};
  for (const k of [...state.entries.keys()].sort()) {
    entries[k] = state.entries
      .get(k)!
      .map((e) => ({ actor: e.actor, counter: e.counter, value: valueToJSON(e.value) }));
  }
  return { context: state.context.toJSON(), entries };
}
