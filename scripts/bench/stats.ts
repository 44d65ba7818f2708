/** Summaries of repeated measurements: median with min and max, percentiles, paired ratios. */

/** The median of the runs, with their min and max. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** Linear-interpolated percentile (p in 0..100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low] ?? Number.NaN;
  const highValue = sorted[high] ?? Number.NaN;
  return lowValue + (highValue - lowValue) * (rank - low);
}

/** Median, min and max of `values`. */
export function summarize(values: readonly number[]): Summary {
  return {
    median: percentile(values, 50),
    min: values.length === 0 ? Number.NaN : Math.min(...values),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
    runs: values.length,
  };
}

/** Ratios taken pair by pair (run i of `ours` against run i of `theirs`), then summarized. */
export function pairedRatios(ours: readonly number[], theirs: readonly number[]): Summary {
  const count = Math.min(ours.length, theirs.length);
  const ratios: number[] = [];
  for (let i = 0; i < count; i += 1) ratios.push((ours[i] ?? Number.NaN) / (theirs[i] ?? Number.NaN));
  return summarize(ratios);
}
