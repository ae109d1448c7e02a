import { describe, expect, it } from 'vitest';
import { NEMESES } from '../src/nemesis/nemesis.js';
import { DEFAULT_CONFIG, type SimConfig } from '../src/run/config.js';
import { sweep } from '../src/run/sweep.js';

/**
 * The `npm test` smoke sweep: 100 short seeds with every nemesis, Cartwheel and the LWW control
 * under the same plans. Cartwheel must show no violation; the control must show anomalies,
 * or the checkers would be blind. (The full soak is `npm run sim:soak`.)
 */
const SMOKE: SimConfig = {
  ...DEFAULT_CONFIG,
  seed: 1_000,
  nemeses: [...NEMESES],
  durationMs: 8_000,
  quiesceMs: 90_000,
  clients: 3,
  rate: 3,
  intensity: 3,
};

describe('smoke sweep', () => {
  it('100 seeds: zero violations for Cartwheel, anomalies for the LWW control', {
    timeout: 240_000,
  }, async () => {
    const s = await sweep({ config: SMOKE, seeds: 100, withControl: true, workers: 1 });
    expect(s.failing.map((f) => `${f.replay}\n${f.details.join('\n')}`)).toEqual([]);
    expect(s.cartwheel.violations).toEqual({
      diverged: 0,
      lostAdds: 0,
      resurrections: 0,
      readYourWrites: 0,
      quantity: 0,
    });
    expect(s.cartwheel.errors).toBe(0);
    expect(s.cartwheel.unconverged).toBe(0);
    expect(s.control?.violations.lostAdds).toBeGreaterThan(0);
    expect(s.control?.violations.resurrections).toBeGreaterThan(0);
  });
});
