import { ModelTimeoutError } from '../errors';
import { difference, fitSarima, olsBeta, type SarimaFit, type SarimaOrder } from './sarimaCss';
import { ndiffs, nsdiffs } from './unitRoot';

/**
 * The Hyndman–Khandakar stepwise order search (Hyndman & Khandakar 2008; R forecast's
 * `auto.arima(stepwise = TRUE)` defaults): D by the seasonal test, d by KPSS on the seasonally
 * differenced series, four starting models, then single and paired ±1 moves of (P,Q) and (p,q)
 * and toggling the constant, moving to the first neighbour with a lower AICc until none is.
 * Limits as R: p,q ≤ 5, P,Q ≤ 2, p+q+P+Q ≤ 5, at most 94 models.
 */
export interface SearchOptions {
  m: number;
  /** Regressors (original scale), e.g. Fourier terms or event dummies. */
  xreg?: readonly Float64Array[];
  /** Wall-clock budget for the whole search; the best model so far wins when it runs out. */
  budgetInMs: number;
  /** The order to refit instead of searching (rolling-origin refits of one selection). */
  fixedOrder?: SarimaOrder;
}

export interface SearchResult {
  fit: SarimaFit;
  modelsFitted: number;
  /** True when the budget stopped the search before it converged. */
  truncated: boolean;
}

const limits = { p: 5, q: 5, P: 2, Q: 2, order: 5, models: 94 };

function key(o: SarimaOrder): string {
  return `${o.p},${o.q},${o.P},${o.Q},${o.constant ? 1 : 0}`;
}

function withinLimits(o: SarimaOrder): boolean {
  return (
    o.p >= 0 &&
    o.q >= 0 &&
    o.P >= 0 &&
    o.Q >= 0 &&
    o.p <= limits.p &&
    o.q <= limits.q &&
    o.P <= limits.P &&
    o.Q <= limits.Q &&
    o.p + o.q + o.P + o.Q <= limits.order
  );
}

/** R's order of neighbour moves (seasonal first, then non-seasonal, then the constant). */
const moves: ReadonlyArray<[number, number, number, number]> = [
  [0, 0, -1, 0],
  [0, 0, 0, -1],
  [0, 0, 1, 0],
  [0, 0, 0, 1],
  [0, 0, -1, -1],
  [0, 0, -1, 1],
  [0, 0, 1, -1],
  [0, 0, 1, 1],
  [-1, 0, 0, 0],
  [0, -1, 0, 0],
  [1, 0, 0, 0],
  [0, 1, 0, 0],
  [-1, -1, 0, 0],
  [-1, 1, 0, 0],
  [1, -1, 0, 0],
  [1, 1, 0, 0],
];

/** The differencing orders for y (after removing a least-squares fit of the regressors). */
export function chooseDifferencing(y: ArrayLike<number>, m: number, xreg: readonly Float64Array[] = []): { d: number; D: number } {
  let x: ArrayLike<number> = y;
  if (xreg.length) {
    const ones = new Float64Array(y.length).fill(1);
    const cols = [ones, ...xreg];
    const beta = olsBeta(Float64Array.from(y), cols);
    const r = new Float64Array(y.length);
    for (let t = 0; t < y.length; t++) {
      let v = y[t] as number;
      cols.forEach((c, j) => (v -= (beta[j] as number) * (c[t] as number)));
      r[t] = v;
    }
    x = r;
  }
  const D = m > 1 ? nsdiffs(x, m) : 0;
  const d = ndiffs(D > 0 ? difference(x, 0, D, m) : x);
  return { d, D };
}

export function searchArima(y: ArrayLike<number>, options: SearchOptions): SearchResult {
  const started = Date.now();
  const m = options.m;
  const xreg = options.xreg ?? [];
  if (options.fixedOrder) {
    return { fit: fitSarima(y, options.fixedOrder, { xreg }), modelsFitted: 1, truncated: false };
  }
  const { d, D } = chooseDifferencing(y, m, xreg);
  const seasonal = m > 1;
  const constantAllowed = d + D <= 1;
  // The search runs on the series with the regression part fixed at its least-squares value on
  // the differenced data; the chosen order is then refitted with the coefficients free.
  let fixedBeta: Float64Array | undefined;
  if (xreg.length)
    fixedBeta = olsBeta(
      difference(y, d, D, m),
      xreg.map((c) => difference(c, d, D, m)),
    );
  const seen = new Map<string, SarimaFit>();
  let best: SarimaFit | null = null;
  let truncated = false;
  const tryOrder = (p: number, q: number, P: number, Q: number, constant: boolean): boolean => {
    const o: SarimaOrder = { p, d, q, P: seasonal ? P : 0, D, Q: seasonal ? Q : 0, m, constant: constant && constantAllowed };
    if (!withinLimits(o) || seen.has(key(o)) || seen.size >= limits.models) return false;
    if (best && Date.now() - started >= options.budgetInMs) {
      truncated = true;
      return false;
    }
    const fit = fitSarima(y, o, { xreg, fixedBeta });
    seen.set(key(o), fit);
    if (!best || fit.aicc < best.aicc) {
      best = fit;
      return true;
    }
    return false;
  };
  tryOrder(2, 2, 1, 1, true);
  tryOrder(0, 0, 0, 0, true);
  tryOrder(1, 0, 1, 0, true);
  tryOrder(0, 1, 0, 1, true);
  if (constantAllowed) tryOrder(0, 0, 0, 0, false);
  for (let improved = true; improved && !truncated;) {
    improved = false;
    const b = (best as SarimaFit | null)?.order;
    if (!b) break;
    for (const [dp, dq, dP, dQ] of moves) {
      if (tryOrder(b.p + dp, b.q + dq, b.P + dP, b.Q + dQ, b.constant)) {
        improved = true;
        break;
      }
    }
    if (!improved && constantAllowed && tryOrder(b.p, b.q, b.P, b.Q, !b.constant)) improved = true;
  }
  const chosen = best as SarimaFit | null;
  if (!chosen) throw new ModelTimeoutError('autoarima', options.budgetInMs);
  if (!Number.isFinite(chosen.aicc)) {
    // Every candidate was non-stationary or non-invertible: R falls back likewise to a plain model.
    const fallback: SarimaOrder = { p: 0, d, q: 0, P: 0, D, Q: 0, m, constant: constantAllowed };
    return { fit: fitSarima(y, fallback, { xreg }), modelsFitted: seen.size + 1, truncated };
  }
  const fit = xreg.length ? fitSarima(y, chosen.order, { xreg, start: chosen.coef }) : chosen;
  return { fit, modelsFitted: seen.size, truncated };
}
