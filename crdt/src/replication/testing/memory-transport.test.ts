import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';
import { MemoryNetwork } from './memory-transport.js';
import { SeededRandom } from './seeded-random.js';

function run(seed: number, faults: { loss?: number; duplicate?: number }) {
  const clock = new ManualClock();
  const net = new MemoryNetwork({
    random: new SeededRandom(seed),
    clock,
    minDelayMs: 1,
    maxDelayMs: 50,
    ...faults,
  });
  const a = net.transport('a');
  const b = net.transport('b');
  const got: number[] = [];
  b.onMessage((_f, m) => got.push(m[0]!));
  a.onMessage(() => {});
  return { clock, net, a, b, got };
}

describe('MemoryNetwork faults', () => {
  it('reorders with random delays, reproducibly from the seed', async () => {
    const orders: number[][] = [];
    for (let k = 0; k < 2; k++) {
      const { clock, a, got } = run(42, {});
      for (let i = 0; i < 100; i++) a.send('b', Uint8Array.from([i]));
      await clock.advance(100);
      expect([...got].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      orders.push(got);
    }
    expect(orders[0]).toEqual(orders[1]);
    expect(orders[0]).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('drops and duplicates at the configured rates', async () => {
    const { clock, a, net, got } = run(1, { loss: 0.3, duplicate: 0.2 });
    for (let i = 0; i < 1000; i++) a.send('b', Uint8Array.from([i % 256]));
    await clock.advance(100);
    expect(net.stats.dropped).toBeGreaterThan(200);
    expect(net.stats.dropped).toBeLessThan(400);
    expect(net.stats.duplicated).toBeGreaterThan(100);
    expect(got.length).toBe(1000 - net.stats.dropped + net.stats.duplicated);
  });

  it('partitions, one-way blocks and kill cut delivery; heal restores it', async () => {
    const { clock, a, b, net, got } = run(3, {});
    const atA: number[] = [];
    a.onMessage((_f, m) => atA.push(m[0]!));
    net.partition([['a'], ['b']]);
    a.send('b', Uint8Array.from([1]));
    net.heal();
    net.block('a', 'b');
    a.send('b', Uint8Array.from([2]));
    b.send('a', Uint8Array.from([3]));
    net.heal();
    a.send('b', Uint8Array.from([4]));
    await clock.advance(100);
    expect(got).toEqual([4]);
    expect(atA).toEqual([3]);
    net.kill('b');
    a.send('b', Uint8Array.from([5]));
    await clock.advance(100);
    expect(got).toEqual([4]);
    const b2 = net.transport('b');
    const got2: number[] = [];
    b2.onMessage((_f, m) => got2.push(m[0]!));
    a.send('b', Uint8Array.from([6]));
    await clock.advance(100);
    expect(got2).toEqual([6]);
  });
});
