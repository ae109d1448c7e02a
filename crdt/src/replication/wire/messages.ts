/**
 * Node-to-node messages and their versioned binary codec (format V1: one version byte, one type
 * byte, then the fields). Decoding validates every field and bound and throws only
 * ReplicationDecodeError; a node drops (and counts) messages it cannot decode.
 */
import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { CrdtDecodeError, ReplicationDecodeError } from '../../errors.js';

/** V2: a put says whether (and unless what) the replica returns its state. */
export const WIRE_VERSION = 2;
/** Largest encoded message accepted. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Largest encoded CRDT state or op carried in a message. */
export const MAX_STATE_BYTES = 4 * 1024 * 1024;
/** Longest key (UTF-8 bytes). */
export const MAX_KEY_BYTES = 1024;
/** Most items in a handoff batch or anti-entropy message. */
export const MAX_ITEMS = 100_000;
/** Most messages in one batch. */
export const MAX_BATCH = 4_096;

export interface Item {
  readonly key: string;
  readonly state: Uint8Array;
}

export interface KeyDigest {
  readonly key: string;
  readonly hi: number;
  readonly lo: number;
}

export interface SegmentDigest {
  readonly index: number;
  readonly hi: number;
  readonly lo: number;
}

export interface CoordError {
  readonly code: string;
  readonly message: string;
  readonly needed: number;
  readonly replied: number;
  readonly primaries: number;
  readonly kind: string;
}

/** Anti-entropy messages all name the tree: keys of preflist `p`, initiator vnode `from`, responder vnode `to`. */
interface AaeHead {
  readonly xid: number;
  readonly p: number;
  readonly from: number;
  readonly to: number;
}

export type Message =
  | { readonly t: 'hb'; readonly ringVersion: number; readonly ringDigest: number }
  | { readonly t: 'ring'; readonly ring: Uint8Array }
  | { readonly t: 'get'; readonly id: number; readonly partition: number; readonly key: string }
  | {
      readonly t: 'get-reply';
      readonly id: number;
      readonly partition: number;
      readonly state: Uint8Array | undefined;
    }
  | PutMessage
  | {
      readonly t: 'put-reply';
      readonly id: number;
      readonly partition: number;
      readonly ok: boolean;
      readonly state: Uint8Array | undefined;
    }
  | {
      readonly t: 'coord';
      readonly id: number;
      /** Random request id from the forwarding node: the coordinator applies each rid once. */
      readonly rid: number;
      readonly key: string;
      readonly op: Uint8Array;
      readonly w: number;
      readonly pw: number;
      readonly timeoutMs: number;
    }
  | {
      readonly t: 'coord-reply';
      readonly id: number;
      readonly state: Uint8Array | undefined;
      readonly delta: Uint8Array | undefined;
      readonly error: CoordError | undefined;
    }
  | {
      readonly t: 'handoff';
      readonly id: number;
      readonly partition: number;
      readonly items: readonly Item[];
    }
  | { readonly t: 'handoff-ack'; readonly id: number; readonly partition: number; readonly ok: boolean }
  | (AaeHead & { readonly t: 'aae-branches'; readonly hashes: Uint32Array })
  | (AaeHead & { readonly t: 'aae-segments'; readonly segments: readonly SegmentDigest[] })
  | (AaeHead & {
      readonly t: 'aae-keys';
      readonly segments: readonly number[];
      readonly keys: readonly KeyDigest[];
    })
  | (AaeHead & {
      readonly t: 'aae-repair';
      /** True from responder to initiator (which then answers with the `want`ed states). */
      readonly toInitiator: boolean;
      readonly items: readonly Item[];
      readonly want: readonly string[];
    })
  /** Several messages to one peer, sent in one frame (never nested). */
  | { readonly t: 'batch'; readonly messages: readonly Message[] }
  /** Catch-up: the root of every tree the sender shares with the receiver, in one message. */
  | { readonly t: 'aae-roots'; readonly xid: number; readonly trees: readonly TreeRoot[] }
  /** Which of those trees (indexes into `trees`) differ from the receiver's. */
  | { readonly t: 'aae-roots-reply'; readonly xid: number; readonly differ: readonly number[] };

/** A tree named from its sender's side: preflist `p`, sender's vnode `from`, receiver's `to`. */
export interface TreeRoot {
  readonly p: number;
  readonly from: number;
  readonly to: number;
  readonly hi: number;
  readonly lo: number;
}

export type MessageType = Message['t'];

/** A 64-bit digest of an encoded state (see ring/hash.ts digestBytes). */
export interface StateDigest {
  readonly hi: number;
  readonly lo: number;
}

export interface PutMessage {
  readonly t: 'put';
  /** 0 when no reply is wanted (read repair, best-effort copies). */
  readonly id: number;
  readonly partition: number;
  readonly key: string;
  /** A delta or a full state: the replica joins it into what it holds. */
  readonly state: Uint8Array;
  /** Whether the reply carries the replica's state after the join. */
  readonly returnState: boolean;
  /**
   * With returnState: only when that state's digest differs from this one (the coordinator's own
   * state after the same join), so a replica that agrees answers with an acknowledgement alone.
   */
  readonly unless: StateDigest | undefined;
}

/** The one builder of a put (replication, read repair). */
export function putMessage(
  id: number,
  partition: number,
  key: string,
  state: Uint8Array,
  returnState = false,
  unless?: StateDigest,
): PutMessage {
  return { t: 'put', id, partition, key, state, returnState, unless };
}

const TYPES: readonly MessageType[] = [
  'hb',
  'ring',
  'get',
  'get-reply',
  'put',
  'put-reply',
  'coord',
  'coord-reply',
  'handoff',
  'handoff-ack',
  'aae-branches',
  'aae-segments',
  'aae-keys',
  'aae-repair',
  'batch',
  'aae-roots',
  'aae-roots-reply',
];
const TYPE_CODE = new Map(TYPES.map((t, i) => [t, i + 1]));

function optBytes(w: Writer, b: Uint8Array | undefined): void {
  if (b === undefined) w.byte(0);
  else w.byte(1).sizedBytes(b);
}

function items(w: Writer, list: readonly Item[]): void {
  w.varuint(list.length);
  for (const it of list) w.string(it.key).sizedBytes(it.state);
}

function aaeHead(w: Writer, m: AaeHead): void {
  w.varuint(m.xid).varuint(m.p).varuint(m.from).varuint(m.to);
}

export function encodeMessage(m: Message): Uint8Array {
  const w = new Writer(64).byte(WIRE_VERSION);
  writeMessage(w, m);
  return w.finish();
}

/** A message's type and fields (a batch writes its messages one after another, each self-delimiting). */
function writeMessage(w: Writer, m: Message): void {
  w.byte(TYPE_CODE.get(m.t)!);
  switch (m.t) {
    case 'hb':
      w.varuint(m.ringVersion).uint32(m.ringDigest);
      break;
    case 'ring':
      w.sizedBytes(m.ring);
      break;
    case 'get':
      w.varuint(m.id).varuint(m.partition).string(m.key);
      break;
    case 'get-reply':
      w.varuint(m.id).varuint(m.partition);
      optBytes(w, m.state);
      break;
    case 'put':
      w.varuint(m.id).varuint(m.partition).string(m.key).sizedBytes(m.state);
      if (!m.returnState) w.byte(0);
      else if (m.unless === undefined) w.byte(1);
      else w.byte(2).uint32(m.unless.hi).uint32(m.unless.lo);
      break;
    case 'put-reply':
      w.varuint(m.id)
        .varuint(m.partition)
        .byte(m.ok ? 1 : 0);
      optBytes(w, m.state);
      break;
    case 'coord':
      w.varuint(m.id)
        .varuint(m.rid)
        .string(m.key)
        .sizedBytes(m.op)
        .varuint(m.w)
        .varuint(m.pw)
        .varuint(m.timeoutMs);
      break;
    case 'coord-reply':
      w.varuint(m.id);
      optBytes(w, m.state);
      optBytes(w, m.delta);
      if (m.error === undefined) w.byte(0);
      else {
        const e = m.error;
        w.byte(1).string(e.code).string(e.message.slice(0, 1000)).varuint(e.needed).varuint(e.replied);
        w.varuint(e.primaries).string(e.kind);
      }
      break;
    case 'handoff':
      w.varuint(m.id).varuint(m.partition);
      items(w, m.items);
      break;
    case 'handoff-ack':
      w.varuint(m.id)
        .varuint(m.partition)
        .byte(m.ok ? 1 : 0);
      break;
    case 'aae-branches':
      aaeHead(w, m);
      w.varuint(m.hashes.length);
      for (const h of m.hashes) w.uint32(h);
      break;
    case 'aae-segments':
      aaeHead(w, m);
      w.varuint(m.segments.length);
      for (const s of m.segments) w.varuint(s.index).uint32(s.hi).uint32(s.lo);
      break;
    case 'aae-keys':
      aaeHead(w, m);
      w.varuint(m.segments.length);
      for (const s of m.segments) w.varuint(s);
      w.varuint(m.keys.length);
      for (const k of m.keys) w.string(k.key).uint32(k.hi).uint32(k.lo);
      break;
    case 'aae-repair':
      aaeHead(w, m);
      w.byte(m.toInitiator ? 1 : 0);
      items(w, m.items);
      w.varuint(m.want.length);
      for (const k of m.want) w.string(k);
      break;
    case 'aae-roots':
      w.varuint(m.xid).varuint(m.trees.length);
      for (const x of m.trees) w.varuint(x.p).varuint(x.from).varuint(x.to).uint32(x.hi).uint32(x.lo);
      break;
    case 'aae-roots-reply':
      w.varuint(m.xid).varuint(m.differ.length);
      for (const i of m.differ) w.varuint(i);
      break;
    case 'batch':
      w.varuint(m.messages.length);
      for (const inner of m.messages) {
        if (inner.t === 'batch') throw new TypeError('a batch cannot hold a batch');
        writeMessage(w, inner);
      }
      break;
  }
}

const PARTITION_MAX = 1023;
/** Trees two nodes can share: ring size × n at most. */
const MAX_TREES = 16_384;

function readOptBytes(r: Reader): Uint8Array | undefined {
  return r.bool() ? r.sizedBytes(MAX_STATE_BYTES) : undefined;
}

function readItems(r: Reader): Item[] {
  const n = r.count(MAX_ITEMS, 2, 'items');
  const out: Item[] = [];
  for (let i = 0; i < n; i++)
    out.push({ key: r.string(MAX_KEY_BYTES), state: r.sizedBytes(MAX_STATE_BYTES) });
  return out;
}

function readHead(r: Reader): AaeHead {
  return {
    xid: r.varuint(),
    p: r.bounded(PARTITION_MAX, 'partition'),
    from: r.bounded(PARTITION_MAX, 'partition'),
    to: r.bounded(PARTITION_MAX, 'partition'),
  };
}

export function decodeMessage(bytes: Uint8Array): Message {
  if (!(bytes instanceof Uint8Array)) throw new ReplicationDecodeError('message is not bytes');
  if (bytes.length > MAX_MESSAGE_BYTES) throw new ReplicationDecodeError('message too large');
  return readWire(bytes, 'message', readMessage);
}

/**
 * Reads a replication wire or storage record with the package's one Reader, turning its decode
 * errors into ReplicationDecodeError (what a node counts and drops).
 */
export function readWire<T>(bytes: Uint8Array, what: string, read: (r: Reader) => T): T {
  try {
    return read(new Reader(bytes));
  } catch (e) {
    if (e instanceof CrdtDecodeError)
      throw new ReplicationDecodeError(`malformed ${what}: ${e.message}`, { cause: e });
    throw e;
  }
}

function readMessage(r: Reader): Message {
  const version = r.byte();
  if (version !== WIRE_VERSION) throw new ReplicationDecodeError(`unsupported wire version ${version}`);
  const m = readBody(r, true);
  r.end();
  return m;
}

function readBody(r: Reader, batchAllowed: boolean): Message {
  const t = TYPES[r.byte() - 1];
  let m: Message;
  switch (t) {
    case 'hb':
      m = { t, ringVersion: r.varuint(), ringDigest: r.uint32() };
      break;
    case 'ring':
      m = { t, ring: r.sizedBytes(1 << 20) };
      break;
    case 'get':
      m = {
        t,
        id: r.varuint(),
        partition: r.bounded(PARTITION_MAX, 'partition'),
        key: r.string(MAX_KEY_BYTES),
      };
      break;
    case 'get-reply':
      m = { t, id: r.varuint(), partition: r.bounded(PARTITION_MAX, 'partition'), state: readOptBytes(r) };
      break;
    case 'put': {
      const id = r.varuint();
      const partition = r.bounded(PARTITION_MAX, 'partition');
      const key = r.string(MAX_KEY_BYTES);
      const state = r.sizedBytes(MAX_STATE_BYTES);
      const back = r.bounded(2, 'put return mode');
      const unless = back === 2 ? { hi: r.uint32(), lo: r.uint32() } : undefined;
      m = putMessage(id, partition, key, state, back > 0, unless);
      break;
    }
    case 'put-reply':
      m = {
        t,
        id: r.varuint(),
        partition: r.bounded(PARTITION_MAX, 'partition'),
        ok: r.bool(),
        state: readOptBytes(r),
      };
      break;
    case 'coord':
      m = {
        t,
        id: r.varuint(),
        rid: r.varuint(),
        key: r.string(MAX_KEY_BYTES),
        op: r.sizedBytes(MAX_STATE_BYTES),
        w: r.bounded(16, 'field'),
        pw: r.bounded(16, 'field'),
        timeoutMs: r.bounded(86_400_000, 'field'),
      };
      break;
    case 'coord-reply': {
      const id = r.varuint();
      const state = readOptBytes(r);
      const delta = readOptBytes(r);
      const error = r.bool()
        ? {
            code: r.string(64),
            message: r.string(4000),
            needed: r.bounded(16, 'field'),
            replied: r.bounded(1024, 'field'),
            primaries: r.bounded(1024, 'field'),
            kind: r.string(16),
          }
        : undefined;
      m = { t, id, state, delta, error };
      break;
    }
    case 'handoff':
      m = { t, id: r.varuint(), partition: r.bounded(PARTITION_MAX, 'partition'), items: readItems(r) };
      break;
    case 'handoff-ack':
      m = { t, id: r.varuint(), partition: r.bounded(PARTITION_MAX, 'partition'), ok: r.bool() };
      break;
    case 'aae-branches': {
      const head = readHead(r);
      const n = r.count(4096, 4, 'hashes');
      const hashes = new Uint32Array(n);
      for (let i = 0; i < n; i++) hashes[i] = r.uint32();
      m = { t, ...head, hashes };
      break;
    }
    case 'aae-segments': {
      const head = readHead(r);
      const n = r.count(65_536, 9, 'segments');
      const segments: SegmentDigest[] = [];
      for (let i = 0; i < n; i++)
        segments.push({ index: r.bounded(65_535, 'field'), hi: r.uint32(), lo: r.uint32() });
      m = { t, ...head, segments };
      break;
    }
    case 'aae-keys': {
      const head = readHead(r);
      const ns = r.count(65_536, 1, 'segments');
      const segments: number[] = [];
      for (let i = 0; i < ns; i++) segments.push(r.bounded(65_535, 'field'));
      const nk = r.count(MAX_ITEMS, 9, 'keys');
      const keys: KeyDigest[] = [];
      for (let i = 0; i < nk; i++)
        keys.push({ key: r.string(MAX_KEY_BYTES), hi: r.uint32(), lo: r.uint32() });
      m = { t, ...head, segments, keys };
      break;
    }
    case 'aae-repair': {
      const head = readHead(r);
      const toInitiator = r.bool();
      const its = readItems(r);
      const nw = r.count(MAX_ITEMS, 1, 'keys');
      const want: string[] = [];
      for (let i = 0; i < nw; i++) want.push(r.string(MAX_KEY_BYTES));
      m = { t, ...head, toInitiator, items: its, want };
      break;
    }
    case 'aae-roots': {
      const xid = r.varuint();
      const n = r.count(MAX_TREES, 11, 'trees');
      const trees: TreeRoot[] = [];
      for (let i = 0; i < n; i++) {
        trees.push({
          p: r.bounded(PARTITION_MAX, 'partition'),
          from: r.bounded(PARTITION_MAX, 'partition'),
          to: r.bounded(PARTITION_MAX, 'partition'),
          hi: r.uint32(),
          lo: r.uint32(),
        });
      }
      m = { t, xid, trees };
      break;
    }
    case 'aae-roots-reply': {
      const xid = r.varuint();
      const n = r.count(MAX_TREES, 1, 'trees');
      const differ: number[] = [];
      for (let i = 0; i < n; i++) differ.push(r.bounded(MAX_TREES - 1, 'field'));
      m = { t, xid, differ };
      break;
    }
    case 'batch': {
      if (!batchAllowed) throw new ReplicationDecodeError('nested batch');
      const n = r.count(MAX_BATCH, 1, 'batched messages');
      const messages: Message[] = [];
      for (let k = 0; k < n; k++) messages.push(readBody(r, false));
      m = { t, messages };
      break;
    }
    default:
      throw new ReplicationDecodeError('unknown message type');
  }
  return m;
}
