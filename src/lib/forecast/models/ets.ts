import { InsufficientHistoryError } from '../errors';
import { mean, nelderMead } from '../numeric';
import type { ForecastModel, ModelContext, ModelOutput } from '../types';

/**
 * Exponential smoothing state-space models (Hyndman et al. 2008), the ETS(E,T,S) class with
 * error A/M, trend N/A/Ad and season N/A/M (no multiplicative trend; no additive error with
 * multiplicative season, as R's forecast::ets excludes them). Smoothing parameters, damping and
 * the initial level/trend are estimated by maximum likelihood; the form is chosen by AICc.
 */
export type EtsError = 'A' | 'M';
export type EtsTrend = 'N' | 'A' | 'Ad';
export type EtsSeason = 'N' | 'A' | 'M';

export interface EtsSpec {
  error: EtsError;
  trend: EtsTrend;
  season: EtsSeason;
}

export interface EtsFit extends EtsParams {
  spec: EtsSpec;
  /** Seasonal states, oldest first: seasonal[i] applies to the step m - i before the next one. */
  seasonal: number[];
  /** R's ets likelihood objective (-2 log L up to a constant), AICc and the one-step MSE. */
  minus2LogLik: number;
  aicc: number;
  mse: number;
  n: number;
}

export function etsName(spec: EtsSpec): string {
  return `ETS(${spec.error},${spec.trend},${spec.season})`;
}

interface Initial {
  level: number;
  slope: number;
  seasonal: number[];
}

/** Heuristic initial states from the first seasons (classical decomposition), as in Hyndman et al. */
function initialStates(y: readonly number[], m: number, spec: EtsSpec): Initial {
  const seasonal: number[] = [];
  let deseason = y.slice(0, Math.min(y.length, Math.max(10, 2 * m)));
  if (spec.season !== 'N') {
    const k = Math.min(y.length, 2 * m);
    const head = y.slice(0, k);
    const cycleMeans: number[] = [];
    for (let c = 0; c + m <= k; c += m) cycleMeans.push(mean(head.slice(c, c + m)));
    for (let j = 0; j < m; j++) {
      const ratios: number[] = [];
      for (let c = 0; c * m + j < k && c < cycleMeans.length; c++) {
        const base = cycleMeans[c] as number;
        const v = head[c * m + j] as number;
        ratios.push(spec.season === 'M' ? (base > 0 ? v / base : 1) : v - base);
      }
      seasonal.push(mean(ratios));
    }
    // Normalise: multiplicative indices average 1, additive ones 0.
    const avg = mean(seasonal);
    for (let j = 0; j < m; j++) {
      seasonal[j] = spec.season === 'M' ? (avg > 0 ? (seasonal[j] as number) / avg : 1) : (seasonal[j] as number) - avg;
    }
    deseason = deseason.map((v, i) =>
      spec.season === 'M' ? v / Math.max(1e-8, seasonal[i % m] as number) : v - (seasonal[i % m] as number),
    );
  }
  let slope = 0;
  const level = mean(deseason.slice(0, Math.max(1, Math.min(deseason.length, m > 1 ? m : 3))));
  if (spec.trend !== 'N' && deseason.length >= 4) {
    const n = deseason.length;
    const tm = (n - 1) / 2;
    const ym = mean(deseason);
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < n; i++) {
      sxy += (i - tm) * ((deseason[i] as number) - ym);
      sxx += (i - tm) ** 2;
    }
    slope = sxx > 0 ? sxy / sxx : 0;
  }
  // Seasonal states are stored so that seasonal[0] is the factor of y[0].
  return { level: level - (spec.trend !== 'N' ? slope * ((Math.min(m, deseason.length) - 1) / 2) : 0), slope, seasonal };
}

/** Smoothing parameters and initial states of an ETS fit. */
export interface EtsParams {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
  level: number;
  slope: number;
}

interface FilterResult {
  minus2LogLik: number;
  mse: number;
  level: number;
  slope: number;
  seasonal: number[];
}

/** Runs the filter over y; returns Infinity-like results for inadmissible states. */
function filter(y: readonly number[], m: number, spec: EtsSpec, p: EtsParams, season0: readonly number[], skip?: boolean[]): FilterResult {
  const seasonal = spec.season === 'N' ? [] : season0.slice();
  let l = p.level;
  let b = spec.trend === 'N' ? 0 : p.slope;
  const phi = spec.trend === 'Ad' ? p.phi : 1;
  let sse = 0;
  let sumLogMu = 0;
  let count = 0;
  const n = y.length;
  for (let t = 0; t < n; t++) {
    const q = spec.trend === 'N' ? l : l + phi * b;
    const si = spec.season === 'N' ? 0 : t % m;
    const s = spec.season === 'N' ? (spec.season === 'N' ? 0 : 0) : (seasonal[si] as number);
    const mu = spec.season === 'M' ? q * s : spec.season === 'A' ? q + s : q;
    const yt = y[t] as number;
    const e = skip?.[t] ? 0 : yt - mu;
    if (spec.error === 'M') {
      if (!(mu > 0)) return { minus2LogLik: Infinity, mse: Infinity, level: l, slope: b, seasonal };
      if (!skip?.[t]) {
        sse += (e / mu) ** 2;
        sumLogMu += Math.log(mu);
        count++;
      }
    } else if (!skip?.[t]) {
      sse += e * e;
      count++;
    }
    if (spec.season === 'M') {
      if (!(s > 0) || !(q > 0)) return { minus2LogLik: Infinity, mse: Infinity, level: l, slope: b, seasonal };
      l = q + (p.alpha * e) / s;
      b = phi * b + (p.beta * e) / s;
      seasonal[si] = s + (p.gamma * e) / q;
    } else {
      l = q + p.alpha * e;
      b = phi * b + p.beta * e;
      if (spec.season === 'A') seasonal[si] = s + p.gamma * e;
    }
    if (!Number.isFinite(l)) return { minus2LogLik: Infinity, mse: Infinity, level: l, slope: b, seasonal };
  }
  const c = Math.max(1, count);
  // R's forecast::ets objective ("lik"), so AICc values compare with R's one to one.
  const minus2LogLik = spec.error === 'M' ? c * Math.log(Math.max(sse, 1e-300)) + 2 * sumLogMu : c * Math.log(Math.max(sse, 1e-300));
  // Rotate so seasonal[0] applies to the next step (t = n).
  const rotated = spec.season === 'N' ? [] : Array.from({ length: m }, (_, j) => seasonal[(n + j) % m] as number);
  return { minus2LogLik, mse: sse / c, level: l, slope: b, seasonal: rotated };
}

function countParams(spec: EtsSpec, m: number): number {
  let k = 2; // alpha, level
  if (spec.trend !== 'N') k += 2;
  if (spec.trend === 'Ad') k += 1;
  if (spec.season !== 'N') k += 1 + (m - 1);
  return k + 1; // sigma
}

/** Fits one ETS form by maximum likelihood. */
export function fitEts(y: readonly number[], m: number, spec: EtsSpec, options: { skip?: boolean[]; alpha?: number } = {}): EtsFit {
  const seasonalM = spec.season === 'N' ? 1 : m;
  const init = initialStates(y, seasonalM, spec);
  const scale = Math.max(1e-6, mean(y.map(Math.abs)));
  const hasTrend = spec.trend !== 'N';
  const hasSeason = spec.season !== 'N';
  const damped = spec.trend === 'Ad';
  // x = [alpha, beta?, gamma?, phi?, level, slope?] in natural units; constraints via penalty.
  const unpack = (x: number[]): EtsParams => {
    let i = 0;
    const alpha: number = options.alpha ?? (x[i++] as number);
    const beta = hasTrend ? (x[i++] as number) : 0;
    const gamma = hasSeason ? (x[i++] as number) : 0;
    const phi = damped ? (x[i++] as number) : 1;
    const level = (x[i++] as number) * scale;
    const slope = hasTrend ? (x[i++] as number) * scale : 0;
    return { alpha, beta, gamma, phi, level, slope };
  };
  const admissible = (p: EtsParams): boolean =>
    p.alpha > 1e-4 &&
    p.alpha < 0.9999 &&
    (!hasTrend || (p.beta > 1e-4 && p.beta < p.alpha)) &&
    (!hasSeason || (p.gamma > 1e-4 && p.gamma < 1 - p.alpha)) &&
    (!damped || (p.phi >= 0.8 && p.phi <= 0.98));
  const objective = (x: number[]): number => {
    const p = unpack(x);
    if (!admissible(p)) return Infinity;
    return filter(y, seasonalM, spec, p, init.seasonal, options.skip).minus2LogLik;
  };
  const x0: number[] = [];
  const step: number[] = [];
  if (options.alpha === undefined) {
    x0.push(hasSeason ? 0.2 : 0.3);
    step.push(0.1);
  }
  if (hasTrend) {
    x0.push(0.02);
    step.push(0.01);
  }
  if (hasSeason) {
    x0.push(0.05);
    step.push(0.03);
  }
  if (damped) {
    x0.push(0.95);
    step.push(0.02);
  }
  x0.push(init.level / scale);
  step.push(0.05 * Math.max(0.1, Math.abs(init.level / scale)));
  if (hasTrend) {
    x0.push(init.slope / scale);
    step.push(0.01);
  }
  const opt = nelderMead(objective, x0, { step, maxEvaluations: 60 * x0.length + 100, tolerance: 1e-7 });
  const p = unpack(opt.x);
  const r = filter(y, seasonalM, spec, p, init.seasonal, options.skip);
  const n = y.length;
  const k = countParams(spec, seasonalM);
  const aicc = r.minus2LogLik + 2 * k + (n - k - 1 > 0 ? (2 * k * (k + 1)) / (n - k - 1) : Infinity);
  return {
    spec,
    alpha: p.alpha,
    beta: p.beta,
    gamma: p.gamma,
    phi: p.phi,
    level: r.level,
    slope: r.slope,
    seasonal: r.seasonal,
    minus2LogLik: r.minus2LogLik,
    aicc: Number.isFinite(r.minus2LogLik) ? aicc : Infinity,
    mse: r.mse,
    n,
  };
}

export function etsForecast(fit: EtsFit, horizon: number): number[] {
  const out: number[] = [];
  const damped = fit.spec.trend === 'Ad';
  let phiSum = 0;
  let phiPow = 1;
  for (let h = 1; h <= horizon; h++) {
    phiPow *= damped ? fit.phi : 1;
    phiSum += phiPow;
    const q = fit.spec.trend === 'N' ? fit.level : fit.level + phiSum * fit.slope;
    const s = fit.spec.season === 'N' ? undefined : (fit.seasonal[(h - 1) % fit.seasonal.length] as number);
    out.push(fit.spec.season === 'M' ? q * (s as number) : fit.spec.season === 'A' ? q + (s as number) : q);
  }
  return out;
}

/** The candidate forms for a history: multiplicative forms only for strictly positive data. */
export function etsCandidateSpecs(y: readonly number[], m: number): EtsSpec[] {
  const positive = y.every((v) => v > 0);
  const seasonal = m > 1 && y.length >= 2 * m + 2;
  const specs: EtsSpec[] = [];
  for (const error of positive ? (['A', 'M'] as const) : (['A'] as const)) {
    for (const trend of ['N', 'A', 'Ad'] as const) {
      for (const season of seasonal ? (positive ? (['N', 'A', 'M'] as const) : (['N', 'A'] as const)) : (['N'] as const)) {
        if (error === 'A' && season === 'M') continue;
        specs.push({ error, trend, season });
      }
    }
  }
  return specs;
}

/** Fits every candidate form and keeps the one with the lowest AICc. */
export function autoEts(y: readonly number[], m: number, options: { specs?: EtsSpec[]; skip?: boolean[] } = {}): EtsFit {
  let best: EtsFit | null = null;
  for (const spec of options.specs ?? etsCandidateSpecs(y, m)) {
    if (spec.trend !== 'N' && y.length < 8) continue;
    const fit = fitEts(y, m, spec, { skip: options.skip });
    if (best === null || fit.aicc < best.aicc) best = fit;
  }
  if (best === null) return fitEts(y, m, { error: 'A', trend: 'N', season: 'N' });
  return best;
}

/** History ETS fits on: exponential smoothing forgets old data, so very long series are cut. */
const maxEtsHistory = 3 * 365;

export const etsModel: ForecastModel = {
  name: 'ets',
  minLength: () => 4,
  forecast(y: readonly number[], horizon: number, context: ModelContext): ModelOutput {
    if (y.length < 4) throw new InsufficientHistoryError('ets', y.length, 4);
    const start = Math.max(0, y.length - maxEtsHistory);
    // Keep the seasonal phase: start on a multiple of the season.
    const from = context.season > 1 ? start - (start % context.season) : start;
    const tail = y.slice(from);
    // The form is chosen by AICc on the first fit of a selection and reused by the others (the
    // rolling-origin refits), which keeps the backtest affordable.
    const memoSpec = context.memo?.get('ets.spec') as EtsSpec | undefined;
    const specs =
      memoSpec && etsCandidateSpecs(tail, context.season).some((s) => etsName(s) === etsName(memoSpec)) ? [memoSpec] : undefined;
    const fit = autoEts(tail, context.season, { specs, skip: context.censored?.slice(from) });
    context.memo?.set('ets.spec', fit.spec);
    return {
      point: etsForecast(fit, horizon),
      params: {
        form: etsName(fit.spec),
        alpha: fit.alpha,
        beta: fit.beta,
        gamma: fit.gamma,
        phi: fit.phi,
        aicc: fit.aicc,
      },
    };
  },
};
