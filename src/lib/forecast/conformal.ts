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
