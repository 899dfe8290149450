import { InsufficientHistoryError } from '../errors';
import { calendarRegressors } from '../events/regressors';
import { solveNormalEquations } from '../numeric';
import type { ForecastModel, ModelContext, ModelOutput } from '../types';

/**
 * Log-linear seasonal regression for daily demand: log1p(y) = level + trend·t + season-position
 * effects (day of week for M = 7) + yearly Fourier terms, fitted by weighted least squares with
 * exponentially decaying weights so the level follows recent data. On the log scale the weekly and
 * yearly effects multiply, which is how retail demand behaves; exp of the fitted log is a median
 * forecast, the right target for absolute-error losses. Its mean (`mean`, expected units) is that
 * median times the weighted in-sample ratio Σw·y ÷ Σw·median (a smearing estimate on the original
 * scale: on skewed or intermittent demand exp(E log(1+y)) − 1 is far below E y). Cheap: one small linear solve, and the
 * rolling-origin refits share one pass over the data (the decay weights of a prefix are the full
 * weights times a constant, so prefix normal equations are running sums).
 */
export interface HarmonicOptions {
  /** Yearly Fourier pairs when the history has two full years (fewer for shorter histories). */
  yearlyTerms: number;
  /** Weight half-life of the observations, in days. */
  halfLifeInDays: number;
}

const yearLength = 365.25;

function fillRow(row: Float64Array, t: number, m: number, k: number, calendar: readonly Float64Array[] = []): void {
  row.fill(0);
  row[0] = 1;
  row[1] = t / yearLength;
  let c = 2;
  if (m > 1) {
    const pos = t % m;
    if (pos > 0) row[c + pos - 1] = 1;
    c += m - 1;
  }
  for (let j = 1; j <= k; j++) {
    const a = (2 * Math.PI * j * t) / yearLength;
    row[c++] = Math.sin(a);
    row[c++] = Math.cos(a);
  }
  // Holiday and event days (0/1): on the log scale their effects are multiplicative uplifts.
  for (const col of calendar) row[c++] = col[t] ?? 0;
}

interface Shape {
  m: number;
  k: number;
  /** Calendar regressor columns over the history and horizon (none without a calendar). */
  calendar: readonly Float64Array[];
}

function shapeFor(n: number, context: ModelContext, options: HarmonicOptions): Shape {
  const m = context.season > 1 && n >= 2 * context.season ? context.season : 1;
  const years = context.isDaily ? n / yearLength : 0;
  const k = years >= 2 ? options.yearlyTerms : years >= 1.5 ? Math.min(options.yearlyTerms, 3) : 0;
  return { m, k, calendar: [] };
}

function minLengthOf(season: number): number {
  return Math.max(2 * season, 8);
}

/** Fits all origins sharing one shape in a single pass; returns outputs by origin index. */
function fitShape(
  y: readonly number[],
  origins: readonly number[],
  horizons: readonly number[],
  indices: readonly number[],
  shape: Shape,
  context: ModelContext,
  options: HarmonicOptions,
  out: ModelOutput[],
): void {
  const p = 2 + Math.max(0, shape.m - 1) + 2 * shape.k + shape.calendar.length;
  const a = new Float64Array(p * p);
  const b = new Float64Array(p);
  const row = new Float64Array(p);
  const decay = Math.log(2) / options.halfLifeInDays;
  const order = [...indices].sort((i, j) => (origins[i] as number) - (origins[j] as number));
  const last = origins[order[order.length - 1] as number] as number;
  let next = 0;
  for (let t = 0; t <= last && next < order.length; t++) {
    while (next < order.length && origins[order[next] as number] === t) {
      const i = order[next++] as number;
      out[i] = solveAndForecast(a, b, p, t, horizons[i] as number, shape, options, { y, censored: context.censored, decay });
    }
    if (t === last) break;
    if (context.censored?.[t]) continue;
    // Weights relative to the last origin; earlier origins differ by a constant factor only.
    const w = Math.exp(-decay * (last - 1 - t));
    fillRow(row, t, shape.m, shape.k, shape.calendar);
    const target = Math.log1p(Math.max(0, y[t] as number)) * w;
    for (let j = 0; j < p; j++) {
      const xj = row[j] as number;
      if (xj === 0) continue;
      b[j] = (b[j] as number) + xj * target;
      const xw = xj * w;
      for (let l = 0; l <= j; l++) a[j * p + l] = (a[j * p + l] as number) + xw * (row[l] as number);
    }
  }
}

/** The history a fit came from, for the in-sample mean ratio. */
interface FitData {
  y: readonly number[];
  censored: readonly boolean[] | undefined;
  decay: number;
}

/** Bounds of the mean ÷ median ratio: a handful of huge days must not multiply the forecast without limit. */
const maxMeanRatio = 10;

/**
 * Σw·y ÷ Σw·fitted over the first n days, with the fit's own decay weights: what turns the fitted
 * median into expected units (1 when the fit is 0 everywhere: the additive gap is taken then).
 */
function meanRatio(beta: Float64Array, p: number, n: number, shape: Shape, data: FitData): { ratio: number; gap: number } {
  const row = new Float64Array(p);
  let sumY = 0;
  let sumF = 0;
  let sumW = 0;
  for (let t = 0; t < n; t++) {
    if (data.censored?.[t]) continue;
    fillRow(row, t, shape.m, shape.k, shape.calendar);
    let s = 0;
    for (let j = 0; j < p; j++) s += (row[j] as number) * (beta[j] as number);
    const w = Math.exp(-data.decay * (n - 1 - t));
    sumY += w * Math.max(0, data.y[t] as number);
    sumF += w * Math.max(0, Math.expm1(Math.min(s, 50)));
    sumW += w;
  }
  if (!(sumW > 0)) return { ratio: 1, gap: 0 };
  if (sumF > 1e-9 * sumW) return { ratio: Math.min(maxMeanRatio, Math.max(1 / maxMeanRatio, sumY / sumF)), gap: 0 };
  return { ratio: 1, gap: Math.max(0, (sumY - sumF) / sumW) };
}

function solveAndForecast(
  a: Float64Array,
  b: Float64Array,
  p: number,
  n: number,
  horizon: number,
  shape: Shape,
  options: HarmonicOptions,
  data: FitData,
): ModelOutput {
  // Ridge relative to the prefix's total weight keeps the scale-free behaviour across origins;
  // it also pins the effect of an event the prefix has not seen yet at zero.
  const beta = solveNormalEquations(a, b, p, 1e-8 * Math.max(1e-300, a[0] as number));
  const { ratio, gap } = meanRatio(beta, p, n, shape, data);
  const row = new Float64Array(p);
  fillRow(row, n - 1, shape.m, shape.k, shape.calendar);
  const lastTrend = (row[1] as number) * (beta[1] as number);
  const slope = (beta[1] as number) / yearLength;
  const point: number[] = [];
  for (let h = 0; h < horizon; h++) {
    fillRow(row, n + h, shape.m, shape.k, shape.calendar);
    let s = 0;
    for (let j = 0; j < p; j++) s += (row[j] as number) * (beta[j] as number);
    // Seasonal and Fourier parts at the target date; the trend continues from the last point.
    s += lastTrend + slope * (h + 1) - (row[1] as number) * (beta[1] as number);
    point.push(Math.max(0, Math.expm1(Math.min(s, 50))));
  }
  return {
    point,
    mean: point.map((v) => v * ratio + gap),
    params: { seasonPeriod: shape.m, yearlyTerms: shape.k, halfLifeInDays: options.halfLifeInDays, slopePerStep: slope, meanRatio: ratio },
  };
}

export function harmonicForecastOrigins(
  y: readonly number[],
  origins: readonly number[],
  horizons: readonly number[],
  context: ModelContext,
  options: HarmonicOptions,
): ModelOutput[] {
  const out: ModelOutput[] = new Array<ModelOutput>(origins.length);
  const groups = new Map<string, number[]>();
  const span = Math.max(0, ...origins.map((n, i) => n + (horizons[i] as number)));
  const calendar = calendarRegressors(context, span).columns;
  origins.forEach((n, i) => {
    const need = minLengthOf(context.season);
    if (n < need) throw new InsufficientHistoryError('harmonic', n, need);
    const shape = shapeFor(n, context, options);
    const key = `${shape.m}/${shape.k}`;
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(i);
  });
  for (const indices of groups.values()) {
    const shape = { ...shapeFor(origins[indices[0] as number] as number, context, options), calendar };
    fitShape(y, origins, horizons, indices, shape, context, options, out);
  }
  return out;
}

export function harmonicModel(name: string, options: HarmonicOptions): ForecastModel {
  return {
    name,
    minLength: (season) => minLengthOf(season),
    forecast: (y, horizon, context) => harmonicForecastOrigins(y, [y.length], [horizon], context, options)[0] as ModelOutput,
    forecastOrigins: (y, origins, horizons, context) => harmonicForecastOrigins(y, origins, horizons, context, options),
  };
}
