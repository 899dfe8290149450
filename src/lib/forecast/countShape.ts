import { backtestPairs } from './backtestPairs';
import { countDispersion, meanAdjustment, normalQuantile, type ForecastPair } from './conformal';
import { orderSizesOf, type OrderSizes } from './orderSizes';
import type { WindowSet } from './rollingOrigin';

/**
 * The shape of a count SKU's predictive distribution: a negative binomial on units (dispersion
 * from the backtest residuals), or a compound Poisson day (a Poisson number of orders, each of
 * the SKU's own order sizes: lumpy packs of 12 or 25 keep their lumps and their zero days).
 */
export type CountShape = { kind: 'negative-binomial' } | { kind: 'compound-poisson'; orders: OrderSizes };

/** Beyond this many orders a day the discreteness of the sum no longer matters: a normal approximation on its moments. */
const maxExactOrders = 60;

/** Probabilities of 0..kmax units for a day of `meanUnits` expected units, a Poisson number of orders of `orders`' sizes (Panjer's recursion). */
export function compoundPoissonPmf(meanUnits: number, orders: OrderSizes, kmax: number): number[] {
  const lambda = Math.max(0, meanUnits) / orders.mean;
  const g = [Math.exp(-lambda)];
  for (let k = 1; k <= kmax; k++) g.push(panjerStep(g, k, lambda, orders));
  return g;
}

function panjerStep(g: readonly number[], k: number, lambda: number, orders: OrderSizes): number {
  let s = 0;
  for (let j = 0; j < orders.sizes.length; j++) {
    const size = orders.sizes[j] as number;
    if (size > k) break;
    s += size * (orders.probs[j] as number) * (g[k - size] as number);
  }
  return (lambda / k) * s;
}

/** The smallest k with P(Y ≤ k) ≥ p for each level, Y a compound Poisson day (see compoundPoissonPmf). */
export function compoundPoissonQuantiles(meanUnits: number, orders: OrderSizes, levels: readonly number[]): number[] {
  const m = Math.max(0, meanUnits);
  if (!(m > 0)) return levels.map(() => 0);
  const lambda = m / orders.mean;
  const variance = (m * orders.meanSquare) / orders.mean;
  if (lambda > maxExactOrders) return levels.map((p) => Math.max(0, Math.round(m + Math.sqrt(variance) * normalQuantile(p))));
  const limit = Math.ceil(m + 40 * Math.sqrt(variance) + (orders.sizes[orders.sizes.length - 1] as number) + 50);
  const g = [Math.exp(-lambda)];
  let cdf = g[0] as number;
  const out = new Array<number>(levels.length).fill(0);
  const order = levels.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  for (const [p, i] of order) {
    while (cdf < p - 1e-12 && g.length <= limit) {
      g.push(panjerStep(g, g.length, lambda, orders));
      cdf += g[g.length - 1] as number;
    }
    out[i] = g.length - 1;
  }
  return out;
}

/** Probabilities of 0..kmax for the mean and variance countQuantiles uses: Poisson, or negative binomial above it. */
export function countPmf(meanValue: number, varianceValue: number, kmax: number): number[] {
  const m = Math.max(0, meanValue);
  const v = Math.max(m, Number.isFinite(varianceValue) ? varianceValue : m);
  const out: number[] = [];
  if (!(m > 0)) return [1, ...new Array<number>(kmax).fill(0)];
  const poisson = v <= m * 1.000001;
  const r = poisson ? 0 : (m * m) / (v - m);
  const q = poisson ? 0 : m / (r + m);
  let pk = poisson ? Math.exp(-m) : Math.exp(r * Math.log(1 - q));
  out.push(pk);
  for (let k = 1; k <= kmax; k++) {
    pk *= poisson ? m / k : ((k - 1 + r) / k) * q;
    out.push(pk);
  }
  return out;
}

/** Ranked probability score of a count `actual` under `pmf` (0..kmax; beyond it the CDF is taken as 1). */
export function rankedProbabilityScore(pmf: readonly number[], actual: number): number {
  let cdf = 0;
  let score = 0;
  for (let k = 0; k < pmf.length; k++) {
    cdf += pmf[k] as number;
    score += (Math.min(1, cdf) - (actual <= k ? 1 : 0)) ** 2;
  }
  return score;
}

/** Σ RPS of one backtest window under both shapes, each calibrated without that window (one pmf per distinct mean). */
function windowScores(
  y: readonly number[],
  censored: readonly boolean[],
  origin: number,
  forecast: readonly number[],
  others: readonly ForecastPair[],
  horizon: number,
): { negativeBinomial: number; compoundPoisson: number } {
  const adjust = meanAdjustment(others);
  const dispersion = countDispersion(others, adjust);
  const orders = orderSizesOf(y, censored, origin);
  const actualsByMean = new Map<number, number[]>();
  for (let h = 0; h < horizon; h++) {
    if (censored[origin + h]) continue;
    const m = adjust(forecast[h] as number);
    const list = actualsByMean.get(m);
    if (list) list.push(Math.round(y[origin + h] as number));
    else actualsByMean.set(m, [Math.round(y[origin + h] as number)]);
  }
  let negativeBinomial = 0;
  let compoundPoisson = 0;
  for (const [m, actuals] of actualsByMean) {
    const spread = Math.sqrt(m * Math.max(dispersion, orders ? orders.meanSquare / orders.mean : 1));
    const largestOrder = orders ? (orders.sizes[orders.sizes.length - 1] as number) : 0;
    const kmax = Math.ceil(Math.max(...actuals, m + 12 * spread + largestOrder + 10));
    const nb = countPmf(m, m * dispersion, kmax);
    const cp = orders && m / orders.mean <= maxExactOrders ? compoundPoissonPmf(m, orders, kmax) : nb;
    for (const a of actuals) {
      negativeBinomial += rankedProbabilityScore(nb, a);
      compoundPoisson += rankedProbabilityScore(cp, a);
    }
  }
  return { negativeBinomial, compoundPoisson };
}

/**
 * Picks the count shape by a proper score on the rolling-origin backtest: each window is scored
 * (ranked probability score) under both shapes calibrated on the other windows and on the
 * history before it; the compound Poisson day is taken when it scores better in total and the
 * SKU's recent history gives order sizes. Without backtest windows, the negative binomial.
 */
export function chooseCountShape(
  y: readonly number[],
  censored: readonly boolean[],
  plan: WindowSet,
  windows: readonly (readonly number[])[],
): { shape: CountShape; scores: { negativeBinomial: number; compoundPoisson: number } | null } {
  const orders = orderSizesOf(y, censored);
  if (!orders || windows.length < 2 || windows.length !== plan.origins.length)
    return { shape: { kind: 'negative-binomial' }, scores: null };
  const total = { negativeBinomial: 0, compoundPoisson: 0 };
  plan.origins.forEach((origin, w) => {
    const others = backtestPairs(y, censored, plan, windows, w);
    const s = windowScores(y, censored, origin, windows[w] as number[], others, plan.horizon);
    total.negativeBinomial += s.negativeBinomial;
    total.compoundPoisson += s.compoundPoisson;
  });
  const shape: CountShape =
    total.compoundPoisson < total.negativeBinomial ? { kind: 'compound-poisson', orders } : { kind: 'negative-binomial' };
  return { shape, scores: total };
}
