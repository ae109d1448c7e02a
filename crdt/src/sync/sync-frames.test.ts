import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64 } from './base64.js';
import {
  encodeClientFrame,
  encodeServerFrame,
  frameSeqOf,
  parseClientFrame,
  parseServerFrame,
} from './sync-frames.js';

describe('sync frames V1', () => {
  it('round-trips every frame type', () => {
    const bytes = new Uint8Array([0, 1, 250, 255]);
    for (const f of [
      { t: 'welcome', cartId: 'main', delta: bytes, context: new Uint8Array() },
      { t: 'delta', cartId: 'main', delta: bytes },
      { t: 'ack', seq: 7 },
      { t: 'error', code: 'FORBIDDEN_DOTS', message: 'no', seq: 3 },
      { t: 'error', code: 'INTERNAL', message: 'x' },
      { t: 'error', code: 'PRODUCT_NOT_FOUND', message: 'not in the catalog', seq: 2, productIds: ['p-1'] },
    ] as const) {
      expect(parseServerFrame(encodeServerFrame(f))).toEqual(f);
    }
    for (const f of [
      { t: 'hello', cartId: 'c', context: bytes },
      { t: 'delta', cartId: 'c', seq: 0, delta: bytes },
    ] as const) {
      expect(parseClientFrame(encodeClientFrame(f))).toEqual(f);
    }
  });

  it('matches the SPEC §3 wire shape', () => {
    expect(
      JSON.parse(encodeClientFrame({ t: 'delta', cartId: 'main', seq: 2, delta: new Uint8Array([1, 2, 3]) })),
    ).toEqual({ t: 'delta', cartId: 'main', seq: 2, delta: 'AQID' });
  });

  it('rejects malformed frames with CRDT_DECODE_ERROR', () => {
    for (const bad of [
      'not json',
      '[]',
      'null',
      '{"t":"nope"}',
      '{"t":"ack","seq":-1}',
      '{"t":"ack","seq":1.5}',
      '{"t":"ack"}',
      '{"t":"delta","cartId":"c","delta":"***"}',
      '{"t":"welcome","cartId":"c","delta":"AQID"}',
      '{"t":"error","code":"X","message":"m","productIds":[1]}',
      '{"t":"error","code":"X","message":"m","productIds":"p-1"}',
      `{"t":"delta","cartId":"${'x'.repeat(300)}","delta":""}`,
      42,
    ]) {
      expect(() => parseServerFrame(bad), String(bad)).toThrow(
        expect.objectContaining({ code: 'CRDT_DECODE_ERROR' }),
      );
    }
    for (const bad of [
      '{"t":"hello","cartId":"c","context":"","extra":1}',
      '{"t":"hello","cartId":"a.b","context":""}',
      '{"t":"delta","cartId":"c","seq":1e300,"delta":""}',
      '{"t":"ack","seq":1}',
    ]) {
      expect(() => parseClientFrame(bad), bad).toThrow(
        expect.objectContaining({ code: 'CRDT_DECODE_ERROR' }),
      );
    }
    expect(frameSeqOf('{"t":"delta","seq":4,"delta":"***"}')).toBe(4);
    expect(frameSeqOf('{"seq":-1}')).toBeUndefined();
    expect(frameSeqOf('nope')).toBeUndefined();
  });

  it('never throws anything but a decode error on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        for (const parse of [parseServerFrame, parseClientFrame]) {
          try {
            parse(text);
          } catch (error) {
            if ((error as { code?: string }).code !== 'CRDT_DECODE_ERROR') return false;
          }
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it('base64 round-trips any bytes, including large arrays', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => {
        expect(base64ToBytes(bytesToBase64(b))).toEqual(b);
      }),
      { numRuns: 100 },
    );
    const big = new Uint8Array(300_000).map((_, i) => i & 0xff);
    expect(base64ToBytes(bytesToBase64(big))).toEqual(big);
  });
});
