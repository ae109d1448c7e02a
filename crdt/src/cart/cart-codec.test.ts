import { describe, expect, it } from 'vitest';
import { CrdtDecodeError } from '../errors.js';
import { Cart } from './cart.js';
import { decodeCart, decodeCartDelta, encodeCart, encodeCartDelta } from './cart-codec.js';
import { cartToJSON } from './cart-json.js';

const DEVICE = '3f2b8c1e-1d2a-4c3b-9a8e-0f1e2d3c4b5a';

/** A cart state as format 1 wrote it (before 2026-11-25), from a history without causal delivery. */
const FORMAT_1_STATE =
  '1202003f2b8c1e1d2a4c3b9a8e0f1e2d3c4b5a01056e31236532010001000481d095ffbc310205736b752d3201010105000005736b752d3301040404';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('cart codec format 3', () => {
  it('still decodes format 1 bytes (stored snapshots) as a full state, timestamps converted, and re-encodes them as format 3', () => {
    const old = decodeCart(Uint8Array.from(Buffer.from(FORMAT_1_STATE, 'hex')));
    expect(old.isDelta).toBe(false);
    // the format-1 history delivered b's second add without its first (no causal delivery then)
    expect(old.lines()).toEqual([
      { productId: 'sku-2', quantity: 5 },
      { productId: 'sku-3', quantity: 4 },
    ]);
    const json = cartToJSON(old);
    // 12-bit packed wall·4096 became wall·32, logical 0 stays 0
    const hlcs = Object.values(json.lines).flatMap((l) =>
      l.flatMap((e) => (e.hlc === undefined ? [] : [e.hlc])),
    );
    expect(hlcs.every((h) => h % 32 === 0 && h / 32 > 1_700_000_000_000 && h / 32 < 1_700_000_001_000)).toBe(
      true,
    );
    const bytes = encodeCart(old);
    expect(bytes[0]).toBe(0x32);
    expect(decodeCart(bytes).equals(old)).toBe(true);
  });

  it('a one-op delta of a UUID device carries no per-actor tag, actor count or actor index', () => {
    let t = 1_700_000_000_000;
    const cart = Cart.create({ actor: DEVICE, clock: () => t++ });
    cart.add('sku-00042', 2);
    const delta = cart.setQuantity('sku-00042', 4);
    const bytes = encodeCartDelta(delta);
    // header, table head (1 actor · 2 + all UUIDs), 16 raw bytes, flags (a delta), then the actor's
    // interval count
    expect([...bytes.subarray(0, 2)]).toEqual([0x32, 0x03]);
    expect(hex(bytes.subarray(2, 18))).toBe(DEVICE.replace(/-/g, ''));
    expect(bytes[18]).toBe(1);
    expect(bytes[19]).toBe(1); // the removed add dot; the set's own dot is implied by its entry
    // + interval (2), dependency (1), HLC base (6), line count (1), product id (10), entry count (1),
    // entry (5)
    expect(bytes.length).toBe(46);
    const back = decodeCartDelta(bytes);
    expect(back.equals(delta)).toBe(true);
    expect(back.dependencies()).toEqual(new Map([[DEVICE, 1]]));
  });

  it('rejects a table that spells UUIDs out one by one (non-canonical) and truncated tables', () => {
    const cart = Cart.create({ actor: DEVICE });
    cart.add('sku-1', 1);
    const bytes = encodeCart(cart.state());
    expect(decodeCart(bytes).equals(cart.state())).toBe(true);
    // same single actor as tag 0 + 16 bytes under a "not all UUIDs" head
    const spelled = Uint8Array.from([0x32, 0x02, 0x00, ...bytes.subarray(2, 18), ...bytes.subarray(18)]);
    expect(() => decodeCart(spelled)).toThrow(CrdtDecodeError);
    expect(() => decodeCart(bytes.subarray(0, 10))).toThrow(CrdtDecodeError);
    expect(() => decodeCart(Uint8Array.from([0x32, 0xff, 0xff, 0x03]))).toThrow(CrdtDecodeError);
  });
});

describe('cart codec fast paths', () => {
  it('re-encodes a state whose metadata bytes were cached to the same bytes a fresh state gives', () => {
    const cart = Cart.create({ actor: DEVICE, clock: () => 1_700_000_000_000 });
    for (let i = 0; i < 20; i++)
      cart.add(`sku-${i}`, 1 + i, { title: `Product ${i}`, priceMinor: 100 * i, sale: i % 2 === 0 });
    const first = encodeCart(cart.state());
    cart.add('sku-3', 1, { title: 'renamed', priceMinor: 7 });
    const second = encodeCart(cart.state());
    expect(hex(encodeCart(cart.state()))).toBe(hex(second));
    // a decoded copy (fresh metadata records, nothing cached) encodes to the same bytes
    expect(hex(encodeCart(decodeCart(second)))).toBe(hex(second));
    expect(hex(encodeCart(decodeCart(first)))).toBe(hex(first));
    expect(decodeCart(second).get('sku-3')?.meta).toEqual({ title: 'renamed', priceMinor: 7 });
  });

  it('writes strings that turn non-ASCII midway, and refuses lone surrogates', () => {
    const cart = Cart.create({ actor: DEVICE });
    cart.add('sku-1', 1, { title: 'Crème brûlée, 6 pièces', note: 'x'.repeat(200) });
    const back = decodeCart(encodeCart(cart.state()));
    expect(back.get('sku-1')?.meta).toEqual({ title: 'Crème brûlée, 6 pièces', note: 'x'.repeat(200) });
    expect(() => cart.add('sku-2', 1, { title: `ok \ud800 lone` })).toThrow();
  });
});
