import { segmentMetricKey, type PolicyMetricName } from './policyMetrics';

/** The per-SKU backtest figures of the chosen model that a run's figures are built from (a Gold forecast_metrics row). */
export interface BacktestMetricRow {
  sku: string;
  segment: string;
  mase: number | null;
  wape: number | null;
  bias: number | null;
  /** Absent from Gold forecast_metrics (the batch summaries carry it). */
  coverage50?: number | null;
  /** Σ expected units − Σ actual over the SKU's backtest points (the batch summaries carry it, Gold does not). */
  meanSignedError?: number | null;
  coverage90: number | null;
  pinball: number | null;
  absError: number;
  absActual: number;
  windows: number;
}

/**
 * What the run's aggregate figures are ratios of: sums and counts, so batches add up in any order
 * and a run of any size is a few numbers per segment, never a row per SKU.
 */
export interface BacktestSums {
  skus: number;
  absError: number;
  absActual: number;
  /** Σ point − Σ actual over the backtest points (the point's fleet bias's numerator). */
  signedError: number;
  /** Σ expected units − Σ actual over the backtest points of the SKUs that carry it (the fleet bias's numerator). */
  meanSignedError: number;
  /** SKUs whose rows carried meanSignedError: the fleet bias is reported only when every SKU did. */
  meanSkus: number;
  maseSum: number;
  maseCount: number;
  /** Σ bias × |actual| and Σ |actual| over SKUs with a bias: the volume-weighted bias. */
  biasSum: number;
  biasWeight: number;
  coverage50Sum: number;
  coverage50Count: number;
  coverage90Sum: number;
  coverage90Count: number;
  pinballSum: number;
  pinballCount: number;
  /** Most backtest windows of a SKU (the run's window count). */
  windows: number;
}

/** A run's (or a batch's) sums: the whole set and per segment. */
export interface SegmentedBacktestSums {
  total: BacktestSums;
  segments: Record<string, BacktestSums>;
}

export function emptyBacktestSums(): BacktestSums {
  return {
    skus: 0,
    absError: 0,
    absActual: 0,
    signedError: 0,
    meanSignedError: 0,
    meanSkus: 0,
    maseSum: 0,
    maseCount: 0,
    biasSum: 0,
    biasWeight: 0,
    coverage50Sum: 0,
    coverage50Count: 0,
    coverage90Sum: 0,
    coverage90Count: 0,
    pinballSum: 0,
    pinballCount: 0,
    windows: 0,
  };
}

export function emptySegmentedSums(): SegmentedBacktestSums {
  return { total: emptyBacktestSums(), segments: {} };
}

const known = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);

/**
 * A SKU's Σ forecast − Σ actual: bias × |actual| when it has a bias; a SKU with no actual sales in
 * its windows has none, and its |error| is then its forecast total (backtest forecasts are never negative).
 */
function signedErrorOf(row: BacktestMetricRow): number {
  if (known(row.bias)) return row.bias * row.absActual;
  return row.absActual === 0 ? row.absError : 0;
}

function addTo(into: BacktestSums, row: BacktestMetricRow): void {
  into.skus += 1;
  into.absError += row.absError;
  into.absActual += row.absActual;
  into.signedError += signedErrorOf(row);
  if (known(row.meanSignedError)) {
    into.meanSignedError += row.meanSignedError;
    into.meanSkus += 1;
  }
  if (known(row.mase)) {
    into.maseSum += row.mase;
    into.maseCount += 1;
  }
  if (known(row.bias)) {
    into.biasSum += row.bias * row.absActual;
    into.biasWeight += row.absActual;
  }
  if (known(row.coverage50)) {
    into.coverage50Sum += row.coverage50;
    into.coverage50Count += 1;
  }
  if (known(row.coverage90)) {
    into.coverage90Sum += row.coverage90;
    into.coverage90Count += 1;
  }
  if (known(row.pinball)) {
    into.pinballSum += row.pinball;
    into.pinballCount += 1;
  }
  into.windows = Math.max(into.windows, row.windows);
}

/** Adds one SKU's row to the total and to its segment. */
export function addBacktestRow(into: SegmentedBacktestSums, row: BacktestMetricRow): SegmentedBacktestSums {
  addTo(into.total, row);
  addTo((into.segments[row.segment] ??= emptyBacktestSums()), row);
  return into;
}

function mergeInto(into: BacktestSums, from: BacktestSums): void {
  for (const key of Object.keys(into) as Array<keyof BacktestSums>) {
    into[key] = key === 'windows' ? Math.max(into[key], from[key] ?? 0) : into[key] + (from[key] ?? 0);
  }
}

/** Adds a batch's sums into the run's. */
export function mergeSegmentedSums(into: SegmentedBacktestSums, from: SegmentedBacktestSums): SegmentedBacktestSums {
  mergeInto(into.total, from.total);
  for (const [segment, sums] of Object.entries(from.segments)) mergeInto((into.segments[segment] ??= emptyBacktestSums()), sums);
  return into;
}

export type BacktestFigures = Partial<Record<PolicyMetricName, number>> & { skus: number };

/**
 * The figures of a set of SKUs: WAPE pooled (Σ|error| / Σ|actual|, so big movers weigh by volume),
 * bias weighted by volume, MASE, coverage and pinball as plain means over SKUs. Fleet bias
 * Σ forecast ÷ Σ actual − 1 (zero sellers' forecasts included) is on the expected units (what Gold
 * `expected` and fleet totals add up), reported only when every SKU carried its mean's backtest;
 * point_fleet_bias is the same on the points (median-type for skewed demand, so it runs low).
 */
export function backtestFigures(s: BacktestSums): BacktestFigures {
  const out: BacktestFigures = { skus: s.skus };
  if (s.absActual > 0) {
    out.wape = s.absError / s.absActual;
    out.point_fleet_bias = s.signedError / s.absActual;
    if (s.meanSkus === s.skus) out.fleet_bias = s.meanSignedError / s.absActual;
  }
  if (s.maseCount > 0) out.mase = s.maseSum / s.maseCount;
  if (s.biasWeight > 0) out.bias = s.biasSum / s.biasWeight;
  if (s.coverage50Count > 0) out.coverage50 = s.coverage50Sum / s.coverage50Count;
  if (s.coverage90Count > 0) out.coverage90 = s.coverage90Sum / s.coverage90Count;
  if (s.pinballCount > 0) out.pinball = s.pinballSum / s.pinballCount;
  return out;
}

/** Aggregate figures plus segment.<name>.<metric> per segment, as flat metric keys. */
export function metricsFromSums(sums: SegmentedBacktestSums): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(backtestFigures(sums.total))) if (value !== undefined) metrics[key] = value;
  for (const segment of Object.keys(sums.segments).sort()) {
    for (const [key, value] of Object.entries(backtestFigures(sums.segments[segment]!))) {
      if (value !== undefined) metrics[segmentMetricKey(segment, key as PolicyMetricName | 'skus')] = value;
    }
  }
  return metrics;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A Gold forecast_metrics row (or the same columns of a batch's result) as a backtest row. */
export function backtestRowOf(r: Record<string, unknown>): BacktestMetricRow {
  return {
    sku: String(r['sku']),
    segment: String(r['segment']),
    mase: num(r['mase']),
    wape: num(r['wape']),
    bias: num(r['bias']),
    coverage50: num(r['coverage50']),
    meanSignedError: num(r['mean_signed_error']),
    coverage90: num(r['coverage90']),
    pinball: num(r['pinball']),
    absError: Number(r['abs_err']),
    absActual: Number(r['abs_actual']),
    windows: Number(r['windows']),
  };
}

/** Whether a parsed JSON value has the shape of SegmentedBacktestSums (a batch summary written by this code). */
export function isSegmentedSums(value: unknown): value is SegmentedBacktestSums {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { total?: unknown; segments?: unknown };
  return (
    typeof v.total === 'object' &&
    v.total !== null &&
    typeof (v.total as { coverage50Count?: unknown }).coverage50Count === 'number' &&
    typeof v.segments === 'object' &&
    v.segments !== null
  );
}
