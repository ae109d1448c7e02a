/** Tiny inline-SVG charts for the self-contained HTML report (no scripts, no CDN). */

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const W = 640;
const H = 320;
const M = { left: 60, right: 20, top: 20, bottom: 50 };

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function axes(xLabel: string, yLabel: string, yMax: number): string {
  const ih = H - M.top - M.bottom;
  let out = `<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#333"/>`;
  out += `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="#333"/>`;
  for (let i = 0; i <= 4; i++) {
    const y = H - M.bottom - (ih * i) / 4;
    out += `<line x1="${M.left - 4}" y1="${y}" x2="${W - M.right}" y2="${y}" stroke="#eee"/>`;
    out += `<text x="${M.left - 8}" y="${y + 4}" font-size="11" text-anchor="end">${formatNum((yMax * i) / 4)}</text>`;
  }
  out += `<text x="${(W + M.left) / 2}" y="${H - 8}" font-size="12" text-anchor="middle">${escapeXml(xLabel)}</text>`;
  out += `<text x="14" y="${H / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${H / 2})">${escapeXml(yLabel)}</text>`;
  return out;
}

function formatNum(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k` : v.toFixed(v < 10 && v % 1 !== 0 ? 1 : 0);
}

export function scatter(
  points: ReadonlyArray<readonly [number, number]>,
  xLabel: string,
  yLabel: string,
): string {
  const xMax = niceMax(Math.max(0, ...points.map((p) => p[0])));
  const yMax = niceMax(Math.max(0, ...points.map((p) => p[1])));
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  let out = axes(xLabel, yLabel, yMax);
  for (let i = 0; i <= 4; i++) {
    const x = M.left + (iw * i) / 4;
    out += `<text x="${x}" y="${H - M.bottom + 16}" font-size="11" text-anchor="middle">${formatNum((xMax * i) / 4)}</text>`;
  }
  // Thin large sweeps so the file stays small.
  const step = Math.max(1, Math.floor(points.length / 2000));
  for (let i = 0; i < points.length; i += step) {
    const [px, py] = points[i] as readonly [number, number];
    const x = M.left + (px / xMax) * iw;
    const y = H - M.bottom - (py / yMax) * ih;
    out += `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="2.5" fill="#2b6cb0" fill-opacity="0.5"/>`;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${out}</svg>`;
}

export interface BarSeries {
  readonly name: string;
  readonly color: string;
  readonly values: readonly number[];
}

/** Grouped bars: one group per category, one bar per series. */
export function groupedBars(
  categories: readonly string[],
  series: readonly BarSeries[],
  yLabel: string,
): string {
  const yMax = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  let out = axes('', yLabel, yMax);
  const gw = iw / Math.max(1, categories.length);
  const bw = (gw * 0.8) / Math.max(1, series.length);
  categories.forEach((cat, ci) => {
    const gx = M.left + ci * gw + gw * 0.1;
    series.forEach((s, si) => {
      const v = s.values[ci] ?? 0;
      const h = (v / yMax) * ih;
      out += `<rect x="${(gx + si * bw).toFixed(1)}" y="${(H - M.bottom - h).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"><title>${escapeXml(`${s.name} ${cat}: ${v}`)}</title></rect>`;
    });
    out += `<text x="${(gx + gw * 0.4).toFixed(1)}" y="${H - M.bottom + 14}" font-size="10" text-anchor="middle">${escapeXml(cat)}</text>`;
  });
  series.forEach((s, si) => {
    out += `<rect x="${W - M.right - 150}" y="${M.top + si * 16}" width="10" height="10" fill="${s.color}"/>`;
    out += `<text x="${W - M.right - 135}" y="${M.top + si * 16 + 9}" font-size="11">${escapeXml(s.name)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${out}</svg>`;
}

/** One color per nemesis, for the timelines' shading and legends. */
export const NEMESIS_COLORS: Readonly<Record<string, string>> = {
  'partition-halves': '#d69e2e',
  'partition-random': '#dd6b20',
  bridge: '#b7791f',
  kill: '#e53e3e',
  pause: '#805ad5',
  'clock-skew': '#3182ce',
  loss: '#38a169',
  duplicate: '#319795',
  reorder: '#d53f8c',
};

export interface TimelinePoint {
  readonly at: number;
  readonly p50: number;
  readonly max: number;
}

/**
 * Latency over simulated time (p50 line, worst as dots) with each fault window shaded in its
 * nemesis' color behind it: where latency jumps, the shading says which fault was active.
 */
export function timelineChart(
  points: readonly TimelinePoint[],
  faults: ReadonlyArray<{ readonly nemesis: string; readonly start: number; readonly end: number }>,
  durationMs: number,
): string {
  const h = 220;
  const yMax = niceMax(Math.max(1, ...points.map((p) => p.max)));
  const xMax = Math.max(1, durationMs);
  const iw = W - M.left - M.right;
  const ih = h - M.top - M.bottom;
  const x = (ms: number) => M.left + (Math.min(ms, xMax) / xMax) * iw;
  const y = (v: number) => h - M.bottom - (v / yMax) * ih;
  let out = '';
  for (const f of faults) {
    const color = NEMESIS_COLORS[f.nemesis] ?? '#718096';
    out += `<rect x="${x(f.start).toFixed(1)}" y="${M.top}" width="${Math.max(1, x(f.end) - x(f.start)).toFixed(1)}" height="${ih}" fill="${color}" fill-opacity="0.18"><title>${escapeXml(`${f.nemesis} ${(f.start / 1000).toFixed(1)}–${(f.end / 1000).toFixed(1)} s`)}</title></rect>`;
  }
  out += `<line x1="${M.left}" y1="${h - M.bottom}" x2="${W - M.right}" y2="${h - M.bottom}" stroke="#333"/>`;
  out += `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${h - M.bottom}" stroke="#333"/>`;
  for (let i = 0; i <= 2; i++) {
    const v = (yMax * i) / 2;
    out += `<text x="${M.left - 8}" y="${y(v) + 4}" font-size="11" text-anchor="end">${formatNum(v)}</text>`;
  }
  for (let i = 0; i <= 4; i++) {
    const ms = (xMax * i) / 4;
    out += `<text x="${x(ms)}" y="${h - M.bottom + 16}" font-size="11" text-anchor="middle">${formatNum(ms / 1000)}</text>`;
  }
  out += `<text x="${(W + M.left) / 2}" y="${h - 12}" font-size="12" text-anchor="middle">simulated s</text>`;
  out += `<text x="14" y="${h / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${h / 2})">latency (ms)</text>`;
  const line = points.map((p) => `${x(p.at).toFixed(1)},${y(p.p50).toFixed(1)}`).join(' ');
  if (points.length > 0)
    out += `<polyline points="${line}" fill="none" stroke="#2b6cb0" stroke-width="1.5"/>`;
  for (const p of points)
    if (p.max > 0)
      out += `<circle cx="${x(p.at).toFixed(1)}" cy="${y(p.max).toFixed(1)}" r="2" fill="#c53030" fill-opacity="0.7"/>`;
  const names = [...new Set(faults.map((f) => f.nemesis))];
  names.forEach((n, i) => {
    out += `<rect x="${W - M.right - 130}" y="${M.top + i * 14}" width="10" height="10" fill="${NEMESIS_COLORS[n] ?? '#718096'}" fill-opacity="0.5"/>`;
    out += `<text x="${W - M.right - 115}" y="${M.top + i * 14 + 9}" font-size="10">${escapeXml(n)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}">${out}</svg>`;
}
