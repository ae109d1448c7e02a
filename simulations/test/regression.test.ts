import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCli } from '../src/cli/args.js';
import { runSeed } from '../src/run/run-seed.js';
import { cartwheelStore } from '../src/stores/index.js';

interface RegressionCase {
  readonly seed: number;
  readonly args: string;
  readonly status: 'pass' | 'open';
  readonly cause: string;
  /** What the seed guards, when it is worth a name of its own. */
  readonly name?: string;
}

const file = JSON.parse(readFileSync(new URL('./regression-seeds.json', import.meta.url), 'utf8')) as {
  cases: RegressionCase[];
};

describe('committed regression seeds', () => {
  it('the file is well formed and every seed is unique per configuration', () => {
    const keys = file.cases.map((c) => `${c.seed} ${c.args}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const c of file.cases) {
      expect(['pass', 'open']).toContain(c.status);
      expect(c.cause.length).toBeGreaterThan(10);
      expect(() => parseCli(['--seed', String(c.seed), ...c.args.split(' ')])).not.toThrow();
    }
  });

  for (const c of file.cases.filter((x) => x.status === 'pass'))
    it(`seed ${c.seed} (${c.args}) ${c.name ?? 'stays clean'}`, async () => {
      const { config } = parseCli(['--seed', String(c.seed), ...c.args.split(' ')]);
      const r = await runSeed(config, cartwheelStore);
      expect(r.error).toBeUndefined();
      expect(r.details).toEqual([]);
      expect(r.converged).toBe(true);
    });
});
