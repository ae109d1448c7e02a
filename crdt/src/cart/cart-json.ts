/**
 * JSON form of cart states for debugging and logs. `cartFromJSON` validates as strictly as the
 * binary decoder and fails only with CrdtDecodeError.
 */
import { CausalContext } from '../causal/causal-context.js';
import type { ActorId } from '../causal/dot.js';
import { isValidHlc } from '../causal/hlc.js';
import { LIMITS } from '../codec/limits.js';
import { CrdtDecodeError, CrdtInvalidOpError } from '../errors.js';
import { encodeCart } from './cart-codec.js';
import { CartState } from './cart-state.js';
import { Entry, type EntryKind, INC, Line, META } from './line.js';
import { type LineMeta, MAX_QUANTITY, normalizeMeta, validateMeta, validateProductId } from './validate.js';

export interface CartEntryJSON {
  actor: ActorId;
  counter: number;
  kind: 'inc' | 'set' | 'meta';
  value?: number;
  hlc?: number;
  meta?: LineMeta;
}
export interface CartJSON {
  version: 1;
  context: Record<ActorId, Array<[number, number]>>;
  lines: Record<string, CartEntryJSON[]>;
}

const KINDS = ['inc', 'set', 'meta'] as const;

export function cartToJSON(state: CartState): CartJSON {
  if (!(state instanceof CartState)) throw new TypeError('cartToJSON expects a CartState');
  const lines: Record<string, CartEntryJSON[]> = {};
  for (const pid of [...state._lines.keys()].sort()) {
    lines[pid] = state._lines.get(pid)!.entries.map((e) => {
      const j: CartEntryJSON = { actor: e.actor, counter: e.counter, kind: KINDS[e.kind] };
      if (e.kind !== META) j.value = e.value;
      if (e.kind !== INC) j.hlc = e.hlc;
      if (e.meta !== undefined) j.meta = e.meta;
      return j;
    });
  }
  return { version: 1, context: state._ctx.toJSON(), lines };
}

function fail(message: string, cause?: unknown): never {
  throw new CrdtDecodeError(`cart JSON: ${message}`, cause === undefined ? undefined : { cause });
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function cartFromJSON(json: unknown): CartState {
  if (!isRecord(json) || json.version !== 1) fail('expected { version: 1, context, lines }');
  const ctx = new CausalContext();
  if (!isRecord(json.context)) fail('context must be an object');
  const actors = Object.keys(json.context);
  if (actors.length > LIMITS.maxActors) fail('too many actors');
  for (const a of actors) {
    const ranges = json.context[a];
    if (!Array.isArray(ranges) || ranges.length > LIMITS.maxIntervals) fail(`bad ranges for ${a}`);
    let prevHi = -1;
    for (const r of ranges) {
      if (!Array.isArray(r) || r.length !== 2) fail('a range is [lo, hi]');
      const [lo, hi] = r as unknown[];
      if (typeof lo !== 'number' || typeof hi !== 'number') fail('range bounds must be numbers');
      // sorted, disjoint, non-adjacent (as toJSON writes them): keeps decoding linear
      if (lo <= prevHi + 1) fail('ranges must be sorted and separated by gaps');
      prevHi = hi;
      try {
        ctx.addRange(a, lo, hi);
      } catch (e) {
        fail(`bad range [${lo}, ${hi}]`, e);
      }
    }
  }
  if (!isRecord(json.lines)) fail('lines must be an object');
  const lines = new Map<string, Line>();
  const seen = new Set<string>();
  for (const pid of Object.keys(json.lines)) {
    try {
      validateProductId(pid);
    } catch (e) {
      fail('bad product id', e);
    }
    const raw = json.lines[pid];
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > LIMITS.maxDotsPerEntry)
      fail(`bad entries of ${pid}`);
    const entries: Entry[] = [];
    for (const x of raw) {
      if (!isRecord(x)) fail('entry must be an object');
      const kind = KINDS.indexOf(x.kind as 'inc') as EntryKind | -1;
      if (kind < 0) fail('bad entry kind');
      const { actor, counter } = x;
      if (typeof actor !== 'string' || typeof counter !== 'number' || !ctx.hasDot(actor, counter)) {
        fail('entry dot missing or outside the context');
      }
      const key = `${actor}\u0000${counter}`;
      if (seen.has(key)) fail('dot appears twice');
      seen.add(key);
      let value = 0;
      let hlc = 0;
      let meta: LineMeta | undefined;
      if (kind !== META) {
        value = x.value as number;
        if (!Number.isInteger(value) || value < 1 || value > MAX_QUANTITY) fail('quantity out of range');
      }
      if (kind !== INC) {
        hlc = x.hlc as number;
        if (typeof hlc !== 'number' || !isValidHlc(hlc)) fail('bad hlc');
      }
      if (kind === META) {
        try {
          validateMeta(x.meta);
        } catch (e) {
          if (e instanceof CrdtInvalidOpError) fail('bad meta', e);
          throw e;
        }
        meta = normalizeMeta(x.meta);
      }
      entries.push(new Entry(actor, counter, kind as EntryKind, value, hlc, meta));
    }
    lines.set(pid, new Line(entries, 0));
  }
  const state = new CartState(lines, ctx);
  encodeCart(state); // the binary codec is the reference: everything representable there is valid
  return state;
}
