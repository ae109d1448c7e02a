import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SimConfig } from './config.js';
import { runPair } from './run-pair.js';
import type { SeedResult } from './run-seed.js';
import { isFailure, MAX_TIMELINES, type SeedPair, type SweepSummary, summarize } from './summary.js';
import type { WorkerTask } from './worker.js';

export interface SweepOptions {
  readonly config: SimConfig;
  readonly seeds: number;
  readonly withControl: boolean;
  /** Run the control on every K-th seed only (default 1). */
  readonly controlEvery?: number;
  /** 0 or 1 = in this thread; more = worker threads. */
  readonly workers: number;
  readonly onSeed?: (pair: SeedPair, done: number) => void;
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

function crashed(config: SimConfig, store: string, error: string): SeedResult {
  return {
    seed: config.seed,
    store,
    violations: { diverged: 0, lostAdds: 0, resurrections: 0, readYourWrites: 0, quantity: 0 },
    details: [],
    error,
    converged: false,
    convergeMs: undefined,
    partitionMs: 0,
    nemeses: [],
    ops: { total: 0, ok: 0, fail: 0, unknown: 0 },
    versionsPerRead: [],
    messages: 0,
    bytes: 0,
    events: 0,
    simMs: 0,
    wallMs: 0,
    restarts: 0,
    fingerprint: '',
    timeline: { bucketMs: 1_000, buckets: [], faults: [] },
  };
}

/**
 * Workers run what we run: `worker.js` beside us in the compiled package and in the bundle
 * `npm run sim` builds (scripts/run-sim.mjs), the TypeScript sources under tsx (tests): tsx's
 * loader is not inherited by worker threads, so register it for them explicitly.
 */
function spawnWorker(): Worker {
  const self = import.meta.url;
  const ts = self.endsWith('.ts');
  if (!ts) return new Worker(new URL('./worker.js', self));
  const api = import.meta.resolve('tsx/esm/api');
  const worker = new URL('./worker.ts', self).href;
  const bootstrap = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(worker)}); });`;
  return new Worker(bootstrap, { eval: true, execArgv: ['--conditions=@cartwheel/source'] });
}

const NO_TIMELINE: SeedResult['timeline'] = { bucketMs: 0, buckets: [], faults: [] };

/**
 * A 10,000-seed soak keeps every seed's result until the summary: only the timelines the report
 * can show (the first seeds', failing seeds') are kept, and never the control's.
 */
function keepTimelineIfShown(pair: SeedPair, index: number): SeedPair {
  const keep = index < MAX_TIMELINES || isFailure(pair.cartwheel);
  return {
    seed: pair.seed,
    cartwheel: keep ? pair.cartwheel : { ...pair.cartwheel, timeline: NO_TIMELINE },
    control: pair.control === undefined ? undefined : { ...pair.control, timeline: NO_TIMELINE },
  };
}

/** Runs seeds config.seed … config.seed + seeds − 1 and summarizes them. */
export async function sweep(o: SweepOptions): Promise<SweepSummary> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const pairs: SeedPair[] = [];
  const every = o.controlEvery ?? 1;
  const record = (pair: SeedPair) => {
    o.onSeed?.(pair, pairs.length + 1);
    pairs.push(keepTimelineIfShown(pair, pairs.length));
  };
  // The i-th seed's task, the same whichever thread runs it.
  const task = (i: number): WorkerTask => ({
    config: { ...o.config, seed: o.config.seed + i },
    withControl: o.withControl && i % every === 0,
  });
  if (o.workers <= 1) {
    for (let i = 0; i < o.seeds; i++) {
      const t = task(i);
      record(await runPair(t.config, t.withControl));
    }
  } else {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(o.workers, o.seeds) }, async () => {
        let worker = spawnWorker();
        try {
          while (next < o.seeds) {
            const t = task(next++);
            const config = t.config;
            const reply = await new Promise<
              { ok: true; pair: SeedPair } | { ok: false; seed: number; error: string }
            >((resolve, reject) => {
              worker.once('message', resolve);
              worker.once('error', reject);
              worker.postMessage(t);
            }).catch((err: unknown) => ({ ok: false as const, seed: config.seed, error: String(err) }));
            worker.removeAllListeners('error');
            worker.removeAllListeners('message');
            if (reply.ok) record(reply.pair);
            else {
              record({
                seed: config.seed,
                cartwheel: crashed(config, 'cartwheel', reply.error),
                control: undefined,
              });
              // The worker may be dead or wedged: replace it.
              await worker.terminate();
              worker = spawnWorker();
            }
          }
        } finally {
          await worker.terminate();
        }
      }),
    );
    pairs.sort((a, b) => a.seed - b.seed);
  }
  const used = process.cpuUsage(cpu);
  return summarize(o.config, pairs, performance.now() - started, (used.user + used.system) / 1000);
}
