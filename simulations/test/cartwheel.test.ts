import { describe, expect, it } from 'vitest';
import { NEMESES } from '../src/nemesis/nemesis.js';
import { DEFAULT_CONFIG, type SimConfig } from '../src/run/config.js';
import { runSeed } from '../src/run/run-seed.js';
import { cartwheelStore } from '../src/stores/index.js';

const SHORT: SimConfig = { ...DEFAULT_CONFIG, durationMs: 15_000, quiesceMs: 90_000, nemeses: [...NEMESES] };

describe('the real replication core under simulation', () => {
  it('two runs of a seed give identical histories (every nemesis on, async storage included)', async () => {
    const a = await runSeed({ ...SHORT, seed: 4242 }, cartwheelStore, { keepHistory: true });
    const b = await runSeed({ ...SHORT, seed: 4242 }, cartwheelStore, { keepHistory: true });
    expect(a.error).toBeUndefined();
    expect(a.history?.ops.length).toBeGreaterThan(50);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(JSON.stringify(b.history?.ops)).toBe(JSON.stringify(a.history?.ops));
    expect(b.messages).toBe(a.messages);
  });

  it('a partition with writes on both sides heals into one cart with nothing lost (riak_test verify_dt_converge)', async () => {
    const r = await runSeed(
      { ...SHORT, seed: 7, nemeses: ['partition-halves'], intensity: 1, devices: 3 },
      cartwheelStore,
    );
    expect(r.error).toBeUndefined();
    expect(r.partitionMs).toBeGreaterThan(0);
    expect(r.converged).toBe(true);
    expect(r.violations).toEqual({
      diverged: 0,
      lostAdds: 0,
      resurrections: 0,
      readYourWrites: 0,
      quantity: 0,
    });
    expect(r.ops.ok).toBeGreaterThan(20);
  });

  it('strict quorums (PR = PW = 2 of N = 3) give read-your-writes, checked on every read', async () => {
    const r = await runSeed(
      { ...SHORT, seed: 9, pr: 2, pw: 2, nemeses: ['kill', 'partition-random'], devices: 0 },
      cartwheelStore,
      { keepHistory: true },
    );
    expect(r.error).toBeUndefined();
    expect(r.violations.readYourWrites).toBe(0);
    const checkedReads = r.history?.ops.filter((op) => op.f === 'read' && op.outcome === 'ok').length ?? 0;
    expect(checkedReads).toBeGreaterThan(5);
  });
});
