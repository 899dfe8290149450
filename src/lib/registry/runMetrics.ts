import { maxTagValueLength } from '../tracking/trackingKeys';
import { breakdownTagNames, segmentMetricKey, type PolicyMetricName } from './policyMetrics';

/** The columns of a Gold forecast_metrics row that the run's figures are built from. */
export interface BacktestMetricRow {
  sku: string;
  segment: string;
  mase: number | null;
  wape: number | null;
  bias: number | null;
  coverage90: number | null;
  pinball: number | null;
  absError: number;
  absActual: number;
  windows: number;
}

function mean(values: Array<number | null>): number | undefined {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined;
}

/**
 * Aggregate backtest figures of a set of SKUs: WAPE pooled (Σ|error| / Σ|actual|, so big movers
 * weigh by volume), bias weighted by volume, MASE, coverage and pinball as plain means over SKUs.
 */
export function aggregateBacktest(rows: readonly BacktestMetricRow[]): Partial<Record<PolicyMetricName, number>> & { skus: number } {
  const absError = rows.reduce((a, r) => a + r.absError, 0);
  const absActual = rows.reduce((a, r) => a + r.absActual, 0);
  const biased = rows.filter((r) => r.bias !== null && Number.isFinite(r.bias));
  const biasWeight = biased.reduce((a, r) => a + r.absActual, 0);
  const out: Partial<Record<PolicyMetricName, number>> & { skus: number } = { skus: rows.length };
  if (absActual > 0) out.wape = absError / absActual;
  const m = mean(rows.map((r) => r.mase));
  if (m !== undefined) out.mase = m;
  if (biasWeight > 0) out.bias = biased.reduce((a, r) => a + r.bias! * r.absActual, 0) / biasWeight;
  const c = mean(rows.map((r) => r.coverage90));
  if (c !== undefined) out.coverage90 = c;
  const p = mean(rows.map((r) => r.pinball));
  if (p !== undefined) out.pinball = p;
  return out;
}

/** Aggregate figures plus segment.<name>.<metric> per segment, as flat metric keys. */
export function runMetricsFromBacktest(rows: readonly BacktestMetricRow[]): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(aggregateBacktest(rows))) if (value !== undefined) metrics[key] = value;
  const segments = [...new Set(rows.map((r) => r.segment))].sort();
  for (const segment of segments) {
    const agg = aggregateBacktest(rows.filter((r) => r.segment === segment));
    for (const [key, value] of Object.entries(agg)) {
      if (value === undefined) continue;
      metrics[segmentMetricKey(segment, key as PolicyMetricName | 'skus')] = value;
    }
  }
  return metrics;
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
