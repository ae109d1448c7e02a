import { describe, expect, it } from 'vitest';
import { EventQueue, type SimEvent } from '../src/sim/event-queue.js';
import { Prng } from '../src/sim/prng.js';

describe('Prng', () => {
  it('reproduces a stream from its seed and differs across seeds', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const sa = Array.from({ length: 100 }, () => a.nextUint32());
    expect(Array.from({ length: 100 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 100 }, () => c.nextUint32())).not.toEqual(sa);
  });

  it('draws floats in [0, 1) with a sane mean and ints in range', () => {
    const r = new Prng(7);
    let sum = 0;
    let lo = 1;
    let hi = 0;
    for (let i = 0; i < 20_000; i++) {
      const x = r.next();
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
      sum += x;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(sum / 20_000).toBeGreaterThan(0.48);
    expect(sum / 20_000).toBeLessThan(0.52);
    const seen = new Set<number>();
    for (let i = 0; i < 1_000; i++) seen.add(r.int(3, 6));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });

  it('rejects bad seeds', () => {
    expect(() => new Prng(-1)).toThrow(TypeError);
    expect(() => new Prng(1.5)).toThrow(TypeError);
  });
});

describe('EventQueue', () => {
  it('pops by time, then by scheduling order', () => {
    const q = new EventQueue();
    const r = new Prng(1);
    const events: SimEvent[] = [];
    for (let seq = 0; seq < 500; seq++) {
      const e = { time: r.int(0, 50), seq, fn: () => undefined, cancelled: false };
      events.push(e);
      q.push(e);
    }
    const out: SimEvent[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(e);
    expect(out).toEqual([...events].sort((a, b) => a.time - b.time || a.seq - b.seq));
  });
});
