import { InsufficientHistoryError } from '../errors';
import { mean } from '../numeric';
import type { ForecastModel } from '../types';
import { etsForecast, fitEts } from './ets';

/** Autocorrelation at lags 1..maxLag. */
export function acf(x: readonly number[], maxLag: number): number[] {
  const n = x.length;
  const m = mean(x);
  let d = 0;
  for (const v of x) d += (v - m) ** 2;
  const out: number[] = [];
  for (let k = 1; k <= maxLag; k++) {
    let s = 0;
    for (let t = k; t < n; t++) s += ((x[t] as number) - m) * ((x[t - k] as number) - m);
    out.push(d > 0 ? s / d : 0);
  }
  return out;
}

/** R's thetaf seasonality test: |r_m| beyond the 90% two-sided band (Bartlett). */
export function isSeasonal(x: readonly number[], m: number): boolean {
  if (m <= 1 || x.length <= 2 * m) return false;
  if (x.every((v) => v === x[0])) return false;
  const r = acf(x, m);
  let s = 0;
  for (let k = 0; k < m - 1; k++) s += (r[k] as number) ** 2;
  const stat = Math.sqrt((1 + 2 * s) / x.length);
  return Math.abs(r[m - 1] as number) / stat > 1.6448536269514722;
}

/** Classical multiplicative decomposition's seasonal figure (index j is the factor of y[j]). */
export function multiplicativeFigure(x: readonly number[], m: number): number[] {
  const n = x.length;
  const ratios: number[][] = Array.from({ length: m }, () => []);
  const half = Math.floor(m / 2);
  for (let t = half; t < n - half; t++) {
    let s = 0;
    if (m % 2 === 0) {
      // 2×m centred moving average.
      s += 0.5 * (x[t - half] as number) + 0.5 * (x[t + half] as number);
      for (let k = -half + 1; k < half; k++) s += x[t + k] as number;
    } else {
      for (let k = -half; k <= half; k++) s += x[t + k] as number;
    }
    const trend = s / m;
    if (trend > 0) ratios[t % m]!.push((x[t] as number) / trend);
  }
  const figure = ratios.map((r) => (r.length ? mean(r) : 1));
  const avg = mean(figure);
  return figure.map((f) => (avg > 0 ? f / avg : 1));
}

/**
 * The Theta method as R's forecast::thetaf (Hyndman & Billah 2003): SES with drift equal to half
 * the OLS slope, on multiplicatively deseasonalised data when the ACF test says seasonal.
 */
export const thetaModel: ForecastModel = {
  name: 'theta',
  minLength: () => 3,
  forecast(y, horizon, context) {
    const n = y.length;
    if (n < 3) throw new InsufficientHistoryError('theta', n, 3);
    const m = context.season;
    const seasonal = isSeasonal(y, m);
    const figure = seasonal ? multiplicativeFigure(y, m) : [];
    // As R's thetaf: with an index near zero (e.g. a weekday that never sells) the series is not
    // deseasonalised, but the forecast is still multiplied by the seasonal figure.
    const deseasonalise = seasonal && figure.every((f) => Math.abs(f) >= 1e-4);
    const x = deseasonalise ? y.map((v, t) => v / (figure[t % m] as number)) : y.slice();
    const ses = fitEts(x, 1, { error: 'A', trend: 'N', season: 'N' });
    const tm = (n - 1) / 2;
    const xm = mean(x);
    let sxy = 0;
    let sxx = 0;
    for (let t = 0; t < n; t++) {
      sxy += (t - tm) * ((x[t] as number) - xm);
      sxx += (t - tm) ** 2;
    }
    const drift = sxx > 0 ? sxy / sxx / 2 : 0;
    const alpha = Math.max(1e-10, ses.alpha);
    const base = etsForecast(ses, horizon);
    const point = base.map((f, h) => {
      const v = f + drift * (h + (1 - (1 - alpha) ** n) / alpha);
      return seasonal ? v * (figure[(n + h) % m] as number) : v;
    });
    return { point, params: { alpha, drift, seasonal, deseasonalised: deseasonalise } };
  },
};
