import { describe, expect, it } from 'vitest';
import { NEMESES } from '../src/nemesis/nemesis.js';
import { DEFAULT_CONFIG, type SimConfig } from '../src/run/config.js';
import type { SeedPair } from '../src/run/summary.js';
import { sweep } from '../src/run/sweep.js';

const SHORT: SimConfig = {
  ...DEFAULT_CONFIG,
  seed: 300,
  nemeses: [...NEMESES],
  durationMs: 6_000,
  quiesceMs: 90_000,
};

/** seed → the fingerprints of both stores' runs, as a sweep reported them. */
async function fingerprints(workers: number): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const record = (pair: SeedPair) =>
    out.set(pair.seed, `${pair.cartwheel.fingerprint} ${pair.control?.fingerprint ?? '-'}`);
  const s = await sweep({
    config: SHORT,
    seeds: 6,
    withControl: true,
    controlEvery: 2,
    workers,
    onSeed: record,
  });
  expect(s.failing).toEqual([]);
  return out;
}

describe('sweep', () => {
  it('a seed gives the same run whatever the number of workers', { timeout: 120_000 }, async () => {
    const inProcess = await fingerprints(1);
    const threaded = await fingerprints(2);
    expect(inProcess.size).toBe(6);
    expect([...threaded].sort((a, b) => a[0] - b[0])).toEqual([...inProcess]);
  });
});
