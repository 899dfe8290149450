import { solveNormalEquations } from '../numeric';

/**
 * Seasonal ARIMA(p,d,q)(P,D,Q)m with optional regressors, fitted by conditional sum of squares
 * (CSS) with Levenberg–Marquardt. This is the fit R's `auto.arima` uses during its stepwise search
 * on long series (`approximation = TRUE`); the exact-likelihood refit R does at the end changes
 * little at the lengths where the approximation applies.
 *
 * Model on the differenced series w = (1-B)^d (1-B^m)^D y and differenced regressors Xw:
 *   φ(B)Φ(B^m) (w_t − μ − Xw_t·β) = θ(B)Θ(B^m) e_t
 */
export interface SarimaOrder {
  p: number;
  d: number;
  q: number;
  P: number;
  D: number;
  Q: number;
  m: number;
  /** Mean of the differenced series: a mean (d+D = 0) or drift (d+D = 1). */
  constant: boolean;
}

export interface SarimaFit {
  order: SarimaOrder;
  /** [φ(p), θ(q), Φ(P), Θ(Q), μ?] */
  coef: Float64Array;
  /** Regressor coefficients (on the original scale: differencing is linear). */
  beta: Float64Array;
  sigma2: number;
  /** R's AICc under the CSS approximation; Infinity for non-stationary or non-invertible fits. */
  aicc: number;
  /** CSS residuals on the differenced scale (0 before the conditioning start). */
  residuals: Float64Array;
}

interface SparsePoly {
  lags: number[];
  coefs: number[];
}

export function armaParamCount(o: SarimaOrder): number {
  return o.p + o.q + o.P + o.Q + (o.constant ? 1 : 0);
}

/** Applies (1-B)^d (1-B^m)^D; the result is shorter by d + mD. */
export function difference(y: ArrayLike<number>, d: number, D: number, m: number): Float64Array {
  let x = Float64Array.from(y);
  for (let k = 0; k < D; k++) {
    const next = new Float64Array(Math.max(0, x.length - m));
    for (let t = m; t < x.length; t++) next[t - m] = (x[t] as number) - (x[t - m] as number);
    x = next;
  }
  for (let k = 0; k < d; k++) {
    const next = new Float64Array(Math.max(0, x.length - 1));
    for (let t = 1; t < x.length; t++) next[t - 1] = (x[t] as number) - (x[t - 1] as number);
    x = next;
  }
  return x;
}

/** Coefficients c of (1-B)^d (1-B^m)^D = Σ c_i B^i (c_0 = 1). */
function differencePolynomial(d: number, D: number, m: number): number[] {
  let c = [1];
  const times = (f: number[]): void => {
    const out = new Array<number>(c.length + f.length - 1).fill(0);
    c.forEach((a, i) => f.forEach((b, j) => (out[i + j] = (out[i + j] as number) + a * b)));
    c = out;
  };
  for (let k = 0; k < d; k++) times([1, -1]);
  const seasonal = new Array<number>(m + 1).fill(0);
  seasonal[0] = 1;
  seasonal[m] = -1;
  for (let k = 0; k < D; k++) times(seasonal);
  return c;
}

/** AR side as z_t = Σ c·z_{t−lag} (signs folded in); MA side as + Σ c·e_{t−lag}. */
function expand(o: SarimaOrder, coef: ArrayLike<number>): { ar: SparsePoly; ma: SparsePoly } {
  const phi = Array.from({ length: o.p }, (_, i) => coef[i] as number);
  const theta = Array.from({ length: o.q }, (_, i) => coef[o.p + i] as number);
  const sPhi = Array.from({ length: o.P }, (_, i) => coef[o.p + o.q + i] as number);
  const sTheta = Array.from({ length: o.Q }, (_, i) => coef[o.p + o.q + o.P + i] as number);
  const ar: SparsePoly = { lags: [], coefs: [] };
  phi.forEach((v, i) => (ar.lags.push(i + 1), ar.coefs.push(v)));
  sPhi.forEach((v, j) => {
    ar.lags.push((j + 1) * o.m);
    ar.coefs.push(v);
    phi.forEach((u, i) => (ar.lags.push(i + 1 + (j + 1) * o.m), ar.coefs.push(-u * v)));
  });
  const ma: SparsePoly = { lags: [], coefs: [] };
  theta.forEach((v, i) => (ma.lags.push(i + 1), ma.coefs.push(v)));
  sTheta.forEach((v, j) => {
    ma.lags.push((j + 1) * o.m);
    ma.coefs.push(v);
    theta.forEach((u, i) => (ma.lags.push(i + 1 + (j + 1) * o.m), ma.coefs.push(u * v)));
  });
  return { ar, ma };
}

/** Dense coefficients [a_1..a_k] of a sparse polynomial (for root checks). */
function dense(poly: SparsePoly): number[] {
  const k = Math.max(0, ...poly.lags);
  const out = new Array<number>(k).fill(0);
  poly.lags.forEach((lag, i) => (out[lag - 1] = (out[lag - 1] as number) + (poly.coefs[i] as number)));
  return out;
}

/**
 * Whether 1 − Σ a_i z^i has all roots outside radius `r` (Schur–Cohn step-down: the reflection
 * coefficients of the polynomial at z·r must all lie inside the unit interval).
 */
export function rootsOutside(a: readonly number[], r: number): boolean {
  let c = a.map((v, i) => v * r ** (i + 1));
  while (c.length > 0 && Math.abs(c[c.length - 1] as number) < 1e-12) c.pop();
  for (let k = c.length; k >= 1; k--) {
    const kappa = c[k - 1] as number;
    if (!(Math.abs(kappa) < 1)) return false;
    const denom = 1 - kappa * kappa;
    const next = new Array<number>(k - 1);
    for (let j = 0; j < k - 1; j++) next[j] = ((c[j] as number) + kappa * (c[k - 2 - j] as number)) / denom;
    c = next;
  }
  return true;
}

/** Stationary AR and invertible MA with R's 1.01 root margin. */
export function isAdmissible(o: SarimaOrder, coef: ArrayLike<number>): boolean {
  const { ar, ma } = expand(o, coef);
  if (ar.lags.length && !rootsOutside(dense(ar), 1.01)) return false;
  if (
    ma.lags.length &&
    !rootsOutside(
      dense(ma).map((v) => -v),
      1.01,
    )
  )
    return false;
  return true;
}

/** CSS residuals into `e`; returns the sum of squares (Infinity when it blows up). */
function cssResiduals(z: Float64Array, o: SarimaOrder, coef: ArrayLike<number>, e: Float64Array): number {
  const { ar, ma } = expand(o, coef);
  const mu = o.constant ? (coef[armaParamCount(o) - 1] as number) : 0;
  const start = o.p + o.P * o.m;
  const arLags = ar.lags;
  const arC = ar.coefs;
  const maLags = ma.lags;
  const maC = ma.coefs;
  let ss = 0;
  for (let t = 0; t < start && t < z.length; t++) e[t] = 0;
  for (let t = start; t < z.length; t++) {
    let v = (z[t] as number) - mu;
    for (let i = 0; i < arLags.length; i++) v -= (arC[i] as number) * ((z[t - (arLags[i] as number)] as number) - mu);
    for (let i = 0; i < maLags.length; i++) {
      const lag = maLags[i] as number;
      if (t - lag >= 0) v -= (maC[i] as number) * (e[t - lag] as number);
    }
    e[t] = v;
    ss += v * v;
    if (!(ss < 1e300)) return Infinity;
  }
  return ss;
}

interface Objective {
  /** Residual vector for a parameter vector; returns its sum of squares. */
  residuals(x: Float64Array, out: Float64Array): number;
  length: number;
}

/** Levenberg–Marquardt with a forward-difference Jacobian; returns the minimiser. */
function levenbergMarquardt(f: Objective, start: Float64Array, maxIterations: number): { x: Float64Array; ss: number } {
  const k = start.length;
  const n = f.length;
  let x = Float64Array.from(start);
  const r = new Float64Array(n);
  const rt = new Float64Array(n);
  let ss = f.residuals(x, r);
  if (k === 0 || !Number.isFinite(ss)) return { x, ss };
  const jac = Array.from({ length: k }, () => new Float64Array(n));
  const jtj = new Float64Array(k * k);
  const jtr = new Float64Array(k);
  let lambda = 1e-3;
  for (let iter = 0; iter < maxIterations; iter++) {
    for (let j = 0; j < k; j++) {
      const h = 1e-6 * Math.max(1, Math.abs(x[j] as number));
      const xj = x[j] as number;
      x[j] = xj + h;
      f.residuals(x, rt);
      x[j] = xj;
      const col = jac[j] as Float64Array;
      for (let t = 0; t < n; t++) col[t] = ((rt[t] as number) - (r[t] as number)) / h;
    }
    for (let a = 0; a < k; a++) {
      const ca = jac[a] as Float64Array;
      let g = 0;
      for (let t = 0; t < n; t++) g += (ca[t] as number) * (r[t] as number);
      jtr[a] = -g;
      for (let b = 0; b <= a; b++) {
        const cb = jac[b] as Float64Array;
        let s = 0;
        for (let t = 0; t < n; t++) s += (ca[t] as number) * (cb[t] as number);
        jtj[a * k + b] = s;
      }
    }
    let accepted = false;
    let improvement = 0;
    for (let tries = 0; tries < 12 && !accepted; tries++) {
      const damped = Float64Array.from(jtj);
      for (let a = 0; a < k; a++) damped[a * k + a] = (jtj[a * k + a] as number) * (1 + lambda) + 1e-12;
      const step = solveNormalEquations(damped, jtr, k, 0);
      const xn = new Float64Array(k);
      for (let a = 0; a < k; a++) xn[a] = (x[a] as number) + (step[a] as number);
      const ssn = f.residuals(xn, rt);
      if (ssn < ss) {
        improvement = ss - ssn;
        x = xn;
        ss = ssn;
        r.set(rt);
        lambda = Math.max(lambda * 0.3, 1e-9);
        accepted = true;
      } else lambda *= 8;
    }
    if (!accepted || improvement < 1e-9 * ss) break;
  }
  return { x, ss };
}

export interface FitOptions {
  /** Regressors on the original scale, one column per regressor, each of the series' length. */
  xreg?: readonly Float64Array[];
  /** Fixed regressor coefficients (the search stage); estimated jointly when absent. */
  fixedBeta?: Float64Array;
  /** Starting ARMA coefficients (e.g. the previous fit's). */
  start?: Float64Array;
  maxIterations?: number;
}

/** OLS coefficients of w on the columns of X (tiny ridge for collinear dummies). */
export function olsBeta(w: Float64Array, xw: readonly Float64Array[]): Float64Array {
  const k = xw.length;
  const a = new Float64Array(k * k);
  const b = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const ci = xw[i] as Float64Array;
    let s = 0;
    for (let t = 0; t < w.length; t++) s += (ci[t] as number) * (w[t] as number);
    b[i] = s;
    for (let j = 0; j <= i; j++) {
      const cj = xw[j] as Float64Array;
      let v = 0;
      for (let t = 0; t < w.length; t++) v += (ci[t] as number) * (cj[t] as number);
      a[i * k + j] = v;
    }
  }
  let trace = 0;
  for (let i = 0; i < k; i++) trace += a[i * k + i] as number;
  return solveNormalEquations(a, b, k, 1e-9 * Math.max(trace / Math.max(k, 1), 1e-12));
}

/** Fits one SARIMA order to y by CSS. */
export function fitSarima(y: ArrayLike<number>, order: SarimaOrder, options: FitOptions = {}): SarimaFit {
  const w = difference(y, order.d, order.D, order.m);
  const xreg = options.xreg ?? [];
  const xw = xreg.map((c) => difference(c, order.d, order.D, order.m));
  const nArma = armaParamCount(order);
  const kx = options.fixedBeta ? 0 : xw.length;
  const z = new Float64Array(w.length);
  const e = new Float64Array(w.length);
  const beta0 = options.fixedBeta ?? (xw.length ? olsBeta(w, xw) : new Float64Array(0));
  const setZ = (beta: ArrayLike<number>): void => {
    z.set(w);
    xw.forEach((c, j) => {
      const b = beta[j] as number;
      for (let t = 0; t < z.length; t++) z[t] = (z[t] as number) - b * (c[t] as number);
    });
  };
  setZ(beta0);
  let mean = 0;
  for (let t = 0; t < z.length; t++) mean += z[t] as number;
  mean /= Math.max(1, z.length);
  const start = new Float64Array(nArma + kx);
  if (options.start && options.start.length === nArma) start.set(options.start);
  else if (order.constant) start[nArma - 1] = mean;
  start.set(beta0.subarray(0, kx), nArma);
  const objective: Objective = {
    length: w.length,
    residuals(x, out) {
      if (kx > 0) setZ(x.subarray(nArma));
      return cssResiduals(z, order, x, out);
    },
  };
  const { x } = levenbergMarquardt(objective, start, options.maxIterations ?? 60);
  const beta = kx > 0 ? Float64Array.from(x.subarray(nArma)) : Float64Array.from(beta0);
  setZ(beta);
  const coef = Float64Array.from(x.subarray(0, nArma));
  const ss = cssResiduals(z, order, coef, e);
  const used = w.length - (order.p + order.P * order.m);
  const sigma2 = ss / Math.max(1, used);
  // R (auto.arima, approximation): −2 log L ≈ n*·(log 2πσ² + 1); npar counts σ² too.
  const nstar = w.length;
  const npar = nArma + xw.length + 1;
  const aic = nstar * (Math.log(2 * Math.PI * sigma2) + 1) + 2 * npar;
  const admissible = Number.isFinite(sigma2) && sigma2 > 0 && isAdmissible(order, coef);
  const aicc = admissible && nstar - npar - 1 > 0 ? aic + (2 * npar * (npar + 1)) / (nstar - npar - 1) : Infinity;
  return { order, coef, beta, sigma2, aicc, residuals: e };
}

/** Point forecasts for `horizon` steps after y; `xregFuture` columns have `horizon` values each. */
export function forecastSarima(
  y: ArrayLike<number>,
  fit: SarimaFit,
  horizon: number,
  xreg: readonly Float64Array[] = [],
  xregFuture: readonly Float64Array[] = [],
): number[] {
  const o = fit.order;
  const n = y.length;
  // Regression part removed on the original scale, ARIMA on the rest, added back at the end.
  const u = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    let v = y[t] as number;
    xreg.forEach((c, j) => (v -= (fit.beta[j] as number) * (c[t] as number)));
    u[t] = v;
  }
  const w = difference(u, o.d, o.D, o.m);
  const { ar, ma } = expand(o, fit.coef);
  const mu = o.constant ? (fit.coef[armaParamCount(o) - 1] as number) : 0;
  const nw = w.length;
  const z = new Float64Array(nw + horizon);
  const e = new Float64Array(nw + horizon);
  for (let t = 0; t < nw; t++) z[t] = (w[t] as number) - mu;
  e.set(fit.residuals.subarray(0, nw));
  for (let t = nw; t < nw + horizon; t++) {
    let v = 0;
    ar.lags.forEach((lag, i) => (v += (ar.coefs[i] as number) * (t - lag >= 0 ? (z[t - lag] as number) : 0)));
    ma.lags.forEach((lag, i) => (v += (ma.coefs[i] as number) * (t - lag >= 0 && t - lag < nw ? (e[t - lag] as number) : 0)));
    z[t] = v;
  }
  const c = differencePolynomial(o.d, o.D, o.m);
  const full = new Float64Array(n + horizon);
  full.set(u);
  for (let h = 0; h < horizon; h++) {
    const t = n + h;
    let v = (z[nw + h] as number) + mu;
    for (let i = 1; i < c.length; i++) v -= (c[i] as number) * (full[t - i] as number);
    full[t] = v;
  }
  const out: number[] = [];
  for (let h = 0; h < horizon; h++) {
    let v = full[n + h] as number;
    xregFuture.forEach((col, j) => (v += (fit.beta[j] as number) * (col[h] as number)));
    out.push(v);
  }
  return out;
}
