import type { SimConfig } from './config.js';
import { replayArgs } from './config.js';
import { type SeedResult, VIOLATION_KINDS, type ViolationCounts } from './run-seed.js';

/** What one seed contributes to a sweep summary (small enough to cross a worker boundary). */
export interface SeedPair {
  readonly seed: number;
  readonly cartwheel: SeedResult;
  readonly control: SeedResult | undefined;
}

export interface StoreTotals {
  readonly seeds: number;
  readonly violations: ViolationCounts;
  readonly seedsWithViolations: number;
  readonly errors: number;
  readonly unconverged: number;
  readonly ops: number;
  readonly okOps: number;
  readonly messages: number;
  readonly bytes: number;
  readonly events: number;
  readonly simMs: number;
  readonly convergeMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly versionsPerRead: readonly number[];
}

export interface SweepSummary {
  readonly config: Omit<SimConfig, 'seed'>;
  readonly firstSeed: number;
  readonly seeds: number;
  readonly wallMs: number;
  /** CPU time of the whole process (every worker thread included) during the sweep. */
  readonly cpuMs: number;
  readonly eventsPerSec: number;
  readonly cartwheel: StoreTotals;
  readonly control: StoreTotals | undefined;
  /** Seeds where Cartwheel violated a checker or failed, with the command that replays each. */
  readonly failing: ReadonlyArray<{
    readonly seed: number;
    readonly replay: string;
    readonly details: readonly string[];
  }>;
  /** Per nemesis: seeds in which it was active and anomalies seen there, for both stores. */
  readonly perNemesis: ReadonlyArray<{
    readonly nemesis: string;
    readonly seeds: number;
    readonly cartwheel: number;
    readonly control: number;
  }>;
  /** (partition ms, convergence ms) samples for the report's scatter plot. */
  readonly convergence: ReadonlyArray<readonly [number, number]>;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export function anomalies(r: SeedResult): number {
  return VIOLATION_KINDS.reduce((s, k) => s + r.violations[k], 0);
}

export function totals(results: readonly SeedResult[]): StoreTotals {
  const violations: ViolationCounts = {
    diverged: 0,
    lostAdds: 0,
    resurrections: 0,
    readYourWrites: 0,
    quantity: 0,
  };
  const conv: number[] = [];
  const versions: number[] = [];
  let seedsWithViolations = 0;
  let errors = 0;
  let unconverged = 0;
  let ops = 0;
  let okOps = 0;
  let messages = 0;
  let bytes = 0;
  let events = 0;
  let simMs = 0;
  for (const r of results) {
    for (const k of VIOLATION_KINDS) violations[k] += r.violations[k];
    if (anomalies(r) > 0) seedsWithViolations++;
    if (r.error !== undefined) errors++;
    if (r.convergeMs === undefined) unconverged++;
    else conv.push(r.convergeMs);
    ops += r.ops.total;
    okOps += r.ops.ok;
    messages += r.messages;
    bytes += r.bytes;
    events += r.events;
    simMs += r.simMs;
    r.versionsPerRead.forEach((v, i) => {
      versions[i] = (versions[i] ?? 0) + v;
    });
  }
  conv.sort((a, b) => a - b);
  return {
    seeds: results.length,
    violations,
    seedsWithViolations,
    errors,
    unconverged,
    ops,
    okOps,
    messages,
    bytes,
    events,
    simMs,
    convergeMs: { p50: percentile(conv, 50), p99: percentile(conv, 99), max: conv[conv.length - 1] ?? 0 },
    versionsPerRead: Array.from(versions, (v) => v ?? 0),
  };
}

/** The command that replays one seed of a sweep. */
export function replayCommand(config: SimConfig, seed: number): string {
  return `npm run sim -- ${replayArgs({ ...config, seed })}`;
}

/** A Cartwheel seed fails on any checker violation, any run error, or no convergence. */
export function isFailure(r: SeedResult): boolean {
  return anomalies(r) > 0 || r.error !== undefined || r.convergeMs === undefined;
}

export function summarize(
  config: SimConfig,
  pairs: readonly SeedPair[],
  wallMs: number,
  cpuMs = 0,
): SweepSummary {
  const cw = pairs.map((p) => p.cartwheel);
  const ctl = pairs.flatMap((p) => (p.control === undefined ? [] : [p.control]));
  const events = cw.reduce((s, r) => s + r.events, 0) + ctl.reduce((s, r) => s + r.events, 0);
  const per = new Map<string, { seeds: number; cartwheel: number; control: number }>();
  for (const p of pairs)
    for (const n of p.cartwheel.nemeses) {
      const e = per.get(n) ?? { seeds: 0, cartwheel: 0, control: 0 };
      e.seeds++;
      e.cartwheel += anomalies(p.cartwheel);
      e.control += p.control === undefined ? 0 : anomalies(p.control);
      per.set(n, e);
    }
  const { seed: _seed, ...rest } = config;
  return {
    config: rest,
    firstSeed: config.seed,
    seeds: pairs.length,
    wallMs,
    cpuMs,
    eventsPerSec: wallMs > 0 ? Math.round(events / (wallMs / 1000)) : 0,
    cartwheel: totals(cw),
    control: ctl.length > 0 ? totals(ctl) : undefined,
    failing: pairs
      .filter((p) => isFailure(p.cartwheel))
      .map((p) => ({
        seed: p.seed,
        replay: replayCommand(config, p.seed),
        details: [
          ...(p.cartwheel.error === undefined ? [] : [`error: ${p.cartwheel.error}`]),
          ...(p.cartwheel.convergeMs === undefined ? ['did not converge within the quiescence window'] : []),
          ...p.cartwheel.details.slice(0, 5).map((d) => `${d.checker}: ${d.cart} ${d.detail}`),
        ],
      })),
    perNemesis: [...per.entries()]
      .map(([nemesis, e]) => ({ nemesis, ...e }))
      .sort((a, b) => (a.nemesis < b.nemesis ? -1 : 1)),
    convergence: cw
      .filter((r) => r.convergeMs !== undefined)
      .map((r) => [r.partitionMs, r.convergeMs as number] as const),
  };
}

/** The `--json` document; the shape is fixed by the simulations issue. */
export function toJson(s: SweepSummary): {
  seeds: number;
  violations: ViolationCounts;
  control: { lostAdds: number; resurrections: number };
  eventsPerSec: number;
} {
  return {
    seeds: s.seeds,
    violations: { ...s.cartwheel.violations },
    control: {
      lostAdds: s.control?.violations.lostAdds ?? 0,
      resurrections: s.control?.violations.resurrections ?? 0,
    },
    eventsPerSec: s.eventsPerSec,
  };
}
