/**
 * Client sync frames (SPEC §3): JSON text, byte payloads base64. Parsing is strict and bounded:
 * unknown fields, wrong types, oversized ids or non-base64 payloads are a typed error frame.
 */
import { z } from 'zod';
import { CART_ID } from '../carts/validation.js';

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const cartId = z.string().regex(CART_ID, 'cartId must match [A-Za-z0-9_-]{1,64}');

export const clientFrameSchema = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('hello'), cartId, context: b64 }),
  z.strictObject({
    t: z.literal('delta'),
    cartId,
    seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    delta: b64,
  }),
]);

export type ClientFrame = z.infer<typeof clientFrameSchema>;

export type ServerFrame =
  | { t: 'welcome'; cartId: string; delta: string; context: string }
  | { t: 'delta'; cartId: string; delta: string }
  | { t: 'ack'; seq: number }
  | { t: 'error'; code: string; message: string; seq?: number };

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function fromBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}
