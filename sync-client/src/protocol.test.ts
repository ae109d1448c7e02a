import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64 } from './base64.js';
import { jwtExpiresAtMs } from './jwt-expiry.js';
import { encodeClientFrame, encodeServerFrame, parseClientFrame, parseServerFrame } from './protocol.js';

describe('sync protocol frames', () => {
  it('round-trips every frame type', () => {
    const bytes = new Uint8Array([0, 1, 250, 255]);
    for (const f of [
      { t: 'welcome', cartId: 'main', delta: bytes, context: new Uint8Array() },
      { t: 'delta', cartId: 'main', delta: bytes },
      { t: 'ack', seq: 7 },
      { t: 'error', code: 'FORBIDDEN_DOTS', message: 'no', seq: 3 },
      { t: 'error', code: 'INTERNAL', message: 'x' },
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
    ).toEqual({
      t: 'delta',
      cartId: 'main',
      seq: 2,
      delta: 'AQID',
    });
  });

  it('rejects malformed frames with SYNC_PROTOCOL_ERROR', () => {
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
      `{"t":"delta","cartId":"${'x'.repeat(300)}","delta":""}`,
      42,
    ]) {
      expect(() => parseServerFrame(bad), String(bad)).toThrow(
        expect.objectContaining({ code: 'SYNC_PROTOCOL_ERROR' }),
      );
    }
  });

  it('never throws anything but a protocol error on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parseServerFrame(text);
        } catch (error) {
          return (error as { code?: string }).code === 'SYNC_PROTOCOL_ERROR';
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

describe('jwtExpiresAtMs', () => {
  const jwt = (claims: object) =>
    `eyJhbGciOiJIUzI1NiJ9.${btoa(JSON.stringify(claims)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.sig`;
  it('reads exp from a JWT payload and ignores anything else', () => {
    expect(jwtExpiresAtMs(jwt({ sub: 'u', exp: 1700000000 }))).toBe(1700000000_000);
    expect(jwtExpiresAtMs(jwt({ sub: 'u' }))).toBeUndefined();
    expect(jwtExpiresAtMs('opaque-token')).toBeUndefined();
    expect(jwtExpiresAtMs('a.%%%.c')).toBeUndefined();
  });
});
