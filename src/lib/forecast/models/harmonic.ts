import { InsufficientHistoryError } from '../errors';
import { weightedLeastSquares } from '../numeric';
import type { ForecastModel, ModelContext } from '../types';

/**
 * Log-linear seasonal regression for daily demand: log1p(y) = level + trend·t + season-position
 * effects (day of week for M = 7) + yearly Fourier terms, fitted by weighted least squares with
 * exponentially decaying weights so the level follows recent data. On the log scale the weekly and
 * yearly effects multiply, which is how retail demand behaves; exp of the fitted log is a median
 * forecast, the right target for absolute-error losses. Cheap (one small linear solve).
 */
export interface HarmonicOptions {
  /** Yearly Fourier pairs when the history has two full years (fewer for shorter histories). */
  yearlyTerms: number;
  /** Weight half-life of the observations, in days. */
  halfLifeInDays: number;
  /** Fraction of the linear trend kept per step beyond the history (1 = undamped). */
  trendDamping: number;
}

const yearLength = 365.25;

function designRow(t: number, n: number, m: number, phase: number, k: number): Float64Array {
  const row = new Float64Array(2 + Math.max(0, m - 1) + 2 * k);
  row[0] = 1;
  row[1] = t / n;
  let c = 2;
  if (m > 1) {
    const pos = (t + phase) % m;
    for (let j = 1; j < m; j++) row[c++] = pos === j ? 1 : 0;
  }
  for (let j = 1; j <= k; j++) {
    const a = (2 * Math.PI * j * t) / yearLength;
    row[c++] = Math.sin(a);
    row[c++] = Math.cos(a);
  }
  return row;
}

export function harmonicForecast(y: readonly number[], horizon: number, context: ModelContext, options: HarmonicOptions) {
  const n = y.length;
  const m = context.season > 1 && n >= 2 * context.season ? context.season : 1;
  const years = context.isDaily ? n / yearLength : 0;
  const k = years >= 2 ? options.yearlyTerms : years >= 1.5 ? Math.min(options.yearlyTerms, 3) : 0;
  const minLength = Math.max(2 * m, 8);
  if (n < minLength) throw new InsufficientHistoryError('harmonic', n, minLength);
  const rows: Float64Array[] = [];
  const target: number[] = [];
  const weights: number[] = [];
  const decay = Math.log(2) / options.halfLifeInDays;
  for (let t = 0; t < n; t++) {
    if (context.censored?.[t]) continue;
    rows.push(designRow(t, n, m, 0, k));
    target.push(Math.log1p(Math.max(0, y[t] as number)));
    weights.push(Math.exp(-decay * (n - 1 - t)));
  }
  const beta = weightedLeastSquares(rows, target, weights, 1e-4);
  const point: number[] = [];
  const slope = (beta[1] as number) / n;
  for (let h = 0; h < horizon; h++) {
    const row = designRow(n - 1, n, m, 0, 0);
    // Seasonal and Fourier parts at the target date; the trend continues from the last point, damped.
    const full = designRow(n + h, n, m, 0, k);
    let s = 0;
    for (let j = 0; j < full.length; j++) s += (full[j] as number) * (beta[j] as number);
    s -= (full[1] as number) * (beta[1] as number);
    s += (row[1] as number) * (beta[1] as number);
    const steps = options.trendDamping >= 1 ? h + 1 : (options.trendDamping * (1 - options.trendDamping ** (h + 1))) / (1 - options.trendDamping);
    s += slope * steps;
    point.push(Math.max(0, Math.expm1(Math.min(s, 50))));
  }
  return { point, params: { seasonPeriod: m, yearlyTerms: k, halfLifeInDays: options.halfLifeInDays, slopePerStep: slope } };
}

export function harmonicModel(name: string, options: HarmonicOptions): ForecastModel {
  return {
    name,
    minLength: (season) => Math.max(2 * season, 8),
    forecast: (y, horizon, context) => harmonicForecast(y, horizon, context, options),
  };
}
