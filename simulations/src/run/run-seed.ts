import { type CheckInput, checkAll, type Violation } from '../checkers/checkers.js';
import { History } from '../history/history.js';
import { describeFault, type Fault, partitionMs, planFaults } from '../nemesis/nemesis.js';
import { WALL_CLOCK_EPOCH } from '../sim/host.js';
import { Simulator } from '../sim/simulator.js';
import type { CartInspection, QuorumOptions, SimStore, StoreNode } from '../stores/store.js';
import { runClient } from '../workload/clients.js';
import { DeviceRunner } from '../workload/devices.js';
import { cartKey, planWorkload } from '../workload/plan.js';
import { SimCluster } from './cluster.js';
import type { SimConfig } from './config.js';
import { type SeedTimeline, timelineOf } from './timeline.js';

export const VIOLATION_KINDS = [
  'diverged',
  'lostAdds',
  'resurrections',
  'readYourWrites',
  'quantity',
] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];
export type ViolationCounts = Record<ViolationKind, number>;

export interface SeedResult {
  readonly seed: number;
  readonly store: string;
  readonly violations: ViolationCounts;
  /** The first few violations, for the report and the replay hint. */
  readonly details: readonly Violation[];
  readonly error: string | undefined;
  readonly converged: boolean;
  /** Virtual ms from the heal until every cart's replicas agreed and every device had synced. */
  readonly convergeMs: number | undefined;
  readonly partitionMs: number;
  readonly nemeses: readonly string[];
  readonly ops: {
    readonly total: number;
    readonly ok: number;
    readonly fail: number;
    readonly unknown: number;
  };
  /** versionsPerRead[k] = reads that saw k versions. */
  readonly versionsPerRead: readonly number[];
  readonly messages: number;
  readonly bytes: number;
  readonly events: number;
  readonly simMs: number;
  readonly wallMs: number;
  readonly restarts: number;
  readonly fingerprint: string;
  /** Latency over simulated time and the fault windows (small: it crosses worker boundaries). */
  readonly timeline: SeedTimeline;
  readonly history?: History;
  /** Final replicas per cart (with `keepHistory`). */
  readonly finalCarts?: Record<string, CartInspection>;
}

/** Anything the store needs beyond the config (the Cartwheel adapter takes the crdt module). */
export type StoreFactory = (config: SimConfig) => SimStore<StoreNode>;

export interface RunOptions {
  /** Keep the full history on the result (tests, `--seed` replays). */
  readonly keepHistory?: boolean;
  readonly maxQuantity?: number;
}

function inspectAll(
  store: SimStore<StoreNode>,
  cluster: SimCluster<StoreNode>,
  carts: number,
): Map<string, CartInspection> {
  const out = new Map<string, CartInspection>();
  for (let i = 0; i < carts; i++) out.set(cartKey(i), store.inspect(cartKey(i), cluster.disks));
  return out;
}

function allConverged(store: SimStore<StoreNode>, cluster: SimCluster<StoreNode>, carts: number): boolean {
  for (let i = 0; i < carts; i++) if (!store.converged(cartKey(i), cluster.disks)) return false;
  return true;
}

/** Applies a fault schedule: window edges become simulator events. Returns the heal action. */
function scheduleFaults(
  sim: Simulator,
  cluster: SimCluster<StoreNode>,
  faults: readonly Fault[],
  history: History,
): () => void {
  const active: Fault[] = [];
  for (const f of faults) {
    sim.at(f.start, () => {
      history.nemesisEvent(sim.now, 'start', f.nemesis, describeFault(f));
      active.push(f);
      cluster.applyFaults(active);
      if (f.nemesis === 'kill') cluster.crash(f.node);
      else if (f.nemesis === 'pause') cluster.host(f.node).pause();
      else if (f.nemesis === 'clock-skew') cluster.host(f.node).clockOffset = f.offsetMs;
    });
    sim.at(f.end, () => {
      const i = active.indexOf(f);
      if (i < 0) return; // already healed
      history.nemesisEvent(sim.now, 'stop', f.nemesis, describeFault(f));
      active.splice(i, 1);
      cluster.applyFaults(active);
      const still = (name: Fault['nemesis'], node: string) =>
        active.some((a) => a.nemesis === name && 'node' in a && a.node === node);
      if (f.nemesis === 'kill' && !still('kill', f.node)) cluster.restart(f.node);
      else if (f.nemesis === 'pause' && !still('pause', f.node)) cluster.host(f.node).resume();
      else if (f.nemesis === 'clock-skew') cluster.host(f.node).clockOffset = f.afterMs;
    });
  }
  return () => {
    for (const f of active) history.nemesisEvent(sim.now, 'stop', f.nemesis, `${describeFault(f)} (heal)`);
    active.length = 0;
    cluster.healAll();
  };
}

/**
 * Runs one seed: plan faults and workload from the seed, boot the cluster, run the workload
 * under the faults, heal, wait for quiescence, then check the history against the final
 * replicas read straight off the disks.
 */
export async function runSeed(
  config: SimConfig,
  makeStore: StoreFactory,
  options: RunOptions = {},
): Promise<SeedResult> {
  const started = performance.now();
  const sim = new Simulator(config.seed);
  const nodeIds = Array.from({ length: config.nodes }, (_, i) => `n${i + 1}`);
  const faults = planFaults(sim.rng, {
    nodes: nodeIds,
    nemeses: config.nemeses,
    durationMs: config.durationMs,
    intensity: config.intensity,
  });
  const plan = planWorkload(sim.rng, config);
  const deviceSkews = plan.devices.map(() => Math.round((sim.rng.next() * 2 - 1) * 30_000));
  const store = makeStore(config);
  const cluster = new SimCluster<StoreNode>(sim, store, config.nodes, undefined, config.loseUnsynced);
  const history = new History();
  const quorum: QuorumOptions = {
    r: config.r,
    w: config.w,
    pr: config.pr,
    pw: config.pw,
    timeoutMs: config.requestTimeoutMs,
  };
  const versions: number[] = [];
  const onVersions = (v: number) => {
    versions[v] = (versions[v] ?? 0) + 1;
  };
  const clientTimeoutMs = config.requestTimeoutMs * 3;

  sim.schedule(0, () => {
    for (const id of cluster.ids) cluster.boot(id);
  });
  const heal = scheduleFaults(sim, cluster, faults, history);
  const healAt = config.durationMs;
  sim.at(healAt, heal);

  const clientsDone: boolean[] = plan.clients.map(() => false);
  // Clients start once the nodes have had a moment to start.
  sim.schedule(50, () => {
    plan.clients.forEach((ops, i) => {
      void runClient(
        { cluster, history, quorum, stopAt: healAt, clientTimeoutMs, onVersions },
        `client-${i}`,
        ops,
      ).finally(() => {
        clientsDone[i] = true;
      });
    });
  });
  const devices = plan.devices.map((d, i) => {
    const skew = deviceSkews[i] ?? 0;
    const replica = store.createDevice(d.cart, d.actor, () => WALL_CLOCK_EPOCH + sim.now + skew);
    return new DeviceRunner({ cluster, history, quorum, stopAt: healAt, clientTimeoutMs }, d, replica);
  });
  sim.schedule(50, () => {
    for (const d of devices) void d.run();
  });

  await sim.runUntil(healAt);
  let convergeMs: number | undefined;
  const deadline = healAt + config.quiesceMs;
  const pollMs = 250;
  while (sim.now < deadline) {
    await sim.runUntil(Math.min(deadline, sim.now + pollMs));
    if (!clientsDone.every(Boolean) || !devices.every((d) => d.done)) continue;
    if (allConverged(store, cluster, config.carts)) {
      convergeMs = sim.now - healAt;
      break;
    }
  }
  history.closePending(sim.now);
  const carts = inspectAll(store, cluster, config.carts);
  const input: CheckInput = {
    ops: history.ops,
    carts,
    n: config.n,
    maxQuantity: options.maxQuantity ?? 10_000,
  };
  const found = checkAll(input);
  const violations: ViolationCounts = {
    diverged: 0,
    lostAdds: 0,
    resurrections: 0,
    readYourWrites: 0,
    quantity: 0,
  };
  for (const v of found) violations[v.checker]++;
  const errors = [...cluster.startErrors];
  if (sim.error !== undefined) errors.push(String(sim.error));
  const counts = { total: history.ops.length, ok: 0, fail: 0, unknown: 0 };
  for (const op of history.ops) if (op.outcome !== 'pending') counts[op.outcome]++;
  return {
    seed: config.seed,
    store: store.name,
    violations,
    details: found.slice(0, 20),
    error: errors.length > 0 ? errors.join('; ') : undefined,
    converged: convergeMs !== undefined,
    convergeMs,
    partitionMs: partitionMs(faults),
    nemeses: [...new Set(faults.map((f) => f.nemesis))],
    ops: counts,
    versionsPerRead: Array.from(versions, (v) => v ?? 0),
    messages: cluster.network.stats.sent,
    bytes: cluster.network.stats.bytes,
    events: sim.events,
    simMs: sim.now,
    wallMs: performance.now() - started,
    restarts: cluster.restarts,
    fingerprint: `${history.fingerprint()}-${sim.rng.draws}-${sim.events}`,
    timeline: timelineOf(history.ops, faults, config.durationMs),
    ...(options.keepHistory === true ? { history, finalCarts: Object.fromEntries(carts) } : {}),
  };
}
