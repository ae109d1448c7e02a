/**
 * The simulator's machine output for Jepsen/Maelstrom users: the `--json` document, the flags,
 * nemesis events in histories, and the report's timelines and per-nemesis breakdown.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCli } from '../src/cli/args.js';
import { summaryText } from '../src/cli/table.js';
import { renderReport } from '../src/report/html.js';
import { DEFAULT_CONFIG, type SimConfig } from '../src/run/config.js';
import { runSeed, type SeedResult } from '../src/run/run-seed.js';
import { isolatedRow, type SeedPair, summarize, toJson } from '../src/run/summary.js';
import { sweep } from '../src/run/sweep.js';
import { storeFactory } from '../src/stores/index.js';

const SHORT: SimConfig = {
  ...DEFAULT_CONFIG,
  seed: 7,
  nemeses: ['kill', 'partition-halves'],
  durationMs: 4_000,
  quiesceMs: 60_000,
  clients: 2,
  rate: 3,
};

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A seed result with the given faults of its run, for summaries built by hand. */
function result(seed: number, over: Partial<SeedResult> = {}): SeedResult {
  return {
    seed,
    store: 'cartwheel',
    violations: { diverged: 0, lostAdds: 0, resurrections: 0, readYourWrites: 0, quantity: 0 },
    details: [],
    error: undefined,
    converged: true,
    convergeMs: 120,
    partitionMs: 0,
    nemeses: ['kill'],
    ops: { total: 10, ok: 9, fail: 1, unknown: 0 },
    versionsPerRead: [0, 5],
    messages: 100,
    bytes: 1000,
    events: 500,
    simMs: 5_000,
    wallMs: 3,
    restarts: 0,
    fingerprint: 'x',
    timeline: { bucketMs: 1_000, buckets: [{ at: 0, ok: 3, failed: 0, p50: 2, max: 9 }], faults: [] },
    ...over,
  };
}

describe('--json', () => {
  it('carries the config, failing seeds with replay commands, errors, unconverged runs', () => {
    const pairs: SeedPair[] = [
      { seed: 1, cartwheel: result(1), control: result(1, { store: 'control' }) },
      {
        seed: 2,
        cartwheel: result(2, {
          violations: { diverged: 0, lostAdds: 1, resurrections: 0, readYourWrites: 0, quantity: 0 },
          details: [{ checker: 'lostAdds', cart: 'cart-0', detail: 'p1 lost' }],
        }),
        control: undefined,
      },
      { seed: 3, cartwheel: result(3, { error: 'boom' }), control: undefined },
      { seed: 4, cartwheel: result(4, { convergeMs: undefined, converged: false }), control: undefined },
    ];
    const json = toJson(summarize({ ...SHORT, seed: 1 }, pairs, 1_000, 900));
    expect(json.format).toBe('cartwheel-sim-summary/v2');
    expect(json.config).toMatchObject({
      nodes: 5,
      n: 3,
      r: 2,
      w: 2,
      nemeses: ['kill', 'partition-halves'],
      firstSeed: 1,
      seeds: 4,
    });
    expect(json.failing.map((f) => f.seed)).toEqual([2, 3, 4]);
    for (const f of json.failing)
      expect(f.replay).toMatch(
        new RegExp(`^npm run sim -- --seed ${f.seed} --nodes 5 --nemesis kill,partition-halves`),
      );
    expect(json.failing[0]?.details).toEqual(['lostAdds: cart-0 p1 lost']);
    expect(json.errors).toEqual([
      { seed: 3, store: 'cartwheel', error: 'boom', replay: expect.stringContaining('--seed 3') },
    ]);
    expect(json.unconverged).toEqual([
      { seed: 4, store: 'cartwheel', replay: expect.stringContaining('--seed 4') },
    ]);
    expect(json.violations.lostAdds).toBe(1);
    expect(json.control).toMatchObject({ seeds: 1, lostAdds: 0, resurrections: 0 });
    // the document is plain JSON
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('counts a checker that did not run as null, not 0 (read-your-writes needs PR + PW > N)', () => {
    const pairs: SeedPair[] = [{ seed: 1, cartwheel: result(1), control: undefined }];
    const loose = toJson(summarize({ ...SHORT, pr: 0, pw: 0 }, pairs, 10));
    expect(loose.checkers.readYourWrites).toBe(false);
    expect(loose.violations.readYourWrites).toBeNull();
    expect(loose.violations.lostAdds).toBe(0);
    // no control ran: its counts are null too
    expect(loose.control).toEqual({ seeds: 0, lostAdds: null, resurrections: null, violations: null });
    expect(summaryText(summarize({ ...SHORT, pr: 0, pw: 0 }, pairs, 10))).toMatch(
      /readYourWrites\s+not checked/,
    );

    const strict = toJson(summarize({ ...SHORT, pr: 2, pw: 2 }, pairs, 10));
    expect(strict.checkers.readYourWrites).toBe(true);
    expect(strict.violations.readYourWrites).toBe(0);
  });

  it('a real sweep: per-nemesis counts with seeds where a nemesis ran alone, timelines, isolated rows', async () => {
    const s = await sweep({ config: SHORT, seeds: 3, withControl: true, workers: 1 });
    const json = toJson(s);
    expect(json.seeds).toBe(3);
    expect(json.failing).toEqual([]);
    for (const row of json.perNemesis) {
      expect(row.soloSeeds).toBeLessThanOrEqual(row.seeds);
      expect(row).toHaveProperty('soloCartwheel');
    }
    expect(json.isolatedNemeses).toBeNull();
    expect(s.timelines.length).toBe(3);
    expect(s.timelines[0]?.timeline.buckets.length).toBeGreaterThan(0);
    const alone = await sweep({
      config: { ...SHORT, nemeses: ['kill'] },
      seeds: 2,
      withControl: false,
      workers: 1,
    });
    const withIsolated = { ...s, isolated: [isolatedRow('kill', alone)] };
    expect(toJson(withIsolated).isolatedNemeses).toEqual([
      expect.objectContaining({ nemesis: 'kill', seeds: 2, failingSeeds: 0, control: undefined }),
    ]);
    const html = renderReport(withIsolated);
    expect(html).toContain('Per-nemesis breakdown');
    expect(html).toContain('--per-nemesis');
    expect(html.match(/<h3>seed \d+/g)?.length).toBe(3);
    // fault windows are shaded in the timelines
    expect(html).toMatch(/<rect [^>]*fill-opacity="0.18"><title>(kill|partition-halves) /);
  }, 120_000);
});

describe('histories', () => {
  it('include the nemesis events (start and stop of every fault window) beside the ops', async () => {
    const r = await runSeed({ ...SHORT, nemeses: ['kill'], intensity: 4 }, storeFactory('cartwheel'), {
      keepHistory: true,
    });
    const events = r.history?.nemesis ?? [];
    const starts = events.filter((e) => e.f === 'start-kill');
    expect(starts.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.f === 'stop-kill').length).toBe(starts.length);
    for (const e of events) {
      expect(e).toMatchObject({ process: 'nemesis', type: 'info', nemesis: 'kill' });
      expect(e.value).toMatch(/^n\d/);
    }
    expect(r.timeline.faults.length).toBe(starts.length);
  }, 60_000);
});

describe('flags', () => {
  it('--html writes the report; --report is its alias; --per-nemesis takes a seed count', () => {
    expect(parseCli(['--html', 'r.html']).html).toBe('r.html');
    expect(parseCli(['--report', 'r.html']).html).toBe('r.html');
    expect(() => parseCli(['--html', 'a.html', '--report', 'b.html'])).toThrow(/same option/);
    expect(parseCli([]).perNemesisSeeds).toBe(0);
    expect(parseCli(['--per-nemesis', '5']).perNemesisSeeds).toBe(5);
    expect(() => parseCli(['--per-nemesis', '-1'])).toThrow(TypeError);
  });

  it('npm run sim -- --json --html --per-nemesis: one JSON document on stdout and the report file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cartwheel-sim-out-'));
    dirs.push(dir);
    const html = join(dir, 'report.html');
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        'simulations/scripts/run-sim.mjs',
        '--seeds',
        '2',
        '--duration',
        '3',
        '--nemesis',
        'kill,loss',
        '--per-nemesis',
        '1',
        '--workers',
        '1',
        '--json',
        '--html',
        html,
      ],
      { cwd: root, timeout: 120_000 },
    );
    const json = JSON.parse(stdout) as ReturnType<typeof toJson>;
    expect(json.format).toBe('cartwheel-sim-summary/v2');
    expect(json.config.nemeses).toEqual(['kill', 'loss']);
    expect(json.isolatedNemeses?.map((r) => r.nemesis)).toEqual(['kill', 'loss']);
    expect(json.violations.readYourWrites).toBeNull();
    expect(readFileSync(html, 'utf8')).toContain('From <code>--per-nemesis</code> sweeps');
  }, 150_000);
});
