import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CounterStore, WindowRow } from '../../src/popularity/counter-store.js';
import { DAY_MS, dayKey } from '../../src/popularity/events.js';

export const T0 = Date.parse('2026-11-20T12:00:00Z');

export interface CounterFixture {
  /** Opens (or reopens, over the same data) a store whose clock is `now()`. */
  open(now: () => number, windowDays?: number): Promise<CounterStore>;
  cleanup(): Promise<void>;
}

async function rows(store: CounterStore): Promise<WindowRow[]> {
  const out: WindowRow[] = [];
  for await (const r of store.window()) out.push(r);
  return out;
}

/** Every CounterStore implementation runs these (counter-store.ts states the contract). */
export function counterStoreConformance(name: string, fixture: () => Promise<CounterFixture>): void {
  describe(`CounterStore conformance: ${name}`, () => {
    let f: CounterFixture;
    beforeEach(async () => {
      f = await fixture();
    });
    afterEach(async () => f.cleanup());

    it('sums views, cart-add units and ordered units per product and day', async () => {
      let now = T0;
      const s = await f.open(() => now);
      s.record({ type: 'view', productId: 'a' });
      s.record({ type: 'view', productId: 'a' });
      s.record({ type: 'cart_add', productId: 'a', quantity: 3 });
      s.record({ type: 'order', productId: 'a', quantity: 2 });
      s.record({ type: 'view', productId: 'b', at: T0 - DAY_MS });
      expect(s.pending).toBe(2);
      expect(await s.countsOf('a', dayKey(T0))).toEqual([2, 3, 2]); // pending counts show
      await s.flush();
      expect(s.pending).toBe(0);
      now += DAY_MS;
      s.record({ type: 'view', productId: 'a' });
      await s.flush();
      expect(await rows(s)).toEqual([
        [dayKey(T0 - DAY_MS), 'b', [1, 0, 0]],
        [dayKey(T0), 'a', [2, 3, 2]],
        [dayKey(T0 + DAY_MS), 'a', [1, 0, 0]],
      ]);
      await s.close();
    });

    it('acknowledged counts survive a restart, and flushing again adds nothing', async () => {
      const now = () => T0;
      const s = await f.open(now);
      for (let i = 0; i < 5; i++) s.record({ type: 'view', productId: 'p1' });
      await s.flush();
      await s.flush();
      s.record({ type: 'cart_add', productId: 'p1', quantity: 4 });
      await s.close(); // close acknowledges what is pending
      const again = await f.open(now);
      expect(await again.countsOf('p1', dayKey(T0))).toEqual([5, 4, 0]);
      await again.flush();
      expect(await rows(again)).toEqual([[dayKey(T0), 'p1', [5, 4, 0]]]);
      await again.close();
    });

    it('the window holds only its last windowDays days', async () => {
      let now = T0;
      const s = await f.open(() => now, 3);
      s.record({ type: 'view', productId: 'old' });
      await s.flush();
      now += 3 * DAY_MS;
      s.record({ type: 'view', productId: 'new' });
      await s.flush();
      expect((await rows(s)).map((r) => r[1])).toEqual(['new']);
      await s.close();
    });

    it('concurrent flushes are serialized: every count lands once', async () => {
      const s = await f.open(() => T0);
      const flushes: Promise<void>[] = [];
      for (let i = 0; i < 200; i++) {
        s.record({ type: 'view', productId: `p${i % 7}` });
        if (i % 13 === 0) flushes.push(s.flush());
      }
      flushes.push(s.flush());
      await Promise.all(flushes);
      const total = (await rows(s)).reduce((n, r) => n + r[2][0], 0);
      expect(total).toBe(200);
      await s.close();
    });
  });
}
