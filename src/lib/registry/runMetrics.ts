import { segmentMetricKey, type PolicyMetricName } from './policyMetrics';

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
      metrics[key === 'skus' ? `segment.${segment}.skus` : segmentMetricKey(segment, key as PolicyMetricName)] = value;
    }
  }
  return metrics;
}
