// Stages (a)–(e) of issue 2 §4. Runs are interleaved across libraries (run 1 of every library,
// then run 2, ...) so that load from other processes on this shared machine spreads evenly.
// No forced gc() before timed sections: a full collection shrinks V8's young generation, and
// the allocation-heavy code right after it measured 3–8× slower (Yjs merge: 13 ms → 100 ms).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CartAdapter, CartReplica, LibName } from './crdt-adapter.js';
import type { ProbeRequest, ProbeResult } from './crdt-memory-probe.js';
import { describeCartDiff, median, sameCart, timeMs } from './crdt-stats.js';
import { Workload, type WorkloadOp } from './crdt-workload.js';

export interface BenchConfig {
  readonly seed: number;
  readonly runs: number;
  /** Runs of stage (d) for Automerge, whose 100,000 changes take tens of seconds per run. */
  readonly slowRuns: number;
  readonly opsA: number;
  readonly concurrentOps: number;
  readonly bigOps: number;
}

export const FULL_CONFIG: BenchConfig = {
  seed: 42,
  runs: 5,
  slowRuns: 3,
  opsA: 10_000,
  concurrentOps: 5_000,
  bigOps: 100_000,
};

export const QUICK_CONFIG: BenchConfig = {
  seed: 42,
  runs: 3,
  slowRuns: 1,
  opsA: 2_000,
  concurrentOps: 1_000,
  bigOps: 10_000,
};

export type Progress = (line: string) => void;

export interface StageA {
  readonly opsPerSec: number;
  readonly replica: CartReplica;
}

export interface StageB {
  readonly mergeMs: number;
  readonly mergeDeltaBytes: number;
  readonly versionBytes: number;
  readonly mergedItems: number;
}

export interface StageC {
  readonly stateBytes: number;
  readonly setDeltaBytes: number;
  readonly setOtherDeltaBytes: number;
  readonly addDeltaBytes: number;
  readonly removeDeltaBytes: number;
}

export interface StageD {
  readonly runs: number;
  readonly heapMB: number;
  readonly fillHeapMB: number;
  readonly rssMB: number;
  readonly opsPerSec: number;
  readonly liveItems: number;
  readonly state: Uint8Array;
}

export interface StageE {
  readonly loadMsA: number;
  readonly loadMsD: number;
}

function assertCart(lib: LibName, what: string, actual: Map<string, number>, expected: Map<string, number>) {
  if (!sameCart(actual, expected)) {
    throw new Error(`${lib}: ${what} did not converge (${describeCartDiff(actual, expected)})`);
  }
}

function applyAll(replica: CartReplica, ops: readonly WorkloadOp[]): void {
  for (const op of ops) replica.apply(op);
}

/** (a) ops/s of `opsA` ops on one fresh replica; returns the replica of the last run. */
export function stageA(
  adapters: readonly CartAdapter[],
  config: BenchConfig,
  workload: Workload,
  progress: Progress,
): Map<LibName, StageA> {
  const ops = workload.take(config.opsA);
  const expected = workload.cart();
  const warmOps = new Workload({ seed: config.seed + 1 }).take(Math.min(1_000, config.opsA));
  const times = new Map<LibName, number[]>();
  const replicas = new Map<LibName, CartReplica>();
  for (const adapter of adapters) applyAll(adapter.create(config.seed + 1), warmOps);
  for (let run = 0; run < config.runs; run++) {
    for (const adapter of adapters) {
      const replica = adapter.create(config.seed + 2);
      const ms = timeMs(() => applyAll(replica, ops));
      assertCart(adapter.lib, '(a) replica', replica.read(), expected);
      times.set(adapter.lib, [...(times.get(adapter.lib) ?? []), ms]);
      replicas.set(adapter.lib, replica);
      progress(`(a) ${adapter.lib} run ${run + 1}/${config.runs}: ${ops.length} ops in ${ms.toFixed(1)} ms`);
    }
  }
  const out = new Map<LibName, StageA>();
  for (const adapter of adapters) {
    const ms = median(times.get(adapter.lib)!);
    out.set(adapter.lib, { opsPerSec: (ops.length / ms) * 1000, replica: replicas.get(adapter.lib)! });
  }
  return out;
}

/**
 * (b) Two replicas fork the state after (a), make `concurrentOps` concurrent ops each (untimed),
 * then exchange deltas both ways over "the wire": versions and deltas are bytes, so the timed
 * section includes encoding the versions, computing and encoding both deltas, and decoding and
 * applying them. Both replicas must read the same cart afterwards. One untimed warm-up exchange
 * per library precedes the timed runs.
 */
export function stageB(
  adapters: readonly CartAdapter[],
  config: BenchConfig,
  workload: Workload,
  bases: ReadonlyMap<LibName, StageA>,
  progress: Progress,
): Map<LibName, StageB> {
  const samples = new Map<LibName, StageB[]>();
  // One untimed exchange per library first, as stage (a) warms up: every library's merge path
  // is then JIT-compiled before it is timed (Yjs's already is, through fork()).
  for (let run = -1; run < config.runs; run++) {
    const opsA = workload.fork(config.seed + 100 + run).take(config.concurrentOps);
    const opsB = workload.fork(config.seed + 200 + run).take(config.concurrentOps);
    for (const adapter of adapters) {
      const base = bases.get(adapter.lib)!.replica;
      const a = base.fork(config.seed + 3);
      const b = base.fork(config.seed + 4);
      applyAll(a, opsA);
      applyAll(b, opsB);
      let bytes = 0;
      let versionBytes = 0;
      const ms = timeMs(() => {
        const va = a.version();
        const vb = b.version();
        const toB = a.deltaSince(vb);
        const toA = b.deltaSince(va);
        b.applyDelta(toB);
        a.applyDelta(toA);
        bytes = toA.byteLength + toB.byteLength;
        versionBytes = va.byteLength + vb.byteLength;
      });
      const merged = a.read();
      assertCart(adapter.lib, '(b) replicas after the exchange', b.read(), merged);
      if (run < 0) {
        progress(`(b) ${adapter.lib} warm-up: merge ${ms.toFixed(1)} ms (not counted)`);
        continue;
      }
      const list = samples.get(adapter.lib) ?? [];
      list.push({ mergeMs: ms, mergeDeltaBytes: bytes, versionBytes, mergedItems: merged.size });
      samples.set(adapter.lib, list);
      progress(
        `(b) ${adapter.lib} run ${run + 1}/${config.runs}: merge ${ms.toFixed(1)} ms, ${bytes} delta bytes, converged (${merged.size} items)`,
      );
    }
  }
  const out = new Map<LibName, StageB>();
  for (const [lib, list] of samples) {
    out.set(lib, {
      mergeMs: median(list.map((s) => s.mergeMs)),
      mergeDeltaBytes: median(list.map((s) => s.mergeDeltaBytes)),
      versionBytes: median(list.map((s) => s.versionBytes)),
      mergedItems: median(list.map((s) => s.mergedItems)),
    });
  }
  return out;
}

/**
 * (c) Full state bytes after (a), and the bytes of one-op deltas on that state: made by the (a)
 * replica itself (its own actor/client id: a device changing its own cart) and, for set-quantity,
 * also by another device (a fork with a new actor) changing a line the first one wrote.
 * Runs last, because it mutates the (a) replica: a same-actor copy is not an option (Yjs detects
 * its own client id in a remote update and switches to a new one).
 */
export function stageC(
  adapters: readonly CartAdapter[],
  config: BenchConfig,
  workload: Workload,
  bases: ReadonlyMap<LibName, StageA>,
  progress: Progress,
): Map<LibName, StageC> {
  const out = new Map<LibName, StageC>();
  const set = workload.fork(config.seed + 300).setOnPresent();
  for (const adapter of adapters) {
    const base = bases.get(adapter.lib)!.replica;
    const stateBytes = base.encodeState().byteLength;
    const other = base.fork(config.seed + 5);
    const setOtherDeltaBytes = other.applyWithDelta(set).byteLength;
    const setDeltaBytes = base.applyWithDelta(set).byteLength;
    // Removing and re-adding the same product: the other two op kinds, on the same line.
    const removeDeltaBytes = base.applyWithDelta({ kind: 'remove', productId: set.productId }).byteLength;
    const addDeltaBytes = base.applyWithDelta({
      kind: 'add',
      productId: set.productId,
      quantity: 3,
    }).byteLength;
    out.set(adapter.lib, { stateBytes, setDeltaBytes, setOtherDeltaBytes, addDeltaBytes, removeDeltaBytes });
    progress(
      `(c) ${adapter.lib}: state ${stateBytes} B; one-op delta set ${setDeltaBytes} B ` +
        `(other device ${setOtherDeltaBytes} B), remove ${removeDeltaBytes} B, add ${addDeltaBytes} B`,
    );
  }
  return out;
}

const PROBE_PATH = fileURLToPath(new URL('./crdt-memory-probe.ts', import.meta.url));

function probe(request: ProbeRequest): Promise<ProbeResult> {
  const execArgv = process.execArgv.includes('--expose-gc')
    ? process.execArgv
    : [...process.execArgv, '--expose-gc'];
  return new Promise((resolve, reject) => {
    const child = fork(PROBE_PATH, [JSON.stringify(request)], {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: ProbeResult | undefined;
    child.once('message', (message) => {
      result = message as ProbeResult;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0 && result !== undefined) resolve(result);
      else reject(new Error(`memory probe for ${request.lib} exited with code ${code}`));
    });
  });
}

/**
 * (d) 1,000 items then `bigOps` ops, each run in a fresh child process (see
 * crdt-memory-probe.ts): heap retained by the replica after gc, RSS growth, state bytes.
 */
export async function stageD(
  adapters: readonly CartAdapter[],
  config: BenchConfig,
  progress: Progress,
): Promise<Map<LibName, StageD>> {
  const runsFor = (lib: LibName) => (lib === 'automerge' ? config.slowRuns : config.runs);
  const maxRuns = Math.max(...adapters.map((a) => runsFor(a.lib)));
  const samples = new Map<LibName, ProbeResult[]>();
  for (let run = 0; run < maxRuns; run++) {
    for (const adapter of adapters) {
      if (run >= runsFor(adapter.lib)) continue;
      const result = await probe({ lib: adapter.lib, seed: config.seed, ops: config.bigOps });
      samples.set(adapter.lib, [...(samples.get(adapter.lib) ?? []), result]);
      progress(
        `(d) ${adapter.lib} run ${run + 1}/${runsFor(adapter.lib)}: heap +${result.heapMB.toFixed(2)} MB ` +
          `(after 1,000 items +${result.fillHeapMB.toFixed(2)} MB), RSS +${result.rssMB.toFixed(1)} MB, ` +
          `state ${Buffer.from(result.stateBase64, 'base64').byteLength} B, ${Math.round(result.opsPerSec)} ops/s`,
      );
    }
  }
  const out = new Map<LibName, StageD>();
  for (const [lib, list] of samples) {
    const states = list.map((r) => Buffer.from(r.stateBase64, 'base64'));
    const sizes = states.map((s) => s.byteLength);
    const medianSize = median(sizes);
    const state = states.find((s) => s.byteLength === medianSize) ?? states[0]!;
    out.set(lib, {
      runs: list.length,
      heapMB: median(list.map((r) => r.heapMB)),
      fillHeapMB: median(list.map((r) => r.fillHeapMB)),
      rssMB: median(list.map((r) => r.rssMB)),
      opsPerSec: median(list.map((r) => r.opsPerSec)),
      liveItems: median(list.map((r) => r.liveItems)),
      state: new Uint8Array(state.buffer, state.byteOffset, state.byteLength),
    });
  }
  return out;
}

/** (e) Decode/load time of the full states from (a) and (d) into a usable replica. */
export function stageE(
  adapters: readonly CartAdapter[],
  config: BenchConfig,
  bases: ReadonlyMap<LibName, StageA>,
  big: ReadonlyMap<LibName, StageD>,
  progress: Progress,
): Map<LibName, StageE> {
  const inputs = adapters.map((adapter) => {
    const base = bases.get(adapter.lib)!.replica;
    const bigState = big.get(adapter.lib)!.state;
    return { adapter, stateA: base.encodeState(), expectedA: base.read(), stateD: bigState };
  });
  const expectedD = new Map<LibName, Map<string, number>>();
  for (const { adapter, stateA, stateD, expectedA } of inputs) {
    // Warm-up load, also a round-trip check.
    assertCart(
      adapter.lib,
      '(e) loaded state of (a)',
      adapter.load(stateA, config.seed + 6).read(),
      expectedA,
    );
    expectedD.set(adapter.lib, adapter.load(stateD, config.seed + 6).read());
  }
  const times = new Map<LibName, { a: number[]; d: number[] }>();
  for (let run = 0; run < config.runs; run++) {
    for (const { adapter, stateA, stateD, expectedA } of inputs) {
      let loadedA: CartReplica | undefined;
      let loadedD: CartReplica | undefined;
      const msA = timeMs(() => {
        loadedA = adapter.load(stateA, config.seed + 6);
      });
      const msD = timeMs(() => {
        loadedD = adapter.load(stateD, config.seed + 6);
      });
      // Read outside the timings: loading must produce the cart, not a lazy promise of one.
      assertCart(adapter.lib, '(e) reloaded state of (a)', loadedA!.read(), expectedA);
      assertCart(adapter.lib, '(e) reloaded state of (d)', loadedD!.read(), expectedD.get(adapter.lib)!);
      const t = times.get(adapter.lib) ?? { a: [], d: [] };
      t.a.push(msA);
      t.d.push(msD);
      times.set(adapter.lib, t);
      progress(
        `(e) ${adapter.lib} run ${run + 1}/${config.runs}: load (a) ${msA.toFixed(2)} ms, (d) ${msD.toFixed(2)} ms`,
      );
    }
  }
  const out = new Map<LibName, StageE>();
  for (const [lib, t] of times) out.set(lib, { loadMsA: median(t.a), loadMsD: median(t.d) });
  return out;
}
