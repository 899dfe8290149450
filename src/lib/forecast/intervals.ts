import {
  countDistributionQuantiles,
  countQuantiles,
  meanAdjustment,
  pinballLoss,
  quantileKey,
  scaledConformalQuantiles,
  type ForecastPair,
} from './conformal';
import { backtestPairs } from './backtestPairs';
import { compoundPoissonQuantiles, type CountShape } from './countShape';
import { orderSizesOf } from './orderSizes';
import type { WindowSet } from './rollingOrigin';
import type { ForecastMetrics } from './types';

export { backtestPairs } from './backtestPairs';

/** Below this mean daily demand an integer series gets count-distribution quantiles. */
export const countLevelCutoff = 5;
/** Backtest pairs needed before they, rather than the in-sample naive differences, calibrate. */
export const minCalibrationPairs = 8;

/**
 * Quantiles around a point forecast from backtest pairs: a count distribution for integer
 * demand that is intermittent or low (where a continuous band would put q05 above 0 on days
 * that are mostly 0; centred on `expected` units when given), locally scaled conformal bands otherwise.
 * The count distribution is `shape`'s: a compound Poisson day of the SKU's order sizes, or
 * (the default) a negative binomial with the backtest's dispersion.
 */
export function predictiveQuantiles(
  point: readonly number[],
  pairs: readonly ForecastPair[],
  levels: readonly number[],
  counts: boolean,
  expected?: readonly number[],
  shape: CountShape = { kind: 'negative-binomial' },
): Record<string, number[]> {
  if (!counts) return scaledConformalQuantiles(point, pairs, levels);
  if (shape.kind === 'negative-binomial') return countDistributionQuantiles(point, pairs, levels, 1, expected).quantiles;
  const adjust = meanAdjustment(pairs);
  const sorted = [...levels].sort((a, b) => a - b);
  const out: Record<string, number[]> = Object.fromEntries(sorted.map((p) => [quantileKey(p), new Array<number>(point.length).fill(0)]));
  const byMean = new Map<number, number[]>();
  point.forEach((f, h) => {
    const m = expected?.[h] ?? adjust(f);
    let q = byMean.get(m);
    if (!q) byMean.set(m, (q = compoundPoissonQuantiles(m, shape.orders, sorted)));
    sorted.forEach((p, i) => (out[quantileKey(p)]![h] = q[i] as number));
  });
  return out;
}

/** The in-sample lag-M naive pairs: what calibrates when there is no backtest (wider, honest). */
export function naivePairs(y: readonly number[], censored: readonly boolean[], season: number): ForecastPair[] {
  const lag = season > 1 && y.length > season ? season : 1;
  const pairs: ForecastPair[] = [];
  for (let t = lag; t < y.length; t++)
    if (!censored[t] && !censored[t - lag]) pairs.push({ forecast: y[t - lag] as number, actual: y[t] as number });
  return pairs;
}

/** Flat count quantiles for a rate: compound Poisson, each sale day bringing `unitsPerSaleDay` units. */
export function rateQuantiles(rate: number, unitsPerSaleDay: number, horizon: number, levels: readonly number[]): Record<string, number[]> {
  const q = countQuantiles(rate, rate * Math.max(1, unitsPerSaleDay), levels);
  return Object.fromEntries(levels.map((p, i) => [quantileKey(p), new Array<number>(horizon).fill(q[i] as number)]));
}

/**
 * The pairs that calibrate the quantiles: the chosen forecast's backtest pairs; with too few,
 * the in-sample seasonal-naive pairs stand in (wider, honest about not knowing).
 */
export function calibrationOf(
  y: readonly number[],
  censored: readonly boolean[],
  plan: WindowSet,
  windows: readonly (readonly number[])[],
  season: number,
  counts: boolean,
): { pairs: ForecastPair[]; intervalMethod: string } {
  const pairs = backtestPairs(y, censored, plan, windows);
  const method = counts ? 'count-distribution' : 'scaled-conformal';
  if (pairs.length >= minCalibrationPairs) return { pairs, intervalMethod: method };
  return { pairs: naivePairs(y, censored, season), intervalMethod: `${method}:naive-differences` };
}

/** Backtest metrics of the chosen forecast; coverage and pinball are leave-one-window-out. */
export function backtestMetrics(
  y: readonly number[],
  censored: readonly boolean[],
  plan: WindowSet,
  windows: readonly (readonly number[])[],
  scale: number,
  levels: readonly number[],
  counts: boolean,
  shape: CountShape = { kind: 'negative-binomial' },
): ForecastMetrics {
  const hb = plan.horizon;
  let absError = 0;
  let absActual = 0;
  let signed = 0;
  let smapeSum = 0;
  let count = 0;
  let covered50 = 0;
  let covered90 = 0;
  let coverageCount = 0;
  let pinball = 0;
  let pinballCount = 0;
  const used = windows.length === plan.origins.length ? plan.origins : [];
  const bands = [0.05, 0.25, 0.75, 0.95, ...levels];
  used.forEach((origin, w) => {
    const f = windows[w] as number[];
    // Pairs of the other windows only, order sizes from before the window: an honest out-of-sample interval check.
    const others = backtestPairs(y, censored, plan, windows, w);
    const orders = shape.kind === 'compound-poisson' ? orderSizesOf(y, censored, origin) : null;
    const windowShape: CountShape = orders ? { kind: 'compound-poisson', orders } : { kind: 'negative-binomial' };
    const q = others.length >= minCalibrationPairs ? predictiveQuantiles(f, others, bands, counts, undefined, windowShape) : null;
    for (let h = 0; h < hb; h++) {
      if (censored[origin + h]) continue;
      const a = y[origin + h] as number;
      const fh = f[h] as number;
      absError += Math.abs(fh - a);
      absActual += Math.abs(a);
      signed += fh - a;
      smapeSum += Math.abs(fh) + Math.abs(a) === 0 ? 0 : (200 * Math.abs(fh - a)) / (Math.abs(fh) + Math.abs(a));
      count++;
      if (q) {
        const at = (p: number): number => q[quantileKey(p)]![h] as number;
        covered90 += a >= at(0.05) && a <= at(0.95) ? 1 : 0;
        covered50 += a >= at(0.25) && a <= at(0.75) ? 1 : 0;
        coverageCount++;
        for (const p of levels) {
          pinball += pinballLoss(a, at(p), p);
          pinballCount++;
        }
      }
    }
  });
  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  return {
    mase: count ? finite(absError / count / scale) : null,
    wape: count && absActual > 0 ? finite(absError / absActual) : null,
    smape: count ? finite(smapeSum / count) : null,
    bias: count && absActual > 0 ? finite(signed / absActual) : null,
    coverage50: coverageCount ? covered50 / coverageCount : null,
    coverage90: coverageCount ? covered90 / coverageCount : null,
    pinball: pinballCount ? finite(pinball / pinballCount) : null,
    absError,
    absActual,
    windows: used.length,
  };
}
