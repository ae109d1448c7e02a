// `npm run bench:crdt [-- --json] [-- --quick]`: the cart workload of issue 2 §4 side by side
// for Cartwheel, Automerge and Yjs in one process (stage (d) in fresh child processes, one per
// library and run, so that memory baselines are clean). Progress goes to stderr; the table to
// stdout, or to stderr with --json, which prints only the JSON on stdout.
//
// What each JSON field measures (medians; --quick shrinks every size):
//   opsPerSec        (a) 10,000 workload ops applied to one fresh replica, one change each
//   mergeMs          (b) fork the (a) state twice, 5,000 concurrent ops on each (untimed), then
//                    encode both versions, compute both deltas, apply both; convergence asserted
//   mergeDeltaBytes  (b) bytes of the two deltas together
//   stateBytes       (c) full encoded state after (a)
//   opDeltaBytes     (c) one set-quantity op by the (a) replica's own actor, its delta alone
//   bigStateBytes    (d) full encoded state after 1,000 adds + 100,000 ops
//   bigHeapMB        (d) V8 heap + external (ArrayBuffers, WebAssembly memory) retained after
//                    gc, from before the replica existed to after the 100,000 ops, measured in
//                    a fresh process per run (Automerge: 3 runs, the others 5)
//   loadMs           (e) load time of the (a) state plus load time of the (d) state
//   lineJoin         Cartwheel only: cartType.join of 256 per-actor states (16 adds each) + equals,
//                    ms with all 4,096 entries on one line (oneLineMs) and on 16 lines × 256
//                    (spreadMs), ratio = oneLineMs / spreadMs (crdt-line-join.ts)
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { CartAdapter, LibName } from './crdt-adapter.js';
import { ADAPTERS } from './crdt-adapters/index.js';
import { type LineJoin, renderLineJoin, stageLineJoin } from './crdt-line-join.js';
import { type LibSummary, renderTable, toJson } from './crdt-report.js';
import {
  type BenchConfig,
  FULL_CONFIG,
  QUICK_CONFIG,
  stageA,
  stageB,
  stageC,
  stageD,
  stageE,
} from './crdt-stages.js';
import { Workload } from './crdt-workload.js';

const LIBS: readonly LibName[] = ['cartwheel', 'automerge', 'yjs'];

const PACKAGES: Record<LibName, string> = {
  cartwheel: '@cartwheel/crdt',
  automerge: '@automerge/automerge',
  yjs: 'yjs',
};

function packageVersion(lib: LibName): string {
  const url =
    lib === 'cartwheel'
      ? new URL('../package.json', import.meta.url)
      : new URL(`../../node_modules/${PACKAGES[lib]}/package.json`, import.meta.url);
  try {
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '?';
  } catch {
    return '?';
  }
}

function parseCli(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      libs: { type: 'string' },
      seed: { type: 'string' },
      runs: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const positiveInt = (name: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 1) throw new TypeError(`--${name} must be a positive integer`);
    return n;
  };
  const base = values.quick ? QUICK_CONFIG : FULL_CONFIG;
  const runs = positiveInt('runs', values.runs);
  const config: BenchConfig = {
    ...base,
    seed: positiveInt('seed', values.seed) ?? base.seed,
    runs: runs ?? base.runs,
    slowRuns: runs === undefined ? base.slowRuns : Math.min(runs, base.slowRuns),
  };
  const libs = (values.libs?.split(',') ?? LIBS).map((l) => {
    if (!(LIBS as readonly string[]).includes(l)) throw new TypeError(`--libs: unknown library ${l}`);
    return l as LibName;
  });
  return { json: values.json, help: values.help, config, libs };
}

const USAGE = `usage: npm run bench:crdt -- [--json] [--quick] [--libs cartwheel,automerge,yjs] [--seed n] [--runs n]`;

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  if (cli.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const { config } = cli;
  const adapters: CartAdapter[] = cli.libs.map((lib) => {
    const adapter = ADAPTERS[lib];
    if (adapter === undefined) throw new TypeError(`no adapter for ${lib} yet`);
    return adapter;
  });
  const started = performance.now();
  const progress = (line: string) => {
    const s = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[bench:crdt ${s}s] ${line}\n`);
  };
  progress(
    `node ${process.version}, ${os.cpus().length} CPUs, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ` + `seed ${config.seed}, ${config.runs} runs (Automerge (d): ${config.slowRuns})`,
  );

  const workload = new Workload({ seed: config.seed });
  const a = stageA(adapters, config, workload, progress);
  const b = stageB(adapters, config, workload, a, progress);
  const d = await stageD(adapters, config, progress);
  const e = stageE(adapters, config, a, d, progress);
  // Last: it applies one more op to each (a) replica (see stageC).
  const c = stageC(adapters, config, workload, a, progress);
  const lineJoin: LineJoin | undefined = cli.libs.includes('cartwheel')
    ? stageLineJoin(config.runs, progress)
    : undefined;

  const summaries: LibSummary[] = adapters.map(({ lib }) => {
    const sa = a.get(lib)!;
    const sb = b.get(lib)!;
    const sc = c.get(lib)!;
    const sd = d.get(lib)!;
    const se = e.get(lib)!;
    return {
      lib,
      libVersion: packageVersion(lib),
      opsPerSec: sa.opsPerSec,
      mergeMs: sb.mergeMs,
      mergeDeltaBytes: sb.mergeDeltaBytes,
      versionBytes: sb.versionBytes,
      mergedItems: sb.mergedItems,
      stateBytes: sc.stateBytes,
      opDeltaBytes: sc.setDeltaBytes,
      setOtherDeltaBytes: sc.setOtherDeltaBytes,
      addDeltaBytes: sc.addDeltaBytes,
      removeDeltaBytes: sc.removeDeltaBytes,
      bigStateBytes: sd.state.byteLength,
      bigHeapMB: sd.heapMB,
      bigFillHeapMB: sd.fillHeapMB,
      bigRssMB: sd.rssMB,
      bigOpsPerSec: sd.opsPerSec,
      bigRuns: sd.runs,
      bigLiveItems: sd.liveItems,
      loadMsA: se.loadMsA,
      loadMsD: se.loadMsD,
      loadMs: se.loadMsA + se.loadMsD,
    };
  });
  progress(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const table = [
    `bench:crdt — seed ${config.seed}, medians of ${config.runs} runs (Automerge (d): ${config.slowRuns}); ` +
      `cw/peer = cartwheel ÷ peer; node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(2)}`,
    renderTable(summaries, config),
    ...(lineJoin === undefined ? [] : ['', renderLineJoin(lineJoin)]),
  ].join('\n');
  if (cli.json) {
    process.stderr.write(`${table}\n`);
    process.stdout.write(`${JSON.stringify(toJson(summaries, lineJoin))}\n`);
  } else {
    process.stdout.write(`${table}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:crdt failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
