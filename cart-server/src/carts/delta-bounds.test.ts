import { Cart, type CartState, cartFromJSON, cartType } from '@cartwheel/crdt';
import { describe, expect, it } from 'vitest';
import { spacedDotDeltas } from '../../test/support/poison.js';
import { checkCartGrowth, checkDeltaShape, deltaBounds } from './delta-bounds.js';

const DEVICE = '3f1b9a0e-2c4d-4e5f-8a6b-7c8d9e0f1a2b';
const bounds = deltaBounds(20);

/** A delta whose context names `count` single dots of DEVICE: first, first + 2, first + 4, ... */
function spacedDots(first: number, count: number): CartState {
  return spacedDotDeltas(DEVICE, 1, count, first)[0] as CartState;
}

/** Runs both checks the way CartService.merge does; returns the joined state. */
function merge(stored: CartState, delta: CartState): CartState {
  checkDeltaShape(delta, bounds);
  const after = cartType.join(stored, delta);
  checkCartGrowth(stored, stored.context(), after, DEVICE, bounds);
  return after;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe('deltaBounds', () => {
  it('derives every bound from the line bound and the decoder limits', () => {
    expect(bounds.maxLines).toBe(20);
    expect(bounds.maxEntries).toBe(320);
    expect(bounds.maxActorRanges).toBe(64);
    expect(bounds.maxDeltaIntervals).toBe(bounds.maxEntries + 2 * bounds.maxActors);
    expect(deltaBounds(500).maxEntries).toBeLessThanOrEqual(8000);
    expect(() => deltaBounds(0)).toThrow(TypeError);
  });
});

describe('checkDeltaShape', () => {
  it('refuses the poisoning delta (23,000 single-dot ranges) before anything reads the cart', () => {
    expect(codeOf(() => checkDeltaShape(spacedDots(1, 23_000), bounds))).toBe('DELTA_TOO_LARGE');
  });

  it('refuses a delta with more entries than a cart may hold', () => {
    const device = Cart.create({ actor: DEVICE });
    let delta = cartType.empty();
    for (let i = 0; i <= bounds.maxEntries; i++) delta = cartType.join(delta, device.add(`p${i}`, 1));
    expect(codeOf(() => checkDeltaShape(delta, bounds))).toBe('DELTA_TOO_LARGE');
  });
});

describe('checkCartGrowth', () => {
  it('accepts what a device sends: live deltas in order and a catch-up after offline changes', () => {
    const device = Cart.create({ actor: DEVICE });
    let stored = cartType.empty();
    for (let i = 0; i < 15; i++) {
      stored = merge(stored, device.add(`sku-${i}`, 1));
      stored = merge(stored, device.add(`maybe-${i}`, 1));
      stored = merge(stored, device.remove(`maybe-${i}`));
    }
    stored = merge(stored, device.setQuantity('sku-3', 4));
    stored = merge(stored, device.remove('sku-4'));
    // Offline: more changes, then one catch-up delta against what the server has seen. Its context
    // for the device is fragmented by the live dots the server already holds, and that is fine.
    for (let i = 0; i < 4; i++) device.add(`offline-${i}`, 2);
    device.remove('sku-5');
    const catchUp = device.deltaSince(stored.context());
    expect(catchUp.context().rangesOf(DEVICE).length).toBeGreaterThan(bounds.maxActorRanges / 8);
    stored = merge(stored, catchUp);
    expect(stored.size).toBe(17);
    expect(stored.context().rangesOf(DEVICE)).toHaveLength(1);
  });

  it('refuses a delta that leaves more than maxActorRanges runs of the device, then lets gaps heal', () => {
    let stored = merge(cartType.empty(), spacedDots(1, 40));
    expect(stored.context().rangesOf(DEVICE)).toHaveLength(40);
    // 40 + 30 runs: over the bound and growing.
    expect(codeOf(() => merge(stored, spacedDots(81, 30)))).toBe('CART_TOO_LARGE');
    stored = merge(stored, spacedDots(81, 24)); // exactly 64
    expect(codeOf(() => merge(stored, spacedDots(200, 1)))).toBe('CART_TOO_LARGE');
    // Filling gaps never grows the count, so a fragmented cart can always heal.
    const fill = cartFromJSON({ version: 1, context: { [DEVICE]: [[2, 2]] }, lines: {} });
    stored = merge(stored, fill);
    expect(stored.context().rangesOf(DEVICE)).toHaveLength(63);
  });

  it('refuses a delta that adds lines past the line bound; removals still pass', () => {
    const device = Cart.create({ actor: DEVICE });
    let stored = cartType.empty();
    for (let i = 0; i < 20; i++) stored = merge(stored, device.add(`p${i}`, 1));
    expect(codeOf(() => merge(stored, device.add('one-too-many', 1)))).toBe('CART_TOO_LARGE');
    const again = Cart.fromState(stored, { actor: DEVICE });
    stored = merge(stored, again.add('p3', 2)); // an existing line grows, no new line
    stored = merge(stored, again.remove('p0'));
    expect(stored.size).toBe(19);
  });
});
