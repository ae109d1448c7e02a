/**
 * Frames of the client sync protocol (SPEC §3): JSON text, byte payloads in base64.
 *
 *   client → server  hello {cartId, context}        what the client has seen
 *   server → client  welcome {cartId, delta, context} what the client lacks + what the server has seen
 *   client → server  delta {cartId, seq, delta}      what the server lacks / a new local change
 *   server → client  ack {seq}                       after W replicas stored delta `seq`
 *   server → client  delta {cartId, delta}           a push from another device or node
 *   server → client  error {code, message, seq?}
 *
 * Both directions are encoded and validated here so the in-test peer and the client agree.
 */
import { base64ToBytes, bytesToBase64 } from './base64.js';
import { SyncClientError } from './errors.js';

/** Upper bound of one frame's text; a cart of 10k lines stays far below it. */
export const MAX_FRAME_CHARS = 16 * 1024 * 1024;
const MAX_ID_CHARS = 256;

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
  | { readonly t: 'error'; readonly code: string; readonly message: string; readonly seq?: number };

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
      return JSON.stringify(
        frame.seq === undefined
          ? { t: 'error', code: frame.code, message: frame.message }
          : { t: 'error', code: frame.code, message: frame.message, seq: frame.seq },
      );
  }
}

function fail(message: string, cause?: unknown): never {
  throw new SyncClientError('SYNC_PROTOCOL_ERROR', message, { cause });
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

function str(o: Record<string, unknown>, key: string, max = MAX_ID_CHARS): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length > max) fail(`frame field ${key} must be a string of ≤ ${max} chars`);
  return v;
}

function bytes(o: Record<string, unknown>, key: string): Uint8Array {
  const decoded = base64ToBytes(str(o, key, MAX_FRAME_CHARS));
  if (decoded === undefined) fail(`frame field ${key} is not base64`);
  return decoded;
}

function seq(o: Record<string, unknown>): number {
  const v = o.seq;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    fail('frame field seq must be a safe integer ≥ 0');
  return v;
}

/** Validates a frame received by the client; throws SyncClientError(SYNC_PROTOCOL_ERROR). */
export function parseServerFrame(text: unknown): ServerFrame {
  const o = parseObject(text);
  switch (o.t) {
    case 'welcome':
      return {
        t: 'welcome',
        cartId: str(o, 'cartId'),
        delta: bytes(o, 'delta'),
        context: bytes(o, 'context'),
      };
    case 'delta':
      return { t: 'delta', cartId: str(o, 'cartId'), delta: bytes(o, 'delta') };
    case 'ack':
      return { t: 'ack', seq: seq(o) };
    case 'error': {
      const base = { t: 'error' as const, code: str(o, 'code'), message: str(o, 'message', 4096) };
      return o.seq === undefined ? base : { ...base, seq: seq(o) };
    }
    default:
      return fail(`unknown frame type ${JSON.stringify(o.t)}`);
  }
}

/** Validates a frame received by a server (used by the in-test peer and available to servers). */
export function parseClientFrame(text: unknown): ClientFrame {
  const o = parseObject(text);
  switch (o.t) {
    case 'hello':
      return { t: 'hello', cartId: str(o, 'cartId'), context: bytes(o, 'context') };
    case 'delta':
      return { t: 'delta', cartId: str(o, 'cartId'), seq: seq(o), delta: bytes(o, 'delta') };
    default:
      return fail(`unknown frame type ${JSON.stringify(o.t)}`);
  }
}
