import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type SimConfig } from '../src/run/config.js';
import { runSeed } from '../src/run/run-seed.js';
import { controlStore } from '../src/stores/index.js';

const SHORT: SimConfig = { ...DEFAULT_CONFIG, store: 'control', durationMs: 20_000, quiesceMs: 20_000 };

describe('the last-writer-wins negative control', () => {
  it('shows lost adds and resurrections under partitions, crashes and clock skew — the checkers can fail', async () => {
    let lostAdds = 0;
    let resurrections = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const r = await runSeed({ ...SHORT, seed }, controlStore);
      expect(r.error).toBeUndefined();
      lostAdds += r.violations.lostAdds;
      resurrections += r.violations.resurrections;
    }
    expect(lostAdds).toBeGreaterThan(0);
    expect(resurrections).toBeGreaterThan(0);
  });

  it('loses concurrent adds even without any fault (read-modify-write of a whole cart)', async () => {
    let lost = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const r = await runSeed({ ...SHORT, seed, nemeses: [], clients: 8, carts: 1, rate: 5 }, controlStore);
      lost += r.violations.lostAdds;
    }
    expect(lost).toBeGreaterThan(0);
  });

  it('a seed reproduces the run exactly', async () => {
    const config = {
      ...SHORT,
      seed: 11,
      nemeses: ['partition-random', 'pause', 'loss', 'duplicate', 'reorder'] as const,
    };
    const a = await runSeed({ ...config, nemeses: [...config.nemeses] }, controlStore);
    const b = await runSeed({ ...config, nemeses: [...config.nemeses] }, controlStore);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.violations).toEqual(b.violations);
    expect(a.messages).toBe(b.messages);
    const c = await runSeed({ ...config, seed: 12, nemeses: [...config.nemeses] }, controlStore);
    expect(c.fingerprint).not.toBe(a.fingerprint);
  });
});
