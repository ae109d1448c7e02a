import { formatTable, summaryText } from '../cli/table.js';
import { VIOLATION_KINDS } from '../run/run-seed.js';
import type { SweepSummary } from '../run/summary.js';
import { escapeXml, groupedBars, scatter, timelineChart } from './svg.js';

const CW = '#2b6cb0';
const CTL = '#c53030';

/** A self-contained HTML report: inline CSS and SVG, no scripts, no external resources. */
export function renderReport(s: SweepSummary): string {
  const ctl = s.control;
  const checkers = groupedBars(
    [...VIOLATION_KINDS],
    [
      { name: 'cartwheel', color: CW, values: VIOLATION_KINDS.map((k) => s.cartwheel.violations[k]) },
      ...(ctl
        ? [{ name: 'lww-control', color: CTL, values: VIOLATION_KINDS.map((k) => ctl.violations[k]) }]
        : []),
    ],
    'anomalies (sum over seeds)',
  );
  const perNemesis = groupedBars(
    s.perNemesis.map((p) => p.nemesis),
    [
      { name: 'cartwheel', color: CW, values: s.perNemesis.map((p) => p.cartwheel) },
      ...(ctl ? [{ name: 'lww-control', color: CTL, values: s.perNemesis.map((p) => p.control) }] : []),
    ],
    'anomalies in seeds where active',
  );
  const timelines = s.timelines
    .map(
      (t) =>
        `<h3>seed ${t.seed}${t.failing ? ' <span class="bad">(failing)</span>' : ''}</h3>` +
        timelineChart(
          t.timeline.buckets.map((b) => ({ at: b.at, p50: b.p50, max: b.max })),
          t.timeline.faults,
          s.config.durationMs,
        ),
    )
    .join('\n');
  const breakdown = nemesisBreakdown(s);
  const conv = scatter(
    s.convergence.map(([p, c]) => [p / 1000, c] as const),
    'time partitioned during the run (simulated s)',
    'convergence after heal (ms)',
  );
  const versions = formatTable([
    ['versions seen by a read', 'cartwheel reads', 'lww-control reads'],
    ...Array.from(
      { length: Math.max(s.cartwheel.versionsPerRead.length, ctl?.versionsPerRead.length ?? 0) },
      (_, i) => i,
    )
      .filter((i) => i > 0)
      .map((i) => [
        String(i),
        String(s.cartwheel.versionsPerRead[i] ?? 0),
        String(ctl?.versionsPerRead[i] ?? 0),
      ]),
  ]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cartwheel partition simulations</title>
<style>body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;color:#222}
pre{background:#f6f8fa;padding:1em;overflow-x:auto;font-size:12px}h2{margin-top:2em}
.ok{color:#276749}.bad{color:#c53030}</style></head><body>
<h1>Cartwheel partition simulations</h1>
<p class="${s.failing.length === 0 ? 'ok' : 'bad'}"><strong>${s.failing.length === 0 ? 'No violations for Cartwheel' : `${s.failing.length} failing seeds for Cartwheel`}</strong>;
the last-writer-wins control showed ${ctl ? ctl.violations.lostAdds : 0} lost adds and ${ctl ? ctl.violations.resurrections : 0} resurrections under the same seeds and faults.</p>
<h2>Summary</h2><pre>${escapeXml(summaryText(s))}</pre>
<h2>Anomalies per checker: Cartwheel against the LWW control</h2>${checkers}
<h2>Anomalies per nemesis</h2><p>Seeds in which each nemesis was active (with others, so a cause cannot be told from this chart alone):</p>${perNemesis}
<h2>Per-nemesis breakdown (one nemesis at a time)</h2>${breakdown}
<h2>Timelines</h2><p>Client operation latency over simulated time (blue: median per bucket, red: worst), fault windows shaded by nemesis; failing seeds first.</p>${timelines}
<h2>Convergence time against partition length</h2>${conv}
<h2>Versions per read</h2><p>The Dynamo paper reports that 99.94% of cart reads saw exactly one version.</p><pre>${escapeXml(versions)}</pre>
<h2>JSON</h2><pre>${escapeXml(JSON.stringify({ config: s.config, seeds: s.seeds, failing: s.failing, errors: s.errors, unconverged: s.unconverged }, null, 2))}</pre>
</body></html>
`;
}

/**
 * From runs with one nemesis each: the `--per-nemesis` sweeps when they ran, else the seeds of
 * the main sweep in which a nemesis happened to be the only one.
 */
function nemesisBreakdown(s: SweepSummary): string {
  const total = (v: Readonly<Record<string, number>> | undefined) =>
    v === undefined ? 0 : VIOLATION_KINDS.reduce((n, k) => n + (v[k] ?? 0), 0);
  if (s.isolated !== undefined && s.isolated.length > 0) {
    const rows = s.isolated;
    const chart = groupedBars(
      rows.map((r) => r.nemesis),
      [
        { name: 'cartwheel', color: CW, values: rows.map((r) => total(r.cartwheel)) },
        ...(rows.some((r) => r.control !== undefined)
          ? [{ name: 'lww-control', color: CTL, values: rows.map((r) => total(r.control)) }]
          : []),
      ],
      'anomalies, one nemesis per run',
    );
    const table = formatTable([
      ['nemesis (alone)', 'seeds', 'failing', 'cartwheel', 'lww-control', 'ok ops', 'converge p50/p99 (ms)'],
      ...rows.map((r) => [
        r.nemesis,
        String(r.seeds),
        String(r.failingSeeds),
        String(total(r.cartwheel)),
        r.control === undefined ? '-' : String(total(r.control)),
        `${(r.okShare * 100).toFixed(1)}%`,
        `${r.convergeMs.p50.toFixed(0)}/${r.convergeMs.p99.toFixed(0)}`,
      ]),
    ]);
    return `<p>From <code>--per-nemesis</code> sweeps: each nemesis alone over its own seeds.</p>${chart}<pre>${escapeXml(table)}</pre>`;
  }
  const solo = s.perNemesis.filter((p) => p.soloSeeds > 0);
  if (solo.length === 0)
    return '<p>No run had a single nemesis. Run with <code>--per-nemesis N</code> (N seeds per nemesis) for this breakdown.</p>';
  const chart = groupedBars(
    solo.map((p) => p.nemesis),
    [
      { name: 'cartwheel', color: CW, values: solo.map((p) => p.soloCartwheel) },
      ...(s.control ? [{ name: 'lww-control', color: CTL, values: solo.map((p) => p.soloControl) }] : []),
    ],
    'anomalies in seeds with this nemesis alone',
  );
  return `<p>From the seeds in which only that nemesis was active (${solo.map((p) => `${p.nemesis}: ${p.soloSeeds}`).join(', ')}); <code>--per-nemesis N</code> runs N seeds per nemesis for a fuller picture.</p>${chart}`;
}
