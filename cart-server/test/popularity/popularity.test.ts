import { describe, expect, it } from 'vitest';
import { DAY_MS, dayKey } from '../../src/popularity/events.js';
import { PopularityService } from '../../src/popularity/popularity-service.js';
import { BandAssigner } from '../../src/popularity/ranking.js';
import { diskDb } from '../catalog/helpers.js';

const T0 = Date.parse('2026-11-20T12:00:00Z');

describe('popularity counters and ranking', () => {
  it('aggregates views, cart adds and orders into persisted daily windows', async () => {
    const d = await diskDb();
    let now = T0;
    const svc = new PopularityService(d.db, { flushIntervalMs: 0, now: () => now });
    svc.record({ type: 'view', productId: 'a' });
    svc.record({ type: 'view', productId: 'a' });
    svc.record({ type: 'cart_add', productId: 'a', quantity: 3 });
    svc.record({ type: 'order', productId: 'a', quantity: 2 });
    now += DAY_MS;
    svc.record({ type: 'view', productId: 'a' });
    await svc.close();
    // A new service over the same database sees the flushed counters.
    const again = new PopularityService(d.db, { flushIntervalMs: 0, now: () => now });
    expect(await again.counters.countsOf('a', dayKey(T0))).toEqual([2, 3, 2]);
    expect(await again.counters.countsOf('a', dayKey(T0 + DAY_MS))).toEqual([1, 0, 0]);
    await again.close();
    await d.close();
  });

  it('drops invalid events without throwing (a soft signal on a hot path)', async () => {
    const d = await diskDb();
    const svc = new PopularityService(d.db, { flushIntervalMs: 0 });
    svc.record({ type: 'view', productId: '../etc/passwd' });
    svc.record({ type: 'bogus' as 'view', productId: 'a' });
    svc.record({ type: 'order', productId: 'a', quantity: -1 });
    expect(svc.dropped).toBe(3);
    expect(svc.counters.pending).toBe(0);
    await svc.close();
    await d.close();
  });

  it('ranks with weights and daily decay, keeps the snapshot across restarts, and forgets days outside the window', async () => {
    const d = await diskDb();
    let now = T0;
    const svc = new PopularityService(d.db, {
      flushIntervalMs: 0,
      now: () => now,
      topK: 2,
      windowDays: 7,
      decay: 0.5,
    });
    for (let i = 0; i < 10; i++) svc.record({ type: 'view', productId: 'old-hit' }); // 10 points today
    await svc.flush();
    now += 3 * DAY_MS; // old-hit decays to 10 × 0.5³ = 1.25
    svc.record({ type: 'cart_add', productId: 'fresh' }); // 5
    svc.record({ type: 'view', productId: 'meh' }); // 1
    const r = await svc.rank();
    expect(r.top).toEqual(['fresh', 'old-hit']);
    expect(r.scores.fresh).toBe(1);
    expect(r.scores['old-hit']).toBeCloseTo(1.25 / 5);
    const bands = new BandAssigner(r);
    expect([bands.band('fresh'), bands.band('meh'), bands.band('never-seen')]).toEqual([
      'top',
      'active',
      'tail',
    ]);
    await svc.close();

    const reopened = new PopularityService(d.db, {
      flushIntervalMs: 0,
      now: () => now,
      topK: 2,
      windowDays: 7,
    });
    await reopened.open();
    expect(reopened.latest().top).toEqual(['fresh', 'old-hit']);
    now += 10 * DAY_MS; // everything is now outside the 7-day window
    reopened.record({ type: 'view', productId: 'new' });
    const later = await reopened.rank();
    expect(later.top).toEqual(['new']);
    expect(await reopened.counters.countsOf('fresh', dayKey(T0 + 3 * DAY_MS))).toEqual([0, 0, 0]); // pruned
    await reopened.close();
    await d.close();
  });
});
