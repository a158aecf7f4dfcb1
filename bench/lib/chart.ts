/**
 * A grouped bar chart as a standalone SVG: one group per category, one bar per series at the
 * median of the repeats, a whisker from min to max, and optional dashed target lines.
 */
import type { Repeated } from './stats';

export interface BarSeries {
  readonly name: string;
  /** One value per category (undefined: no bar). */
  readonly values: readonly (Repeated | undefined)[];
}

export interface BarChart {
  readonly title: string;
  readonly yLabel: string;
  readonly categories: readonly string[];
  readonly series: readonly BarSeries[];
  /** Horizontal lines, e.g. a target. */
  readonly lines?: readonly { readonly value: number; readonly label: string }[];
  /** Logarithmic y axis, for values across orders of magnitude. */
  readonly log?: boolean;
}

const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1'];
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

const label = (n: number) => (n >= 1000 ? `${+(n / 1000).toFixed(1)}k` : `${+n.toPrecision(3)}`);

export function barChartSvg(chart: BarChart): string {
  const width = 760;
  const height = 380;
  const left = 70;
  const right = 20;
  const top = 40;
  const bottom = 70;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const all = chart.series.flatMap((s) => s.values.flatMap((v) => (v ? [v.max, v.median] : [])));
  const highest = Math.max(...all.filter(Number.isFinite), ...(chart.lines ?? []).map((l) => l.value), 0);
  const lowest = Math.max(1e-3, Math.min(...all.filter((n) => Number.isFinite(n) && n > 0), highest || 1));
  const yMax = chart.log ? 10 ** Math.ceil(Math.log10(highest || 1)) : niceMax(highest * 1.1);
  const yMin = chart.log ? 10 ** Math.floor(Math.log10(lowest)) : 0;
  const y = (v: number) => {
    if (chart.log) {
      const clamped = Math.max(v, yMin);
      return top + plotH - ((Math.log10(clamped) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotH;
    }
    return top + plotH - (v / yMax) * plotH;
  };
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escape(chart.title)}</text>`);
  // Grid and y axis labels.
  const ticks = chart.log
    ? Array.from({ length: Math.round(Math.log10(yMax) - Math.log10(yMin)) + 1 }, (_, i) => yMin * 10 ** i)
    : Array.from({ length: 6 }, (_, i) => (yMax * i) / 5);
  for (const tick of ticks) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${y(tick) + 4}" text-anchor="end" fill="#444">${label(tick)}</text>`);
  }
  parts.push(`<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#222">${escape(chart.yLabel)}</text>`);
  // Bars.
  const groupW = plotW / Math.max(1, chart.categories.length);
  const barW = Math.min(60, (groupW * 0.8) / Math.max(1, chart.series.length));
  chart.categories.forEach((category, c) => {
    const groupX = left + c * groupW + (groupW - barW * chart.series.length) / 2;
    chart.series.forEach((series, s) => {
      const value = series.values[c];
      if (!value || !Number.isFinite(value.median)) return;
      const x = groupX + s * barW;
      const colour = COLOURS[s % COLOURS.length]!;
      parts.push(`<rect x="${x + 2}" y="${y(value.median)}" width="${barW - 4}" height="${Math.max(0, top + plotH - y(value.median))}" fill="${colour}"><title>${escape(`${series.name} ${category}: median ${value.median}, min ${value.min}, max ${value.max}`)}</title></rect>`);
      const mid = x + barW / 2;
      parts.push(`<line x1="${mid}" x2="${mid}" y1="${y(value.min)}" y2="${y(value.max)}" stroke="#222"/>`);
      parts.push(`<line x1="${mid - 5}" x2="${mid + 5}" y1="${y(value.min)}" y2="${y(value.min)}" stroke="#222"/>`);
      parts.push(`<line x1="${mid - 5}" x2="${mid + 5}" y1="${y(value.max)}" y2="${y(value.max)}" stroke="#222"/>`);
      parts.push(`<text x="${mid}" y="${y(value.max) - 4}" text-anchor="middle" font-size="10" fill="#222">${label(value.median)}</text>`);
    });
    parts.push(`<text x="${left + c * groupW + groupW / 2}" y="${top + plotH + 16}" text-anchor="middle">${escape(category)}</text>`);
  });
  for (const line of chart.lines ?? []) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(line.value)}" y2="${y(line.value)}" stroke="#c00" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${width - right - 4}" y="${y(line.value) - 4}" text-anchor="end" fill="#c00">${escape(line.label)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#222"/>`);
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#222"/>`);
  // Legend.
  chart.series.forEach((series, s) => {
    const x = left + s * 170;
    parts.push(`<rect x="${x}" y="${height - 30}" width="12" height="12" fill="${COLOURS[s % COLOURS.length]}"/>`);
    parts.push(`<text x="${x + 16}" y="${height - 20}">${escape(series.name)}</text>`);
  });
  parts.push(`<text x="${width - right}" y="${height - 6}" text-anchor="end" font-size="10" fill="#666">bar: median of the repeats; whisker: min–max</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
