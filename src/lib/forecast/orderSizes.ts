import { adiCutoff } from './classify';
import { rateWindowInDays } from './pooling';

/** What one order of a SKU brings: integer sizes ≥ 1 with their probabilities. */
export interface OrderSizes {
  sizes: number[];
  probs: number[];
  /** Mean units per order. */
  mean: number;
  /** Mean squared units per order: the variance of a compound Poisson day is its mean × meanSquare ÷ mean. */
  meanSquare: number;
  /** Sale days the sizes were learnt from. */
  saleDays: number;
}

/** Fewer sale days than this say nothing about the sizes. */
export const minSaleDaysForSizes = 3;

/** Sale-day totals of the last `windowInDays` known days before `end`, and the known days counted. */
function recentSaleDays(y: readonly number[], censored: readonly boolean[], end: number, windowInDays: number) {
  const totals = new Map<number, number>();
  let days = 0;
  let saleDays = 0;
  for (let t = end - 1; t >= 0 && days < windowInDays; t--) {
    if (censored[t]) continue;
    days++;
    const v = Math.round(y[t] as number);
    if (!(v > 0)) continue;
    saleDays++;
    totals.set(v, (totals.get(v) ?? 0) + 1);
  }
  return { totals, days, saleDays };
}

/**
 * Inverts Panjer's recursion for a compound Poisson day (Buchmann & Grübel 2003): from the
 * day-total distribution g (g[0] = share of zero days) to the order-size distribution f, so that a
 * day with two orders of 12 counts as two 12s, not as one 24. Negative estimates are clipped.
 */
function decompound(g: ReadonlyMap<number, number>, zeroShare: number): Map<number, number> {
  const lambda = -Math.log(zeroShare);
  const f = new Map<number, number>();
  // f[k] > 0 needs g[k] > 0 (the convolution terms only subtract): only the observed totals are visited.
  for (const k of [...g.keys()].sort((a, b) => a - b)) {
    let acc = (k * (g.get(k) as number)) / lambda;
    for (const [j, fj] of f) acc -= j * fj * (g.get(k - j) ?? 0);
    const fk = acc / (k * zeroShare);
    if (fk > 1e-12) f.set(k, fk);
  }
  return f;
}

/**
 * The SKU's order sizes from its recent sale days (the pooling window, where pack sizes and
 * customers are today's), decompounded under a Poisson number of orders per day. Null with fewer
 * than `minSaleDaysForSizes` sale days, or when the SKU sells on most days (fewer zero days than
 * the Syntetos–Boylan intermittency cut-off leaves): there the orders of a day cannot be told apart.
 */
export function orderSizesOf(
  y: readonly number[],
  censored: readonly boolean[],
  end = y.length,
  windowInDays = rateWindowInDays,
): OrderSizes | null {
  const { totals, days, saleDays } = recentSaleDays(y, censored, end, windowInDays);
  if (saleDays < minSaleDaysForSizes || saleDays * adiCutoff > days) return null;
  const zeroShare = 1 - saleDays / days;
  const g = new Map<number, number>([...totals].map(([k, c]) => [k, c / days]));
  const f = decompound(g, zeroShare);
  const total = [...f.values()].reduce((s, v) => s + v, 0);
  if (!(total > 0)) return null;
  const sizes = [...f.keys()].sort((a, b) => a - b);
  const probs = sizes.map((k) => (f.get(k) as number) / total);
  const mean = sizes.reduce((s, k, i) => s + k * (probs[i] as number), 0);
  const meanSquare = sizes.reduce((s, k, i) => s + k * k * (probs[i] as number), 0);
  return { sizes, probs, mean, meanSquare, saleDays };
}
