import type { SimConfig } from './config.js';
import { replayArgs } from './config.js';
import { type SeedResult, VIOLATION_KINDS, type ViolationCounts, type ViolationKind } from './run-seed.js';
import type { SeedTimeline } from './timeline.js';

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
  /** Which checkers ran (readYourWrites needs strict quorums, PR + PW > N). */
  readonly checked: Readonly<Record<ViolationKind, boolean>>;
  /** Seeds whose run threw (either store), with the command that replays each. */
  readonly errors: ReadonlyArray<{
    readonly seed: number;
    readonly store: string;
    readonly error: string;
    readonly replay: string;
  }>;
  /** Seeds whose replicas did not converge within the quiescence window (either store). */
  readonly unconverged: ReadonlyArray<{
    readonly seed: number;
    readonly store: string;
    readonly replay: string;
  }>;
  /**
   * Per nemesis: seeds in which it was active and anomalies seen there, for both stores; `solo*`
   * counts only seeds where it was the only nemesis active, so causes can be told apart.
   */
  readonly perNemesis: ReadonlyArray<NemesisRow>;
  /** Sweeps with one nemesis each (`--per-nemesis N`), when run. */
  readonly isolated?: ReadonlyArray<IsolatedNemesis>;
  /** Timelines of the failing seeds first, then of the first seeds, for the report. */
  readonly timelines: ReadonlyArray<{
    readonly seed: number;
    readonly failing: boolean;
    readonly timeline: SeedTimeline;
  }>;
  /** (partition ms, convergence ms) samples for the report's scatter plot. */
  readonly convergence: ReadonlyArray<readonly [number, number]>;
}

export interface NemesisRow {
  readonly nemesis: string;
  readonly seeds: number;
  readonly cartwheel: number;
  readonly control: number;
  readonly soloSeeds: number;
  readonly soloCartwheel: number;
  readonly soloControl: number;
}

/** One nemesis alone over its own seeds: what it costs in anomalies, failures and convergence. */
export interface IsolatedNemesis {
  readonly nemesis: string;
  readonly seeds: number;
  readonly failingSeeds: number;
  readonly cartwheel: ViolationCounts;
  readonly control: ViolationCounts | undefined;
  readonly okShare: number;
  readonly convergeMs: StoreTotals['convergeMs'];
}

/** Timelines kept per sweep: enough for a report, small enough for a 10,000-seed soak. */
export const MAX_TIMELINES = 8;

/** Which checkers a configuration runs: read-your-writes only holds (and is checked) when PR + PW > N. */
export function checkedKinds(config: Pick<SimConfig, 'pr' | 'pw' | 'n'>): Record<ViolationKind, boolean> {
  return {
    diverged: true,
    lostAdds: true,
    resurrections: true,
    readYourWrites: config.pr + config.pw > config.n,
    quantity: true,
  };
}

export function isolatedRow(nemesis: string, s: SweepSummary): IsolatedNemesis {
  const ok = s.cartwheel.ops === 0 ? 1 : s.cartwheel.okOps / s.cartwheel.ops;
  return {
    nemesis,
    seeds: s.seeds,
    failingSeeds: s.failing.length,
    cartwheel: { ...s.cartwheel.violations },
    control: s.control === undefined ? undefined : { ...s.control.violations },
    okShare: Math.round(ok * 10_000) / 10_000,
    convergeMs: s.cartwheel.convergeMs,
  };
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
  type Counts = { -readonly [K in Exclude<keyof NemesisRow, 'nemesis'>]: number };
  const per = new Map<string, Counts>();
  for (const p of pairs) {
    const solo = p.cartwheel.nemeses.length === 1;
    for (const n of p.cartwheel.nemeses) {
      const e = per.get(n) ?? {
        seeds: 0,
        cartwheel: 0,
        control: 0,
        soloSeeds: 0,
        soloCartwheel: 0,
        soloControl: 0,
      };
      const cw = anomalies(p.cartwheel);
      const ctl = p.control === undefined ? 0 : anomalies(p.control);
      e.seeds++;
      e.cartwheel += cw;
      e.control += ctl;
      if (solo) {
        e.soloSeeds++;
        e.soloCartwheel += cw;
        e.soloControl += ctl;
      }
      per.set(n, e);
    }
  }
  const results = pairs.flatMap((p) => [p.cartwheel, ...(p.control === undefined ? [] : [p.control])]);
  const replayOf = (r: SeedResult) => replayCommand(config, r.seed);
  const failingSeeds = new Set(pairs.filter((p) => isFailure(p.cartwheel)).map((p) => p.seed));
  // A sweep keeps the timelines of its first and failing seeds only (sweep.ts).
  const shown = pairs.filter((p) => p.cartwheel.timeline.buckets.length > 0);
  const timelineSeeds = [
    ...shown.filter((p) => failingSeeds.has(p.seed)),
    ...shown.filter((p) => !failingSeeds.has(p.seed)),
  ].slice(0, MAX_TIMELINES);
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
    checked: checkedKinds(config),
    errors: results
      .filter((r) => r.error !== undefined)
      .map((r) => ({ seed: r.seed, store: r.store, error: r.error as string, replay: replayOf(r) })),
    unconverged: results
      .filter((r) => r.convergeMs === undefined)
      .map((r) => ({ seed: r.seed, store: r.store, replay: replayOf(r) })),
    timelines: timelineSeeds.map((p) => ({
      seed: p.seed,
      failing: failingSeeds.has(p.seed),
      timeline: p.cartwheel.timeline,
    })),
    perNemesis: [...per.entries()]
      .map(([nemesis, e]) => ({ nemesis, ...e }))
      .sort((a, b) => (a.nemesis < b.nemesis ? -1 : 1)),
    convergence: cw
      .filter((r) => r.convergeMs !== undefined)
      .map((r) => [r.partitionMs, r.convergeMs as number] as const),
  };
}

/** A checker's count, or null when the configuration does not run that checker. */
export type CheckedCounts = Record<ViolationKind, number | null>;

function countsOrNull(v: ViolationCounts, checked: Readonly<Record<ViolationKind, boolean>>): CheckedCounts {
  const out = {} as CheckedCounts;
  for (const k of VIOLATION_KINDS) out[k] = checked[k] ? v[k] : null;
  return out;
}

/**
 * The `--json` document (cartwheel-sim-summary/v2; docs in simulations/README.md). The v1 keys
 * stay where they were (`seeds`, `violations`, `control.lostAdds`, `control.resurrections`,
 * `eventsPerSec`); a checker that did not run counts `null`, never 0, and so does the control
 * when it did not run.
 */
export function toJson(s: SweepSummary) {
  const ctl = s.control;
  return {
    format: 'cartwheel-sim-summary/v2' as const,
    config: { ...s.config, firstSeed: s.firstSeed, seeds: s.seeds },
    seeds: s.seeds,
    checkers: { ...s.checked },
    violations: countsOrNull(s.cartwheel.violations, s.checked),
    seedsWithViolations: s.cartwheel.seedsWithViolations,
    control:
      ctl === undefined
        ? { seeds: 0, lostAdds: null, resurrections: null, violations: null }
        : {
            seeds: ctl.seeds,
            lostAdds: ctl.violations.lostAdds,
            resurrections: ctl.violations.resurrections,
            violations: countsOrNull(ctl.violations, s.checked),
          },
    failing: s.failing.map((f) => ({ ...f })),
    errors: s.errors.map((e) => ({ ...e })),
    unconverged: s.unconverged.map((u) => ({ ...u })),
    convergeMs: s.cartwheel.convergeMs,
    ops: { total: s.cartwheel.ops, ok: s.cartwheel.okOps },
    perNemesis: s.perNemesis.map((p) => ({ ...p })),
    isolatedNemeses: s.isolated === undefined ? null : s.isolated.map((r) => ({ ...r })),
    wallMs: Math.round(s.wallMs),
    cpuMs: Math.round(s.cpuMs),
    eventsPerSec: s.eventsPerSec,
  };
}
