// The table and the JSON of `npm run bench:crdt`. JSON shape fixed by issue 2 §4.
import type { LibName } from './crdt-adapter.js';
import type { LineJoin } from './crdt-line-join.js';

export interface LibSummary {
  readonly lib: LibName;
  readonly libVersion: string;
  readonly opsPerSec: number;
  readonly mergeMs: number;
  readonly mergeDeltaBytes: number;
  readonly versionBytes: number;
  readonly mergedItems: number;
  readonly stateBytes: number;
  readonly opDeltaBytes: number;
  readonly setOtherDeltaBytes: number;
  readonly addDeltaBytes: number;
  readonly removeDeltaBytes: number;
  readonly bigStateBytes: number;
  readonly bigHeapMB: number;
  readonly bigFillHeapMB: number;
  readonly bigRssMB: number;
  readonly bigOpsPerSec: number;
  readonly bigRuns: number;
  readonly bigLiveItems: number;
  readonly loadMsA: number;
  readonly loadMsD: number;
  /** loadMsA + loadMsD (sum of the two medians). */
  readonly loadMs: number;
}

export interface BenchJson {
  readonly results: {
    readonly lib: LibName;
    readonly opsPerSec: number;
    readonly mergeMs: number;
    readonly mergeDeltaBytes: number;
    readonly stateBytes: number;
    readonly opDeltaBytes: number;
    readonly bigStateBytes: number;
    readonly bigHeapMB: number;
    readonly loadMs: number;
  }[];
  /** Cartwheel only (absent when --libs leaves it out); see crdt-line-join.ts. */
  readonly lineJoin?: {
    readonly entries: number;
    readonly oneLineMs: number;
    readonly spreadMs: number;
    readonly ratio: number;
  };
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));

export function toJson(summaries: readonly LibSummary[], lineJoin?: LineJoin): BenchJson {
  return {
    results: summaries.map((s) => ({
      lib: s.lib,
      opsPerSec: Math.round(s.opsPerSec),
      mergeMs: round(s.mergeMs, 2),
      mergeDeltaBytes: Math.round(s.mergeDeltaBytes),
      stateBytes: s.stateBytes,
      opDeltaBytes: s.opDeltaBytes,
      bigStateBytes: Math.round(s.bigStateBytes),
      bigHeapMB: round(s.bigHeapMB, 2),
      loadMs: round(s.loadMs, 2),
    })),
    ...(lineJoin === undefined
      ? {}
      : {
          lineJoin: {
            entries: lineJoin.entries,
            oneLineMs: round(lineJoin.oneLineMs, 2),
            spreadMs: round(lineJoin.spreadMs, 2),
            ratio: round(lineJoin.ratio, 3),
          },
        }),
  };
}

type Metric = keyof Omit<LibSummary, 'lib' | 'libVersion'>;

interface Row {
  readonly label: string;
  readonly metric: Metric;
  readonly format: (n: number) => string;
  /** Counts that describe the run rather than compete (no ratio column). */
  readonly noRatio?: true;
  /** Target on cartwheel ÷ peer, when the issue sets one. */
  readonly target?: { readonly peer: LibName; readonly op: '>=' | '<='; readonly ratio: number };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const mbf = (n: number) => n.toFixed(2);
const bytes = (n: number) => (n >= 10_240 ? `${(n / 1024).toFixed(1)} KB` : `${Math.round(n)} B`);

const ROWS: readonly Row[] = [
  {
    label: '(a) ops/s, 10k ops, one replica',
    metric: 'opsPerSec',
    format: int,
    target: { peer: 'yjs', op: '>=', ratio: 2 },
  },
  {
    label: '(b) merge ms, 2×5k concurrent',
    metric: 'mergeMs',
    format: ms,
    target: { peer: 'yjs', op: '<=', ratio: 0.5 },
  },
  { label: '(b) delta bytes, both ways', metric: 'mergeDeltaBytes', format: bytes },
  { label: '(b) version bytes, both ways', metric: 'versionBytes', format: bytes },
  { label: '(b) items after merge', metric: 'mergedItems', format: int, noRatio: true },
  { label: '(c) state bytes after (a)', metric: 'stateBytes', format: bytes },
  {
    label: '(c) one-op delta: set quantity, same device',
    metric: 'opDeltaBytes',
    format: bytes,
    target: { peer: 'yjs', op: '<=', ratio: 1 },
  },
  { label: '(c) one-op delta: set, other device', metric: 'setOtherDeltaBytes', format: bytes },
  { label: '(c) one-op delta: remove', metric: 'removeDeltaBytes', format: bytes },
  { label: '(c) one-op delta: add', metric: 'addDeltaBytes', format: bytes },
  {
    label: '(d) state bytes, 1k items + 100k ops',
    metric: 'bigStateBytes',
    format: bytes,
    target: { peer: 'automerge', op: '<=', ratio: 0.1 },
  },
  {
    label: '(d) heap retained MB (after gc)',
    metric: 'bigHeapMB',
    format: mbf,
    target: { peer: 'yjs', op: '<=', ratio: 0.1 },
  },
  { label: '(d)   of which after the 1k adds', metric: 'bigFillHeapMB', format: mbf },
  { label: '(d) RSS growth MB', metric: 'bigRssMB', format: mbf },
  { label: '(d) ops/s over the 100k ops', metric: 'bigOpsPerSec', format: int },
  { label: '(d) live items at the end', metric: 'bigLiveItems', format: int, noRatio: true },
  { label: '(d) runs (median of)', metric: 'bigRuns', format: int, noRatio: true },
  { label: '(e) load ms, state of (a)', metric: 'loadMsA', format: ms },
  { label: '(e) load ms, state of (d)', metric: 'loadMsD', format: ms },
];

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

export interface TableOptions {
  readonly opsA: number;
  readonly concurrentOps: number;
  readonly bigOps: number;
}

export function renderTable(summaries: readonly LibSummary[], options: TableOptions): string {
  const byLib = new Map(summaries.map((s) => [s.lib, s]));
  const cw = byLib.get('cartwheel');
  const peers = (['automerge', 'yjs'] as const).filter((p) => byLib.has(p));
  const header = [
    'metric',
    ...summaries.map((s) => `${s.lib} ${s.libVersion}`),
    ...(cw ? peers.map((p) => `cw/${p}`) : []),
    'target',
    'status',
  ];
  const lines: string[][] = [header];
  for (const row of ROWS) {
    const label = row.label
      .replace('10k ops', `${options.opsA / 1000}k ops`)
      .replace('2×5k', `2×${options.concurrentOps / 1000}k`)
      .replace('100k ops', `${options.bigOps / 1000}k ops`);
    const cells = [label, ...summaries.map((s) => row.format(s[row.metric]))];
    if (cw) {
      for (const p of peers) {
        const peer = byLib.get(p)!;
        cells.push(
          row.noRatio || peer[row.metric] === 0 ? '' : `${(cw[row.metric] / peer[row.metric]).toFixed(3)}×`,
        );
      }
    }
    const t = row.target;
    if (t === undefined) {
      cells.push('', '');
    } else {
      cells.push(`cw/${t.peer} ${t.op === '>=' ? '≥' : '≤'} ${t.ratio}`);
      const peer = byLib.get(t.peer);
      if (!cw || !peer) cells.push('n/a');
      else {
        const ratio = cw[row.metric] / peer[row.metric];
        cells.push((t.op === '>=' ? ratio >= t.ratio : ratio <= t.ratio) ? 'met' : 'NOT met');
      }
    }
    lines.push(cells);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  const out = lines.map((l) => pad(l, widths));
  out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return out.join('\n');
}
