import { quantileSorted } from './numeric';

/** 'q05' for 0.05, 'q50' for 0.5, 'q975' for 0.975. */
export function quantileKey(p: number): string {
  const pct = Math.round(p * 1000) / 10;
  return Number.isInteger(pct) ? `q${String(pct).padStart(2, '0')}` : `q${String(Math.round(p * 1000)).padStart(3, '0')}`;
}

/**
 * Split-conformal style quantiles from rolling-origin residuals (actual − forecast), per horizon
 * step. Each step pools the residuals of nearby steps until it has enough of them, so a few
 * backtest windows still give stable quantiles; uncertainty grows with the step where it does in
 * the backtest. Quantiles are clipped at 0 and kept monotone in the level.
 */
export function conformalQuantiles(
  point: readonly number[],
  residualsByStep: readonly (readonly number[])[],
  levels: readonly number[],
  minPooled = 24,
): Record<string, number[]> {
  const horizon = point.length;
  const steps = residualsByStep.length;
  const out: Record<string, number[]> = {};
  const sorted = [...levels].sort((a, b) => a - b);
  for (const p of sorted) out[quantileKey(p)] = new Array<number>(horizon).fill(0);
  let lastCenter = -1;
  let pool: number[] = [];
  for (let h = 0; h < horizon; h++) {
    const center = Math.min(h, steps - 1);
    if (center !== lastCenter) {
      lastCenter = center;
      pool = [];
    }
    if (steps > 0 && pool.length === 0) {
      pool.push(...(residualsByStep[center] ?? []));
      for (let r = 1; pool.length < minPooled && r < steps; r++) {
        pool.push(...(residualsByStep[center - r] ?? []), ...(residualsByStep[center + r] ?? []));
      }
      pool.sort((a, b) => a - b);
    }
    let previous = 0;
    for (const p of sorted) {
      const q = pool.length ? quantileSorted(pool, p) : 0;
      const value = Math.max(previous, Math.max(0, (point[h] as number) + q));
      out[quantileKey(p)]![h] = Number.isFinite(value) ? value : previous;
      previous = out[quantileKey(p)]![h] as number;
    }
  }
  return out;
}

/** Mean pinball (quantile) loss over levels and points. */
export function pinballLoss(actual: number, q: number, p: number): number {
  return actual >= q ? p * (actual - q) : (1 - p) * (q - actual);
}

/** A backtest pair: the forecast made for a point and what happened. */
export interface ForecastPair {
  forecast: number;
  actual: number;
}

/** Conformal (type 6) quantile: the ⌈(n+1)p⌉-th order statistic, so n scores cover p of a new one. */
function conformalQuantileSorted(s: readonly number[], p: number): number {
  const n = s.length;
  if (n === 0) return 0;
  const h = (n + 1) * p - 1;
  if (h <= 0) return s[0] as number;
  if (h >= n - 1) return s[n - 1] as number;
  const lo = Math.floor(h);
  return (s[lo] as number) + (h - lo) * ((s[lo + 1] as number) - (s[lo] as number));
}

/**
 * Locally scaled split-conformal quantiles: each backtest residual is divided by the
 * compound-Poisson spread sqrt(forecast + floor), the quantiles of those scores are taken with the
 * finite-sample (n+1) correction, and scaled back by each future step's own spread. Uncertainty
 * thus follows the level (a quiet season has narrower bands than a busy one), and every window
 * and step contributes to one pool, which is what makes 5% tails estimable from a few windows.
 */
export function scaledConformalQuantiles(
  point: readonly number[],
  pairs: readonly ForecastPair[],
  levels: readonly number[],
): Record<string, number[]> {
  const sorted = [...levels].sort((a, b) => a - b);
  const levelMean = pairs.length ? pairs.reduce((s, p) => s + Math.max(0, p.forecast), 0) / pairs.length : 0;
  const floor = Math.max(0.5, 0.1 * levelMean);
  const spread = (f: number): number => Math.sqrt(Math.max(0, f) + floor);
  const scores = pairs
    .map((p) => (p.actual - p.forecast) / spread(p.forecast))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const z = sorted.map((p) => conformalQuantileSorted(scores, p));
  const out: Record<string, number[]> = {};
  for (const p of sorted) out[quantileKey(p)] = new Array<number>(point.length).fill(0);
  point.forEach((f, h) => {
    let previous = 0;
    sorted.forEach((p, i) => {
      const value = Math.max(previous, Math.max(0, f + (z[i] as number) * spread(f)));
      out[quantileKey(p)]![h] = Number.isFinite(value) ? value : previous;
      previous = out[quantileKey(p)]![h] as number;
    });
  });
  return out;
}

/**
 * Quantiles of a count distribution with the given mean and variance: Poisson when the variance
 * does not exceed the mean, negative binomial above it. The smallest k with P(Y ≤ k) ≥ p, so a day
 * that is zero most of the time has q05 = 0.
 */
export function countQuantiles(meanValue: number, varianceValue: number, levels: readonly number[]): number[] {
  const m = Math.max(0, meanValue);
  if (!(m > 0)) return levels.map(() => 0);
  const v = Math.max(m, Number.isFinite(varianceValue) ? varianceValue : m);
  if (m > 400) {
    // Far from zero the discreteness no longer matters: a normal approximation on the same moments.
    return levels.map((p) => Math.max(0, Math.round(m + Math.sqrt(v) * normalQuantile(p))));
  }
  const poisson = v <= m * 1.000001;
  const r = poisson ? 0 : (m * m) / (v - m);
  const q = poisson ? 0 : m / (r + m);
  let pk = poisson ? Math.exp(-m) : Math.exp(r * Math.log(1 - q));
  let cdf = pk;
  const order = levels.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(levels.length).fill(0);
  let k = 0;
  const limit = Math.ceil(m + 40 * Math.sqrt(v) + 50);
  for (const [p, i] of order) {
    while (cdf < p && k < limit) {
      pk *= poisson ? m / (k + 1) : ((k + r) / (k + 1)) * q;
      k++;
      cdf += pk;
    }
    out[i] = k;
  }
  return out;
}

/** Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628274631];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const x = Math.min(1 - 1e-12, Math.max(1e-12, p));
  const poly = (k: number[], t: number): number => k.reduce((s, v) => s * t + v, 0);
  if (x < 0.02425) {
    const t = Math.sqrt(-2 * Math.log(x));
    return poly(c, t) / (poly(d, t) * t + 1);
  }
  if (x > 1 - 0.02425) {
    const t = Math.sqrt(-2 * Math.log(1 - x));
    return -poly(c, t) / (poly(d, t) * t + 1);
  }
  const t = x - 0.5;
  const r = t * t;
  return (poly(a, r) * t) / (poly(b, r) * r + 1);
}

/**
 * The expected-units adjustment of a forecast learnt from its backtest pairs: median-type
 * forecasts (what absolute-error selection rewards) sit below the mean of skewed demand. Where the
 * forecast is positive, a bounded ratio Σactual ÷ Σforecast over those pairs; where it is 0 (a
 * seasonal median of mostly-zero days, or a closed weekday), the mean actual of such days.
 */
export function meanAdjustment(pairs: readonly ForecastPair[]): (forecast: number) => number {
  let sumF = 0;
  let sumA = 0;
  let zeroA = 0;
  let zeroCount = 0;
  for (const p of pairs) {
    if (p.forecast > 0) {
      sumF += p.forecast;
      sumA += p.actual;
    } else {
      zeroA += p.actual;
      zeroCount++;
    }
  }
  const ratio = sumF > 0 ? Math.min(3, Math.max(1 / 3, sumA / sumF)) : 1;
  const zeroRate = zeroCount ? zeroA / zeroCount : 0;
  return (f) => (f > 0 ? f * ratio : zeroRate);
}

/** Dispersion index Σ(actual − mean)² ÷ Σ mean of backtest pairs around their expected units (at least 1: Poisson). */
export function countDispersion(pairs: readonly ForecastPair[], adjust: (forecast: number) => number, fallback = 1): number {
  let sq = 0;
  let level = 0;
  for (const p of pairs) {
    const m = adjust(p.forecast);
    sq += (p.actual - m) ** 2;
    level += m;
  }
  return pairs.length && level > 0 ? Math.max(1, sq / level) : Math.max(1, fallback);
}

/**
 * Count-distribution quantiles around a forecast, calibrated on backtest pairs: each step's mean
 * is the forecast's expected units (meanAdjustment: a median-type 0 on a mostly-zero day still
 * carries the demand rate), its variance a dispersion index times the mean (compound Poisson:
 * one order brings several units), estimated from the same residuals. Given `expected` (the
 * forecast's own expected units), each step's mean is that instead.
 */
export function countDistributionQuantiles(
  point: readonly number[],
  pairs: readonly ForecastPair[],
  levels: readonly number[],
  fallbackDispersion = 1,
  expected?: readonly number[],
): { quantiles: Record<string, number[]>; dispersion: number } {
  const adjust = meanAdjustment(pairs);
  const dispersion = countDispersion(pairs, adjust, fallbackDispersion);
  const sorted = [...levels].sort((a, b) => a - b);
  const out: Record<string, number[]> = {};
  for (const p of sorted) out[quantileKey(p)] = new Array<number>(point.length).fill(0);
  point.forEach((f, h) => {
    const m = expected?.[h] ?? adjust(f);
    const q = countQuantiles(m, m * dispersion, sorted);
    sorted.forEach((p, i) => (out[quantileKey(p)]![h] = q[i] as number));
  });
  return { quantiles: out, dispersion };
}
