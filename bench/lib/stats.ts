/** Order statistics for latencies and repeated runs. */

/** The q-quantile (0..1) by nearest rank; NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const median = (values: readonly number[]) => quantile(values, 0.5);
export const min = (values: readonly number[]) => (values.length === 0 ? NaN : Math.min(...values));
export const max = (values: readonly number[]) => (values.length === 0 ? NaN : Math.max(...values));

/** One measure over the repeats of a benchmark: every run's value, and their min, median and max. */
export interface Repeated {
  readonly runs: readonly number[];
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export function repeated(runs: readonly number[]): Repeated {
  return { runs, min: min(runs), median: median(runs), max: max(runs) };
}

/** Formats a number with thousands separators and `digits` decimals. */
export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** "median (min–max)" of a repeated measure. */
export function spread(r: Repeated, digits = 0): string {
  return `${fmt(r.median, digits)} (${fmt(r.min, digits)}–${fmt(r.max, digits)})`;
}
