/**
 * The client sync protocol's frames, V1 (SPEC §3): JSON text, byte payloads in base64. The one
 * codec both ends import — the sync client and the cart server's `/v1/sync` endpoint — so the
 * two can never disagree on the wire shape.
 *
 *   client → server  hello {cartId, context}          what the client has seen
 *   server → client  welcome {cartId, delta, context} what the client lacks + what the server has seen
 *   client → server  delta {cartId, seq, delta}       what the server lacks / a new local change
 *   server → client  ack {seq}                        after W replicas stored delta `seq`
 *   server → client  delta {cartId, delta}            a push from another device or node
 *   server → client  error {code, message, seq?, productIds?}
 *                    (productIds: with PRODUCT_NOT_FOUND, the refused lines' products)
 *
 * Parsing is strict and bounded (frame length, id lengths, canonical base64, safe-integer seqs);
 * client frames with unknown fields are refused (a server trusts nothing), server frames may
 * carry fields a newer server adds. Any malformed input throws `CrdtDecodeError`
 * (`CRDT_DECODE_ERROR`) and nothing else.
 */
import { CrdtDecodeError } from '../errors.js';
import { base64ToBytes, bytesToBase64 } from './base64.js';

/** Upper bound of one frame's text; a cart of 10k lines stays far below it. */
export const MAX_FRAME_CHARS = 16 * 1024 * 1024;
/** Cart ids on the wire: what the server's `/v1/carts/:cartId` accepts. */
export const SYNC_CART_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_CODE_CHARS = 256;
const MAX_MESSAGE_CHARS = 4096;

export type ClientFrame =
  | { readonly t: 'hello'; readonly cartId: string; readonly context: Uint8Array }
  | { readonly t: 'delta'; readonly cartId: string; readonly seq: number; readonly delta: Uint8Array };

export type ServerFrame =
  | {
      readonly t: 'welcome';
      readonly cartId: string;
      readonly delta: Uint8Array;
      readonly context: Uint8Array;
    }
  | { readonly t: 'delta'; readonly cartId: string; readonly delta: Uint8Array }
  | { readonly t: 'ack'; readonly seq: number }
  | {
      readonly t: 'error';
      readonly code: string;
      readonly message: string;
      readonly seq?: number;
      readonly productIds?: readonly string[];
    };

/** At most this many product ids in one error frame. */
export const MAX_FRAME_PRODUCT_IDS = 64;
const MAX_PRODUCT_ID_CHARS = 200;

export function encodeClientFrame(frame: ClientFrame): string {
  switch (frame.t) {
    case 'hello':
      return JSON.stringify({ t: 'hello', cartId: frame.cartId, context: bytesToBase64(frame.context) });
    case 'delta':
      return JSON.stringify({
        t: 'delta',
        cartId: frame.cartId,
        seq: frame.seq,
        delta: bytesToBase64(frame.delta),
      });
  }
}

export function encodeServerFrame(frame: ServerFrame): string {
  switch (frame.t) {
    case 'welcome':
      return JSON.stringify({
        t: 'welcome',
        cartId: frame.cartId,
        delta: bytesToBase64(frame.delta),
        context: bytesToBase64(frame.context),
      });
    case 'delta':
      return JSON.stringify({ t: 'delta', cartId: frame.cartId, delta: bytesToBase64(frame.delta) });
    case 'ack':
      return JSON.stringify({ t: 'ack', seq: frame.seq });
    case 'error':
      return JSON.stringify({
        t: 'error',
        code: frame.code,
        message: frame.message,
        ...(frame.seq === undefined ? {} : { seq: frame.seq }),
        ...(frame.productIds === undefined ? {} : { productIds: frame.productIds }),
      });
  }
}

/** Validates a frame received by a server; unknown fields are refused. */
export function parseClientFrame(text: unknown): ClientFrame {
  const o = parseObject(text);
  switch (o.t) {
    case 'hello':
      only(o, ['t', 'cartId', 'context']);
      return { t: 'hello', cartId: cartId(o), context: bytes(o, 'context') };
    case 'delta':
      only(o, ['t', 'cartId', 'seq', 'delta']);
      return { t: 'delta', cartId: cartId(o), seq: seq(o), delta: bytes(o, 'delta') };
    default:
      return fail(`unknown frame type ${JSON.stringify(o.t)}`);
  }
}

/** Validates a frame received by a client. */
export function parseServerFrame(text: unknown): ServerFrame {
  const o = parseObject(text);
  switch (o.t) {
    case 'welcome':
      return { t: 'welcome', cartId: cartId(o), delta: bytes(o, 'delta'), context: bytes(o, 'context') };
    case 'delta':
      return { t: 'delta', cartId: cartId(o), delta: bytes(o, 'delta') };
    case 'ack':
      return { t: 'ack', seq: seq(o) };
    case 'error': {
      const base = {
        t: 'error' as const,
        code: str(o, 'code', MAX_CODE_CHARS),
        message: str(o, 'message', MAX_MESSAGE_CHARS),
      };
      return {
        ...base,
        ...(o.seq === undefined ? {} : { seq: seq(o) }),
        ...(o.productIds === undefined ? {} : { productIds: productIds(o) }),
      };
    }
    default:
      return fail(`unknown frame type ${JSON.stringify(o.t)}`);
  }
}

/**
 * The `seq` of a frame that failed to parse, when it has a valid one (a server answers the
 * error for that delta, so the client knows which change was refused).
 */
export function frameSeqOf(text: unknown): number | undefined {
  if (typeof text !== 'string' || text.length > MAX_FRAME_CHARS) return undefined;
  try {
    const s = (JSON.parse(text) as { seq?: unknown } | null)?.seq;
    return typeof s === 'number' && Number.isSafeInteger(s) && s >= 0 ? s : undefined;
  } catch {
    return undefined;
  }
}

function fail(message: string, cause?: unknown): never {
  throw new CrdtDecodeError(`sync frame: ${message}`, { cause });
}

function parseObject(text: unknown): Record<string, unknown> {
  if (typeof text !== 'string') fail('frame is not text');
  if (text.length > MAX_FRAME_CHARS) fail(`frame longer than ${MAX_FRAME_CHARS} characters`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    fail('frame is not JSON', error);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('frame is not an object');
  return value as Record<string, unknown>;
}

function only(o: Record<string, unknown>, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`unknown field ${JSON.stringify(k)}`);
}

function str(o: Record<string, unknown>, key: string, max: number): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length > max) fail(`field ${key} must be a string of ≤ ${max} chars`);
  return v;
}

function cartId(o: Record<string, unknown>): string {
  const v = o.cartId;
  if (typeof v !== 'string' || !SYNC_CART_ID.test(v)) fail('field cartId must match [A-Za-z0-9_-]{1,64}');
  return v;
}

function bytes(o: Record<string, unknown>, key: string): Uint8Array {
  const decoded = base64ToBytes(str(o, key, MAX_FRAME_CHARS));
  if (decoded === undefined) fail(`field ${key} is not base64`);
  return decoded;
}

function productIds(o: Record<string, unknown>): string[] {
  const v = o.productIds;
  if (
    !Array.isArray(v) ||
    v.length > MAX_FRAME_PRODUCT_IDS ||
    !v.every((id) => typeof id === 'string' && id.length > 0 && id.length <= MAX_PRODUCT_ID_CHARS)
  ) {
    fail(`field productIds must be at most ${MAX_FRAME_PRODUCT_IDS} product ids`);
  }
  return v as string[];
}

function seq(o: Record<string, unknown>): number {
  const v = o.seq;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    fail('field seq must be a safe integer ≥ 0');
  return v;
}
