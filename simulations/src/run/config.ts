import type { NemesisName } from '../nemesis/nemesis.js';
import { DEFAULT_MIX, type OperationMix } from '../workload/plan.js';

export type StoreName = 'cartwheel' | 'control';

export interface SimConfig {
  readonly seed: number;
  readonly store: StoreName;
  readonly nodes: number;
  readonly nemeses: readonly NemesisName[];
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly pr: number;
  readonly pw: number;
  readonly carts: number;
  readonly productsPerCart: number;
  readonly clients: number;
  readonly devices: number;
  /** Operations per second per client. */
  readonly rate: number;
  /** Simulated milliseconds of workload and faults before the heal. */
  readonly durationMs: number;
  /** Simulated milliseconds allowed after the heal for convergence. */
  readonly quiesceMs: number;
  /** Mean fault windows per 10 simulated seconds. */
  readonly intensity: number;
  /** Crashes also lose writes whose fsync had not finished. */
  readonly loseUnsynced: boolean;
  readonly requestTimeoutMs: number;
  readonly mix: OperationMix;
  /** Timer settings of the replication core under test (its protocol, not the simulator's). */
  readonly core: CoreTimers;
}

export interface CoreTimers {
  readonly heartbeatMs: number;
  readonly failureTimeoutMs: number;
  readonly handoffMs: number;
  readonly aaeMs: number;
  readonly ringSize: number;
}

/**
 * The core's defaults scaled down so failure detection, handoff and anti-entropy act within a
 * one-minute run (defaults: heartbeat 1 s, failure timeout 5 s, handoff 2 s, AAE 5 s).
 */
export const SIM_CORE_TIMERS: CoreTimers = {
  heartbeatMs: 1_000,
  failureTimeoutMs: 3_000,
  handoffMs: 1_000,
  aaeMs: 1_000,
  ringSize: 64,
};

export const DEFAULT_CONFIG: SimConfig = {
  seed: 1,
  store: 'cartwheel',
  nodes: 5,
  nemeses: ['partition-halves', 'kill', 'clock-skew'],
  n: 3,
  r: 2,
  w: 2,
  pr: 0,
  pw: 0,
  carts: 4,
  productsPerCart: 6,
  clients: 4,
  devices: 2,
  rate: 2,
  durationMs: 60_000,
  quiesceMs: 90_000,
  intensity: 2,
  loseUnsynced: true,
  requestTimeoutMs: 1_000,
  mix: DEFAULT_MIX,
  core: SIM_CORE_TIMERS,
};

export function validateConfig(c: SimConfig): void {
  const int = (name: string, v: number, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max)
      throw new TypeError(`${name} must be an integer in ${min}..${max}, got ${v}`);
  };
  int('seed', c.seed, 0, Number.MAX_SAFE_INTEGER);
  int('nodes', c.nodes, 1, 64);
  int('n', c.n, 1, c.nodes);
  int('r', c.r, 1, c.n);
  int('w', c.w, 1, c.n);
  int('pr', c.pr, 0, c.n);
  int('pw', c.pw, 0, c.n);
  int('carts', c.carts, 1, 10_000);
  int('clients', c.clients, 0, 1_000);
  int('devices', c.devices, 0, 1_000);
  if (!(c.rate > 0 && c.rate <= 10_000)) throw new TypeError('rate must be in (0, 10000]');
  if (!(c.durationMs > 0)) throw new TypeError('duration must be positive');
}

/** The replay arguments of a seed: enough to reproduce it exactly with the CLI. */
export function replayArgs(c: SimConfig): string {
  const d = DEFAULT_CONFIG;
  const parts = [
    `--seed ${c.seed}`,
    `--nodes ${c.nodes}`,
    `--nemesis ${c.nemeses.length === 0 ? 'none' : c.nemeses.join(',')}`,
  ];
  const num: Array<[string, number, number]> = [
    ['n', c.n, d.n],
    ['r', c.r, d.r],
    ['w', c.w, d.w],
    ['pr', c.pr, d.pr],
    ['pw', c.pw, d.pw],
    ['carts', c.carts, d.carts],
    ['clients', c.clients, d.clients],
    ['devices', c.devices, d.devices],
    ['rate', c.rate, d.rate],
    ['duration', c.durationMs / 1000, d.durationMs / 1000],
    ['quiesce', c.quiesceMs / 1000, d.quiesceMs / 1000],
    ['intensity', c.intensity, d.intensity],
  ];
  for (const [k, v, def] of num) if (v !== def) parts.push(`--${k} ${v}`);
  if (c.loseUnsynced !== d.loseUnsynced) parts.push(c.loseUnsynced ? '--lose-unsynced' : '--keep-unsynced');
  const core: Array<[string, number, number]> = [
    ['heartbeat-ms', c.core.heartbeatMs, d.core.heartbeatMs],
    ['failure-timeout-ms', c.core.failureTimeoutMs, d.core.failureTimeoutMs],
    ['handoff-ms', c.core.handoffMs, d.core.handoffMs],
    ['aae-ms', c.core.aaeMs, d.core.aaeMs],
    ['ring-size', c.core.ringSize, d.core.ringSize],
  ];
  for (const [k, v, def] of core) if (v !== def) parts.push(`--${k} ${v}`);
  return parts.join(' ');
}
