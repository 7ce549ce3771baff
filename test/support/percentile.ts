/**
 * The nearest-rank percentile of `values` (`fraction` 0.99 for p99): the smallest value that
 * at least that share of them do not exceed. NaN when there are none.
 */
export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(sorted.length * fraction)));
  return sorted[rank - 1] ?? Number.NaN;
}
