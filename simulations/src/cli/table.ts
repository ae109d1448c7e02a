import { VIOLATION_KINDS } from '../run/run-seed.js';
import type { StoreTotals, SweepSummary } from '../run/summary.js';

export function formatTable(rows: ReadonlyArray<readonly string[]>): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r, ri) => {
      const line = r
        .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
        .join('  ');
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

/** Share of reads that saw exactly one version (the Dynamo paper reports 99.94% for carts). */
export function oneVersionShare(t: StoreTotals): number {
  const total = t.versionsPerRead.reduce((s, v) => s + v, 0);
  return total === 0 ? 1 : (t.versionsPerRead[1] ?? 0) / total;
}

export function summaryText(s: SweepSummary): string {
  const cw = s.cartwheel;
  const ctl = s.control;
  const col = (t: StoreTotals | undefined, f: (t: StoreTotals) => string) => (t === undefined ? '-' : f(t));
  const rows: string[][] = [['', 'cartwheel', 'lww-control']];
  rows.push(['seeds run', String(cw.seeds), col(ctl, (t) => String(t.seeds))]);
  for (const k of VIOLATION_KINDS) {
    const shown = (t: StoreTotals) => (s.checked[k] ? String(t.violations[k]) : 'not checked');
    rows.push([k, shown(cw), col(ctl, shown)]);
  }
  rows.push([
    'seeds with anomalies',
    String(cw.seedsWithViolations),
    col(ctl, (t) => String(t.seedsWithViolations)),
  ]);
  rows.push(['run errors', String(cw.errors), col(ctl, (t) => String(t.errors))]);
  rows.push(['not converged', String(cw.unconverged), col(ctl, (t) => String(t.unconverged))]);
  rows.push(['ops (ok)', `${cw.ops} (${cw.okOps})`, col(ctl, (t) => `${t.ops} (${t.okOps})`)]);
  rows.push([
    'converge after heal p50/p99/max (ms)',
    `${cw.convergeMs.p50.toFixed(0)}/${cw.convergeMs.p99.toFixed(0)}/${cw.convergeMs.max.toFixed(0)}`,
    col(
      ctl,
      (t) => `${t.convergeMs.p50.toFixed(0)}/${t.convergeMs.p99.toFixed(0)}/${t.convergeMs.max.toFixed(0)}`,
    ),
  ]);
  rows.push([
    'messages per op',
    (cw.messages / Math.max(1, cw.ops)).toFixed(1),
    col(ctl, (t) => (t.messages / Math.max(1, t.ops)).toFixed(1)),
  ]);
  rows.push([
    'bytes per op',
    (cw.bytes / Math.max(1, cw.ops)).toFixed(0),
    col(ctl, (t) => (t.bytes / Math.max(1, t.ops)).toFixed(0)),
  ]);
  rows.push([
    'reads seeing 1 version (Dynamo: 99.94%)',
    `${(oneVersionShare(cw) * 100).toFixed(2)}%`,
    col(ctl, (t) => `${(oneVersionShare(t) * 100).toFixed(2)}%`),
  ]);
  rows.push(['simulated events', String(cw.events), col(ctl, (t) => String(t.events))]);
  const head =
    `${s.seeds} seeds from ${s.firstSeed}, ${s.config.nodes} nodes, N/R/W/PR/PW ${s.config.n}/${s.config.r}/${s.config.w}/${s.config.pr}/${s.config.pw}, ` +
    `nemesis ${s.config.nemeses.join(',') || 'none'}, ${s.config.durationMs / 1000}s simulated each\n` +
    `wall ${(s.wallMs / 1000).toFixed(1)}s, cpu ${(s.cpuMs / 1000).toFixed(1)}s, ` +
    `${s.eventsPerSec.toLocaleString('en-US')} simulated events/s\n\n`;
  const nem = s.perNemesis.length
    ? `\n\nanomalies by nemesis active in the seed (alone: seeds where it was the only one)\n${formatTable([
        ['nemesis', 'seeds', 'cartwheel', 'lww-control', 'alone: seeds', 'cartwheel', 'lww-control'],
        ...s.perNemesis.map((p) => [
          p.nemesis,
          String(p.seeds),
          String(p.cartwheel),
          String(p.control),
          String(p.soloSeeds),
          String(p.soloCartwheel),
          String(p.soloControl),
        ]),
      ])}`
    : '';
  const iso = s.isolated?.length
    ? `\n\none nemesis per run (--per-nemesis)\n${formatTable([
        [
          'nemesis',
          'seeds',
          'failing',
          'cartwheel anomalies',
          'lww-control anomalies',
          'ok ops',
          'converge p99 (ms)',
        ],
        ...s.isolated.map((r) => [
          r.nemesis,
          String(r.seeds),
          String(r.failingSeeds),
          String(VIOLATION_KINDS.reduce((n, k) => n + r.cartwheel[k], 0)),
          r.control === undefined
            ? '-'
            : String(VIOLATION_KINDS.reduce((n, k) => n + (r.control?.[k] ?? 0), 0)),
          `${(r.okShare * 100).toFixed(1)}%`,
          r.convergeMs.p99.toFixed(0),
        ]),
      ])}`
    : '';
  const failing = s.failing.length
    ? `\n\nFAILING SEEDS (${s.failing.length}):\n${s.failing
        .slice(0, 20)
        .map(
          (f) =>
            `  seed ${f.seed}: replay with\n    ${f.replay}\n${f.details.map((d) => `    - ${d}`).join('\n')}`,
        )
        .join('\n')}`
    : '\n\nno violations for cartwheel';
  return head + formatTable(rows) + nem + iso + failing;
}
