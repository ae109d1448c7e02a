/**
 * A seed's timeline for the report: client-operation latency over simulated time, bucketed, and
 * the fault windows to shade behind it. Small by construction (≤ ~120 buckets), since every
 * seed's result crosses a worker boundary.
 */
import type { HistoryOp } from '../history/history.js';
import type { Fault } from '../nemesis/nemesis.js';

export interface TimelineBucket {
  /** Start of the bucket (simulated ms). */
  readonly at: number;
  /** Operations invoked in the bucket, and how they ended. */
  readonly ok: number;
  readonly failed: number;
  /** Median and worst latency (ms) of the operations that completed (any outcome). */
  readonly p50: number;
  readonly max: number;
}

export interface SeedTimeline {
  readonly bucketMs: number;
  readonly buckets: readonly TimelineBucket[];
  readonly faults: ReadonlyArray<{ readonly nemesis: string; readonly start: number; readonly end: number }>;
}

const MAX_BUCKETS = 120;

export function timelineOf(
  ops: readonly HistoryOp[],
  faults: readonly Fault[],
  durationMs: number,
): SeedTimeline {
  const bucketMs = Math.max(250, Math.ceil(durationMs / MAX_BUCKETS / 250) * 250);
  const latencies: number[][] = [];
  const ok: number[] = [];
  const failed: number[] = [];
  for (const op of ops) {
    // Ops still pending when the run ended have no latency to show.
    if (op.completeAt === undefined || op.invokeAt > durationMs || op.error === 'pending at end') continue;
    const i = Math.floor(op.invokeAt / bucketMs);
    const bucket = latencies[i] ?? [];
    bucket.push(op.completeAt - op.invokeAt);
    latencies[i] = bucket;
    if (op.outcome === 'ok') ok[i] = (ok[i] ?? 0) + 1;
    else failed[i] = (failed[i] ?? 0) + 1;
  }
  const buckets: TimelineBucket[] = [];
  for (let i = 0; i * bucketMs < durationMs; i++) {
    const l = (latencies[i] ?? []).sort((a, b) => a - b);
    buckets.push({
      at: i * bucketMs,
      ok: ok[i] ?? 0,
      failed: failed[i] ?? 0,
      p50: round(l[Math.floor(l.length / 2)] ?? 0),
      max: round(l[l.length - 1] ?? 0),
    });
  }
  return {
    bucketMs,
    buckets,
    faults: faults.map((f) => ({ nemesis: f.nemesis, start: round(f.start), end: round(f.end) })),
  };
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
