import { maxTagValueLength } from '../tracking/trackingKeys';
import {
  addBacktestRow,
  backtestFigures,
  emptySegmentedSums,
  metricsFromSums,
  type BacktestFigures,
  type BacktestMetricRow,
  type SegmentedBacktestSums,
} from './backtestSums';
import { breakdownTagNames } from './policyMetrics';

export type { BacktestMetricRow } from './backtestSums';

function sumsOf(rows: readonly BacktestMetricRow[]): SegmentedBacktestSums {
  const sums = emptySegmentedSums();
  for (const row of rows) addBacktestRow(sums, row);
  return sums;
}

/**
 * Aggregate backtest figures of a set of SKUs (see backtestFigures): WAPE pooled, bias weighted by
 * volume, fleet bias, MASE, coverage and pinball as plain means over SKUs.
 */
export function aggregateBacktest(rows: readonly BacktestMetricRow[]): BacktestFigures {
  return backtestFigures(sumsOf(rows).total);
}

/** Aggregate figures plus segment.<name>.<metric> per segment, as flat metric keys. */
export function runMetricsFromBacktest(rows: readonly BacktestMetricRow[]): Record<string, number> {
  return metricsFromSums(sumsOf(rows));
}

/** Counts by free text (a model or ensemble name, a fallback reason), summed over a run's batches. */
export interface RunBreakdowns {
  skusByModel: Record<string, number>;
  fallbacks: Record<string, number>;
}

export function sumBreakdowns(
  batches: ReadonlyArray<{ models: Record<string, number>; fallbacks: Record<string, number> }>,
): RunBreakdowns {
  const out: RunBreakdowns = { skusByModel: {}, fallbacks: {} };
  for (const b of batches) {
    for (const [model, count] of Object.entries(b.models)) out.skusByModel[model] = (out.skusByModel[model] ?? 0) + count;
    for (const [reason, count] of Object.entries(b.fallbacks)) out.fallbacks[reason] = (out.fallbacks[reason] ?? 0) + count;
  }
  return out;
}

/** The numbers of a breakdown that chart well as metrics, under fixed keys. */
export function breakdownMetrics(breakdowns: RunBreakdowns): Record<string, number> {
  return {
    'models.distinct': Object.keys(breakdowns.skusByModel).length,
    'fallbacks.total': Object.values(breakdowns.fallbacks).reduce((a, b) => a + b, 0),
  };
}

/** Name the entries past the tag value limit fold into. */
export const otherEntriesKey = '(other)';

/**
 * A count-by-text object as a JSON tag value, largest counts first. Past MLflow's 5000-character
 * tag limit the smallest entries fold into "(other)" (per-SKU detail stays in Gold forecast_metrics).
 */
export function breakdownJson(counts: Record<string, number>, limit: number = maxTagValueLength): string {
  const entries = Object.entries(counts).sort(([ka, a], [kb, b]) => b - a || ka.localeCompare(kb));
  const render = (kept: number): string => {
    if (kept >= entries.length) return JSON.stringify(Object.fromEntries(entries));
    const rest = entries.slice(kept).reduce((a, [, n]) => a + n, 0);
    return JSON.stringify(Object.fromEntries([...entries.slice(0, kept), [otherEntriesKey, rest]]));
  };
  if (render(entries.length).length <= limit) return render(entries.length);
  // The longest prefix that fits (binary search: the length grows with the entries kept).
  let lo = 0;
  let hi = entries.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (render(mid).length <= limit) lo = mid;
    else hi = mid - 1;
  }
  return render(lo);
}

/** Run tags holding the breakdowns: breakdown.skus_by_model and breakdown.fallbacks. */
export function breakdownTags(breakdowns: RunBreakdowns): Record<string, string> {
  return {
    [breakdownTagNames.skusByModel]: breakdownJson(breakdowns.skusByModel),
    [breakdownTagNames.fallbacks]: breakdownJson(breakdowns.fallbacks),
  };
}
