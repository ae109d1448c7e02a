// Stage (d) runs here, one child process per library and run: WebAssembly memory (Automerge)
// never shrinks and the V8 heap keeps fragments of earlier stages, so only a fresh process gives
// every library the same clean baseline. Started by crdt-bench.ts with --expose-gc.
import type { LibName } from './crdt-adapter.js';
import { ADAPTERS } from './crdt-adapters/index.js';
import { mb, sameCart, sampleMemory } from './crdt-stats.js';
import { Workload } from './crdt-workload.js';

export interface ProbeRequest {
  readonly lib: LibName;
  readonly seed: number;
  readonly ops: number;
}

export interface ProbeResult {
  readonly lib: LibName;
  /** Retained by the replica after the 1,000 adds (MB, after gc). */
  readonly fillHeapMB: number;
  /** Retained by the replica after the adds and all ops (MB, after gc): the heap growth of (d). */
  readonly heapMB: number;
  readonly rssMB: number;
  readonly opsPerSec: number;
  readonly liveItems: number;
  readonly stateBase64: string;
}

function run(request: ProbeRequest): ProbeResult {
  const adapter = ADAPTERS[request.lib];
  if (adapter === undefined) throw new TypeError(`unknown library ${request.lib}`);
  // Ops are generated before the baseline and stay referenced to the end, so they cancel out.
  const workload = new Workload({ seed: request.seed });
  const fill = workload.fill();
  const ops = workload.take(request.ops);
  const expected = workload.cart();

  const before = sampleMemory();
  const replica = adapter.create(request.seed + 1);
  for (const op of fill) replica.apply(op);
  const afterFill = sampleMemory();
  const start = performance.now();
  for (const op of ops) replica.apply(op);
  const elapsed = performance.now() - start;
  const after = sampleMemory();

  const cart = replica.read();
  if (!sameCart(cart, expected)) throw new Error(`${request.lib}: cart after (d) differs from the model`);
  const state = replica.encodeState();
  return {
    lib: request.lib,
    fillHeapMB: mb(afterFill.retainedBytes - before.retainedBytes),
    heapMB: mb(after.retainedBytes - before.retainedBytes),
    rssMB: mb(after.rssBytes - before.rssBytes),
    opsPerSec: (ops.length / Math.max(elapsed, 1e-3)) * 1000,
    liveItems: cart.size,
    stateBase64: Buffer.from(state).toString('base64'),
  };
}

const raw = process.argv[2];
if (raw !== undefined && process.send !== undefined) {
  const request = JSON.parse(raw) as ProbeRequest;
  process.send(run(request), () => process.exit(0));
}
