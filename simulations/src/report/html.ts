import { formatTable, summaryText } from '../cli/table.js';
import { VIOLATION_KINDS } from '../run/run-seed.js';
import type { SweepSummary } from '../run/summary.js';
import { escapeXml, groupedBars, scatter } from './svg.js';

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
<h2>Anomalies per nemesis</h2>${perNemesis}
<h2>Convergence time against partition length</h2>${conv}
<h2>Versions per read</h2><p>The Dynamo paper reports that 99.94% of cart reads saw exactly one version.</p><pre>${escapeXml(versions)}</pre>
<h2>JSON</h2><pre>${escapeXml(JSON.stringify({ config: s.config, seeds: s.seeds, failing: s.failing }, null, 2))}</pre>
</body></html>
`;
}
