import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplicationDecodeError } from '../../errors.js';
import { decodeMessage, encodeMessage, type Message, WIRE_VERSION } from './messages.js';

const samples: Message[] = [
  { t: 'hb', ringVersion: 7, ringDigest: 0xdeadbeef },
  { t: 'ring', ring: Uint8Array.from([1, 2, 3]) },
  { t: 'get', id: 2 ** 40 + 3, partition: 63, key: 'user-1/cart-ü' },
  { t: 'get-reply', id: 1, partition: 0, state: undefined },
  { t: 'get-reply', id: 1, partition: 5, state: Uint8Array.from([9]) },
  {
    t: 'put',
    id: 0,
    partition: 12,
    key: 'k',
    state: Uint8Array.from([1, 2]),
    returnState: false,
    unless: undefined,
  },
  {
    t: 'put',
    id: 5,
    partition: 12,
    key: 'k',
    state: Uint8Array.from([1, 2]),
    returnState: true,
    unless: undefined,
  },
  {
    t: 'put',
    id: 5,
    partition: 12,
    key: 'k',
    state: Uint8Array.from([1]),
    returnState: true,
    unless: { hi: 0xffffffff, lo: 7 },
  },
  { t: 'put-reply', id: 9, partition: 12, ok: false, state: undefined },
  { t: 'coord', id: 3, rid: 2 ** 53 - 1, key: 'k', op: Uint8Array.from([4]), w: 2, pw: 1, timeoutMs: 5000 },
  {
    t: 'coord-reply',
    id: 3,
    state: undefined,
    delta: undefined,
    error: { code: 'QUORUM_NOT_MET', message: 'x', needed: 2, replied: 1, primaries: 1, kind: 'w' },
  },
  { t: 'handoff', id: 4, partition: 3, items: [{ key: 'a', state: Uint8Array.from([1]) }] },
  { t: 'handoff-ack', id: 4, partition: 3, ok: true },
  { t: 'aae-branches', xid: 1, p: 2, from: 2, to: 3, hashes: new Uint32Array(32).fill(7) },
  { t: 'aae-segments', xid: 1, p: 2, from: 2, to: 3, segments: [{ index: 17, hi: 1, lo: 2 }] },
  { t: 'aae-keys', xid: 1, p: 2, from: 2, to: 3, segments: [17], keys: [{ key: 'k', hi: 3, lo: 4 }] },
  { t: 'aae-repair', xid: 1, p: 2, from: 2, to: 3, toInitiator: true, items: [], want: ['k'] },
  { t: 'aae-roots', xid: 4, trees: [{ p: 2, from: 2, to: 3, hi: 0xffff_ffff, lo: 5 }] },
  { t: 'aae-roots-reply', xid: 4, differ: [0, 7] },
  {
    t: 'batch',
    messages: [
      { t: 'hb', ringVersion: 1, ringDigest: 2 },
      { t: 'get', id: 1, partition: 2, key: 'k' },
    ],
  },
];

describe('wire messages (V2)', () => {
  it.each(samples.map((m) => [m.t, m] as const))('%s round-trips', (_t, m) => {
    expect(decodeMessage(encodeMessage(m))).toEqual(m);
  });

  it('random bytes and corrupted messages fail only with ReplicationDecodeError', () => {
    const check = (bytes: Uint8Array) => {
      try {
        decodeMessage(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(ReplicationDecodeError);
        expect((e as ReplicationDecodeError).code).toBe('REPLICATION_DECODE_ERROR');
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: 2000 });
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.nat(), fc.nat(255), (m, i, v) => {
        const b = encodeMessage(m).slice();
        b[i % b.length] = v;
        check(b);
        check(b.subarray(0, i % b.length));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a batch inside a batch', () => {
    const inner = encodeMessage({ t: 'batch', messages: [{ t: 'hb', ringVersion: 1, ringDigest: 2 }] });
    // [version][batch][count 1] followed by the inner batch's body (type byte onwards)
    const nested = Uint8Array.from([WIRE_VERSION, inner[1]!, 1, ...inner.subarray(1)]);
    expect(() => decodeMessage(nested)).toThrow(ReplicationDecodeError);
  });

  it('rejects an unknown wire version and huge declared lengths without allocating', () => {
    const b = encodeMessage(samples[0]!).slice();
    b[0] = WIRE_VERSION + 1;
    expect(() => decodeMessage(b)).toThrow(ReplicationDecodeError);
    b[0] = WIRE_VERSION - 1; // V1 peers (before the put return mode) are refused, not misread
    expect(() => decodeMessage(b)).toThrow(ReplicationDecodeError);
    // 'ring' with a declared length of ~2^40 bytes.
    expect(() =>
      decodeMessage(Uint8Array.from([WIRE_VERSION, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20])),
    ).toThrow(ReplicationDecodeError);
  });
});
