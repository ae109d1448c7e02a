/**
 * Actor ids appear once per encoded value, in a table referenced by index (riak_dt's map repeats
 * actor metadata per entry, which its own comments call out as bloat). Canonical lowercase UUIDs
 * are stored as 16 raw bytes instead of 36 characters.
 */
import type { ActorId, Dot } from '../causal/dot.js';
import { LIMITS } from './limits.js';
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX = '0123456789abcdef';

/** Raw UUID bytes per actor (null: not a canonical UUID), so encoding does not re-parse ids. */
const rawCache = new Map<ActorId, Uint8Array | null>();
const RAW_CACHE_LIMIT = 4096;

function rawUuid(actor: ActorId): Uint8Array | null {
  let raw = rawCache.get(actor);
  if (raw !== undefined) return raw;
  raw = null;
  if (actor.length === 36 && UUID_RE.test(actor)) {
    const hex = actor.replace(/-/g, '');
    raw = new Uint8Array(16);
    for (let i = 0; i < 16; i++) raw[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  // bounded: a server sees many device actors over time
  if (rawCache.size >= RAW_CACHE_LIMIT) rawCache.clear();
  rawCache.set(actor, raw);
  return raw;
}

function writeActor(w: Writer, actor: ActorId): void {
  const raw = rawUuid(actor);
  if (raw !== null) {
    w.byte(0);
    w.bytes(raw);
  } else {
    w.byte(1);
    w.string(actor);
  }
}

function readUuid(r: Reader): ActorId {
  const raw = r.bytes(16);
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[raw[i]! >> 4]! + HEX[raw[i]! & 15]!;
  }
  return s;
}

function readActor(r: Reader): ActorId {
  const tag = r.byte();
  if (tag === 0) return readUuid(r);
  if (tag === 1) {
    const s = r.string(LIMITS.maxActorBytes);
    if (s.length === 0) r.fail('empty actor id');
    if (s.length === 36 && UUID_RE.test(s)) r.fail('non-canonical actor encoding');
    return s;
  }
  return r.fail(`unknown actor tag ${tag}`);
}

/** Collects actors while encoding; `index(actor)` is stable once the table is written. */
export class ActorTable {
  readonly actors: ActorId[];
  readonly #index = new Map<ActorId, number>();

  constructor(actors: Iterable<ActorId>) {
    this.actors = [...new Set(actors)].sort();
    this.actors.forEach((a, i) => {
      this.#index.set(a, i);
    });
  }

  /** Order of entries on the wire: by actor index, then counter. */
  readonly compareDots = (a: Dot, b: Dot): number =>
    a.actor === b.actor ? a.counter - b.counter : this.index(a.actor) - this.index(b.actor);

  index(actor: ActorId): number {
    const i = this.#index.get(actor);
    if (i === undefined) throw new TypeError(`actor ${actor} missing from the table`);
    return i;
  }

  write(w: Writer): void {
    w.varuint(this.actors.length);
    for (const a of this.actors) writeActor(w, a);
  }

  /**
   * Format 2 (cart values): one varint `count·2 + allUuids`; when every actor is a canonical UUID
   * (the usual case: devices) the per-actor tag byte is left out and each actor is 16 raw bytes.
   */
  write2(w: Writer): void {
    const allUuids = this.actors.every((a) => rawUuid(a) !== null);
    w.varuint(this.actors.length * 2 + (allUuids ? 1 : 0));
    if (allUuids) for (const a of this.actors) w.bytes(rawUuid(a)!);
    else for (const a of this.actors) writeActor(w, a);
  }

  static read2(r: Reader): ActorId[] {
    const head = r.varuint();
    const allUuids = head % 2 === 1;
    const n = (head - (head % 2)) / 2;
    if (n > LIMITS.maxActors) r.fail(`actors: ${n} exceeds the limit of ${LIMITS.maxActors}`);
    if (n * (allUuids ? 16 : 2) > r.remaining) r.fail(`actors: ${n} cannot fit in ${r.remaining} bytes`);
    const out: ActorId[] = [];
    const seen = new Set<ActorId>();
    let uuids = 0;
    for (let i = 0; i < n; i++) {
      const a = allUuids ? readUuid(r) : readActor(r);
      if (seen.has(a)) r.fail(`duplicate actor ${a}`);
      if (!allUuids && UUID_RE.test(a)) uuids++;
      seen.add(a);
      out.push(a);
    }
    if (!allUuids && n > 0 && uuids === n) r.fail('non-canonical actor table');
    return out;
  }

  /** Reads a table; actors must be distinct. Minimum encoded actor size is 2 bytes. */
  static read(r: Reader): ActorId[] {
    const n = r.count(LIMITS.maxActors, 2, 'actors');
    const out: ActorId[] = [];
    const seen = new Set<ActorId>();
    for (let i = 0; i < n; i++) {
      const a = readActor(r);
      if (seen.has(a)) r.fail(`duplicate actor ${a}`);
      seen.add(a);
      out.push(a);
    }
    return out;
  }
}

export function readActorIndex(r: Reader, actors: readonly ActorId[]): ActorId {
  const i = r.varuint();
  const a = actors[i];
  if (a === undefined) r.fail(`actor index ${i} out of range`);
  return a;
}
