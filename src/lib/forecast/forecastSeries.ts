import { errorText } from '../errors';
import { classifyDemand, type DemandProfile } from './classify';
import { cleanSeries } from './clean';
import {
  countDistributionQuantiles,
  countQuantiles,
  meanAdjustment,
  pinballLoss,
  quantileKey,
  scaledConformalQuantiles,
  type ForecastPair,
} from './conformal';
import { checkPlausible } from './models/arima';
import { forecastModels, modelByName } from './models/registry';
import { isSparse, pooledRate, recentWindow, type FleetPrior } from './pooling';
import { dayOfWeek, mean, median } from './numeric';
import type { CandidateScore, ForecastMetrics, ForecastOptions, ModelContext, SeriesInput, SkuForecast } from './types';

export const defaultQuantileLevels: readonly number[] = [0.05, 0.25, 0.5, 0.75, 0.95];
const defaultWindows = 3;
const defaultTimeoutInMs = 5000;
/** How many of the best single models a combination averages. */
const comboSize = 3;
/** Relative backtest advantage a single model needs over a combination to be chosen. */
const comboMargin = 0.1;
/** The same for the median of all candidates on intermittent demand. */
const intermittentAllMargin = 0.15;

/** The default candidate set for a SKU, from its demand class and history. */
export function defaultCandidates(profile: DemandProfile, n: number, season: number, isDaily: boolean): string[] {
  const seasonalOk = season > 1 && n >= 2 * season + 2;
  if (profile.demandClass === 'intermittent' || profile.demandClass === 'lumpy') {
    // With a weekly pattern (e.g. no trade on some weekday), flat Croston-type rates waste it:
    // seasonal and median-type candidates with SBA as the intermittent representative do better.
    if (!seasonalOk) return ['croston', 'sba', 'tsb', 'adida', 'ets', 'naive'];
    return profile.demandClass === 'intermittent'
      ? ['smedian', 'theta', 'ets', 'harmonic_smooth', 'sba', 'croston', 'tsb']
      : ['smedian', 'theta', 'ets', 'harmonic_smooth', 'sba'];
  }
  // Long daily histories: the log-linear weekly×yearly regressions dominate there (ETS and MSTL
  // were far behind on the store benchmark at several times the cost), so they are left out.
  if (isDaily && season > 1 && n >= 2 * 365) return ['harmonic', 'harmonic_smooth', 'theta', 'snaive'];
  const out = ['ets', 'theta'];
  if (seasonalOk) out.push('snaive');
  else out.push('naive');
  if (seasonalOk) out.push('smedian');
  if (seasonalOk && isDaily) out.push('harmonic', 'harmonic_smooth');
  return out;
}

interface WindowSet {
  horizon: number;
  origins: number[];
}

/** Rolling origins: `windows` consecutive, non-overlapping blocks of the horizon at the end. */
function planWindows(n: number, horizon: number, windows: number, minTrain: number): WindowSet {
  let h = horizon;
  let w = windows;
  while (w > 0 && n - w * h < minTrain) w--;
  if (w === 0 && windows > 0) {
    // Too short for a full-horizon window: backtest a shorter one rather than none.
    h = Math.floor((n - minTrain) / 2);
    w = h >= 1 ? Math.min(windows, Math.floor((n - minTrain) / h)) : 0;
  }
  const origins: number[] = [];
  for (let k = w; k >= 1; k--) origins.push(n - k * h);
  return { horizon: h, origins };
}

interface CandidateRun {
  name: string;
  /** Point forecast per window. */
  windows: number[][];
  final: number[] | null;
  params: Record<string, unknown>;
  score: number | null;
  error?: string;
}

function safePoint(point: readonly number[], horizon: number): number[] {
  return Array.from({ length: horizon }, (_, i) => {
    const v = point[i];
    return v !== undefined && Number.isFinite(v) ? Math.max(0, v) : 0;
  });
}

function combine(forecasts: readonly (readonly number[])[], how: 'median' | 'mean'): number[] {
  const len = forecasts[0]?.length ?? 0;
  return Array.from({ length: len }, (_, i) => {
    const values = forecasts.map((f) => f[i] as number);
    return how === 'median' ? median(values) : mean(values);
  });
}

function scaleOf(y: readonly number[], m: number): number {
  const lag = m > 1 && y.length > m ? m : 1;
  let s = 0;
  let c = 0;
  for (let t = lag; t < y.length; t++) {
    s += Math.abs((y[t] as number) - (y[t - lag] as number));
    c++;
  }
  const scale = c > 0 ? s / c : 0;
  if (scale > 0) return scale;
  const level = mean(y.map(Math.abs));
  return level > 0 ? level : 1;
}

/** Below this mean daily demand an integer series gets count-distribution quantiles. */
const countLevelCutoff = 5;
/** Backtest pairs needed before they, rather than the in-sample naive differences, calibrate. */
const minCalibrationPairs = 8;

/**
 * Quantiles around a point forecast from backtest pairs: a count distribution for integer
 * demand that is intermittent or low (where a continuous band would put q05 above 0 on days
 * that are mostly 0), locally scaled conformal bands otherwise.
 */
function predictiveQuantiles(
  point: readonly number[],
  pairs: readonly ForecastPair[],
  levels: readonly number[],
  counts: boolean,
): Record<string, number[]> {
  return counts ? countDistributionQuantiles(point, pairs, levels).quantiles : scaledConformalQuantiles(point, pairs, levels);
}

/** The in-sample lag-M naive pairs: what calibrates when there is no backtest (wider, honest). */
function naivePairs(y: readonly number[], censored: readonly boolean[], season: number): ForecastPair[] {
  const lag = season > 1 && y.length > season ? season : 1;
  const pairs: ForecastPair[] = [];
  for (let t = lag; t < y.length; t++)
    if (!censored[t] && !censored[t - lag]) pairs.push({ forecast: y[t - lag] as number, actual: y[t] as number });
  return pairs;
}

/** Flat count quantiles for a rate: compound Poisson, each sale day bringing `unitsPerSaleDay` units. */
function rateQuantiles(rate: number, unitsPerSaleDay: number, horizon: number, levels: readonly number[]): Record<string, number[]> {
  const q = countQuantiles(rate, rate * Math.max(1, unitsPerSaleDay), levels);
  return Object.fromEntries(levels.map((p, i) => [quantileKey(p), new Array<number>(horizon).fill(q[i] as number)]));
}

/**
 * Forecasts one SKU: cleans the history, classifies its demand, backtests the candidate models
 * on rolling origins, picks the model (or a combination of the best few) with the lowest MASE,
 * and derives conformal quantiles from the backtest residuals. Never throws for bad data and
 * never returns NaN: every degraded path is recorded in `fallbackReason`.
 */
export function forecastSeries(input: SeriesInput, forecastOptions: ForecastOptions): SkuForecast {
  const options: Partial<ForecastOptions> = forecastOptions ?? {};
  const horizon = Math.max(1, Math.floor(Number.isFinite(options.horizon) ? (options.horizon as number) : 1));
  const season = Math.max(1, Math.floor(Number.isFinite(options.season) ? (options.season as number) : 1));
  const levels = (Array.isArray(options.quantiles) ? options.quantiles : defaultQuantileLevels).filter(
    (p) => typeof p === 'number' && p > 0 && p < 1,
  );
  const sku = String(input?.sku ?? '');
  const reasons: string[] = [];
  const { y, censored, notes } = cleanSeries(input ?? { sku, startDate: '', values: [] }, season);
  const n = y.length;
  const startDayOfWeek = dayOfWeek(String(input?.startDate ?? ''));
  const context: ModelContext = {
    season,
    startDayOfWeek,
    isDaily: startDayOfWeek !== null,
    timeoutInMs: options.modelTimeoutInMs ?? defaultTimeoutInMs,
    censored,
    memo: new Map(),
    sku,
    startDate: String(input?.startDate ?? ''),
    ...(options.calendar ? { calendar: options.calendar } : {}),
  };
  const observed = y.filter((_, t) => !censored[t]);
  const profile = classifyDemand(observed);
  const emptyMetrics: ForecastMetrics = {
    mase: null,
    wape: null,
    smape: null,
    bias: null,
    coverage50: null,
    coverage90: null,
    pinball: null,
    absError: 0,
    absActual: 0,
    windows: 0,
  };
  const flatResult = (
    model: string,
    level: number,
    reason: string,
    params: Record<string, unknown> = {},
    unitsPerSaleDay?: number,
  ): SkuForecast => {
    const point = new Array<number>(horizon).fill(Math.max(0, Number.isFinite(level) ? level : 0));
    let quantiles: Record<string, number[]> = {};
    if (unitsPerSaleDay !== undefined) quantiles = rateQuantiles(point[0] as number, unitsPerSaleDay, horizon, levels);
    else for (const p of levels) quantiles[quantileKey(p)] = point.slice();
    return {
      sku,
      model,
      point,
      mean: point.slice(),
      quantiles,
      demandClass: profile.demandClass,
      segment: profile.segment,
      metrics: emptyMetrics,
      fallbackReason: [reason, ...notes].join('; '),
      params: { ...params, notes },
      candidates: [],
    };
  };

  if (n === 0) return flatResult('zero', 0, 'empty history');
  if (observed.length === 0) return flatResult('zero', 0, 'no observed demand (every day censored or unusable)');
  if (profile.demandClass === 'zero') return flatResult('zero', 0, 'all-zero history');
  if (observed.every((v) => v === observed[0])) return flatResult('naive', observed[0] as number, 'constant history');
  const saleDays = observed.filter((v) => v > 0);
  const integerValued = observed.every((v) => Number.isInteger(v));
  const recent = recentWindow(y, censored);
  const prior: FleetPrior | undefined = options.fleetPrior;
  if (prior && isSparse(recent) && integerValued) {
    // A handful of sales says little on its own: the rate is shrunk towards the fleet's sparse SKUs.
    const rate = pooledRate(recent, prior);
    const size = (recent.units + prior.unitsPerSaleDay) / (recent.saleDays + 1);
    return flatResult(
      'pooled',
      rate,
      `sparse: ${recent.saleDays} sale day(s) in the last ${recent.days} days: rate pooled with the fleet's sparse SKUs (shrinkage ${prior.strengthInDays.toFixed(0)} days)`,
      {
        ratePerDay: rate,
        ownRatePerDay: recent.days ? recent.units / recent.days : 0,
        priorRatePerDay: prior.ratePerDay,
        priorStrengthInDays: prior.strengthInDays,
        priorSkus: prior.skus,
      },
      size,
    );
  }
  if (saleDays.length === 1)
    return flatResult('mean', mean(observed), 'single sale: demand rate = units / days', {}, integerValued ? saleDays[0] : undefined);

  let names = options.models?.length ? [...options.models] : defaultCandidates(profile, n, season, context.isDaily);
  const unknown = names.filter((name) => !forecastModels.has(name));
  if (unknown.length) reasons.push(`unknown model(s) ignored: ${unknown.join(', ')}`);
  names = names.filter((name) => forecastModels.has(name));
  if (n < 2 * season) reasons.push(`short history (${n} < 2 seasons)`);
  const usable = names.filter((name) => modelByName(name).minLength(season, horizon) <= n);
  if (usable.length < names.length) reasons.push(`too short for: ${names.filter((x) => !usable.includes(x)).join(', ')}`);
  if (usable.length === 0) usable.push(n >= season && season > 1 ? 'snaive' : 'naive');

  const scale = scaleOf(observed, season);
  const minTrain = Math.max(...usable.map((name) => modelByName(name).minLength(season, horizon)), 4);
  const plan = planWindows(n, horizon, options.backtestWindows ?? defaultWindows, minTrain);
  const hb = plan.horizon;

  const runs: CandidateRun[] = [];
  for (const name of usable) {
    const model = modelByName(name);
    const run: CandidateRun = { name, windows: [], final: null, params: {}, score: null };
    try {
      if (model.forecastOrigins) {
        const outs = model.forecastOrigins(y, [n, ...plan.origins], [horizon, ...plan.origins.map(() => hb)], context);
        outs.forEach((o, i) => checkPlausible(name, y.slice(0, i === 0 ? n : plan.origins[i - 1]), o.point));
        run.final = safePoint((outs[0] as { point: number[] }).point, horizon);
        run.params = (outs[0] as { params: Record<string, unknown> }).params;
        run.windows = outs.slice(1).map((o) => safePoint(o.point, hb));
      } else {
        const out = model.forecast(y, horizon, context);
        checkPlausible(name, y, out.point);
        run.final = safePoint(out.point, horizon);
        run.params = out.params;
        for (const origin of plan.origins) {
          const trainContext: ModelContext = { ...context, censored: censored.slice(0, origin) };
          const w = model.forecast(y.slice(0, origin), hb, trainContext);
          checkPlausible(name, y.slice(0, origin), w.point);
          run.windows.push(safePoint(w.point, hb));
        }
      }
    } catch (e) {
      run.error = errorText(e, 300);
      run.final = run.final && run.windows.length === plan.origins.length ? run.final : null;
    }
    runs.push(run);
  }

  // Scores: MASE over all windows, censored actuals excluded.
  const errorOf = (forecasts: readonly (readonly number[])[]): { abs: number; count: number } => {
    let abs = 0;
    let count = 0;
    plan.origins.forEach((origin, w) => {
      for (let h = 0; h < hb; h++) {
        if (censored[origin + h]) continue;
        abs += Math.abs((forecasts[w]![h] as number) - (y[origin + h] as number));
        count++;
      }
    });
    return { abs, count };
  };
  const scored = runs.filter((r) => r.final && !r.error && r.windows.length === plan.origins.length);
  for (const r of scored) {
    const e = errorOf(r.windows);
    r.score = e.count > 0 ? e.abs / e.count / scale : null;
  }
  const ranked = scored.filter((r) => r.score !== null).sort((a, b) => (a.score as number) - (b.score as number));
  const candidates: CandidateScore[] = runs.map((r) => ({ model: r.name, score: r.score, ...(r.error ? { error: r.error } : {}) }));
  for (const r of runs) if (r.error) reasons.push(`${r.name} failed: ${r.error}`);

  let chosenName: string;
  let chosenWindows: number[][];
  let chosenPoint: number[];
  let chosenParams: Record<string, unknown>;
  if (ranked.length >= 2) {
    const best = ranked[0] as CandidateRun;
    chosenName = best.name;
    chosenWindows = best.windows;
    chosenPoint = best.final as number[];
    chosenParams = best.params;
    // Backtest scores are noisy, combinations robust (M4): a combination is preferred unless a
    // single model beats it by a margin, and the median of all candidates by a wider one for
    // intermittent demand, where single-model backtests are noisiest.
    const allMargin = profile.segment === 'intermittent' ? intermittentAllMargin : comboMargin;
    let bestEffective = best.score as number;
    const combos: Array<{ how: 'median' | 'mean'; members: CandidateRun[]; margin: number }> = [];
    const top = ranked.slice(0, comboSize);
    if (top.length >= 3) combos.push({ how: 'median', members: top, margin: comboMargin });
    if (top.length >= 2) combos.push({ how: 'mean', members: top, margin: comboMargin });
    if (ranked.length > comboSize) combos.push({ how: 'median', members: ranked, margin: allMargin });
    for (const { how, members, margin } of combos) {
      const windows = plan.origins.map((_, w) =>
        combine(
          members.map((r) => r.windows[w] as number[]),
          how,
        ),
      );
      const e = errorOf(windows);
      const score = e.count > 0 ? e.abs / e.count / scale : Infinity;
      const name = `${how}(${members.map((r) => r.name).join(',')})`;
      candidates.push({ model: name, score: Number.isFinite(score) ? score : null });
      if (score * (1 - margin) < bestEffective) {
        bestEffective = score * (1 - margin);
        chosenName = name;
        chosenWindows = windows;
        chosenPoint = combine(
          members.map((r) => r.final as number[]),
          how,
        );
        chosenParams = Object.fromEntries(members.map((r) => [r.name, r.params]));
      }
    }
  } else if (ranked.length === 1) {
    const best = ranked[0] as CandidateRun;
    chosenName = best.name;
    chosenWindows = best.windows;
    chosenPoint = best.final as number[];
    chosenParams = best.params;
  } else {
    // Nothing could be backtested: the first candidate that fits the full history wins.
    const fitted = runs.find((r) => r.final !== null);
    if (plan.origins.length === 0) reasons.push('history too short to backtest: no selection, no backtest metrics');
    if (fitted) {
      chosenName = fitted.name;
      chosenPoint = fitted.final as number[];
      chosenParams = fitted.params;
      chosenWindows = [];
    } else {
      reasons.push('every candidate failed: seasonal naive / mean fallback');
      const fb = n >= season && season > 1 ? 'snaive' : 'mean';
      chosenName = fb;
      chosenPoint = safePoint(modelByName(fb).forecast(y, horizon, context).point, horizon);
      chosenParams = {};
      chosenWindows = [];
    }
  }

  // Quantiles calibrated on the chosen forecast's backtest pairs; without a backtest, the
  // in-sample seasonal-naive pairs stand in (wider, honest about not knowing).
  const counts = integerValued && (profile.segment === 'intermittent' || profile.meanDemand < countLevelCutoff);
  const pairs: ForecastPair[] = [];
  plan.origins.forEach((origin, w) => {
    if (!chosenWindows[w]) return;
    for (let h = 0; h < hb; h++)
      if (!censored[origin + h]) pairs.push({ forecast: chosenWindows[w][h] as number, actual: y[origin + h] as number });
  });
  let intervalMethod = counts ? 'count-distribution' : 'scaled-conformal';
  let calibration = pairs;
  if (pairs.length < minCalibrationPairs) {
    intervalMethod += ':naive-differences';
    calibration = naivePairs(y, censored, season);
  }
  const quantiles = predictiveQuantiles(chosenPoint, calibration, levels, counts);
  const lastMonth = y
    .slice(-30)
    .filter((v, i) => !censored[n - Math.min(30, n) + i])
    .reduce((a, v) => a + v, 0);
  if (lastMonth > 0 && chosenPoint.every((v) => !(v > 0))) {
    reasons.push(
      `all-zero forecast from ${chosenName} although ${lastMonth} unit(s) sold in the last 30 days (most days are 0, so the median-type forecast is 0, while the mean and the quantiles carry the rate)`,
    );
  }

  const metrics = backtestMetrics(y, censored, plan, chosenWindows, scale, levels, counts);
  const point = safePoint(chosenPoint, horizon);
  const expected = expectedUnits(chosenName, point, runs, calibration, horizon);
  return {
    sku,
    model: chosenName,
    point,
    mean: expected,
    quantiles,
    demandClass: profile.demandClass,
    segment: profile.segment,
    metrics,
    fallbackReason: reasons.length || notes.length ? [...reasons, ...notes].join('; ') : null,
    params: { ...chosenParams, intervalMethod, adi: profile.adi, cv2: profile.cv2, backtestHorizon: hb, notes },
    candidates,
  };
}

/** Models whose forecast estimates a median (what absolute-error selection rewards), not a mean. */
const medianTypeModels = new Set(['smedian', 'zero']);

/**
 * Expected units per step. A mean-type forecast is its own mean. For a median-type choice
 * (a seasonal median, or a combination with one), the mean is the average of the mean-type
 * candidates' forecasts (ETS, Theta, SBA, harmonic regression: least-squares or smoothing
 * estimates of the level); without any, the chosen forecast corrected by its backtest error.
 */
function expectedUnits(
  chosen: string,
  point: readonly number[],
  runs: readonly CandidateRun[],
  calibration: readonly ForecastPair[],
  horizon: number,
): number[] {
  // A median or mean of mean-type forecasts still estimates a mean; one with a median-type member does not.
  const members = chosen.replace(/^(median|mean)\((.*)\)$/, '$2').split(',');
  const medianType = members.some((m) => medianTypeModels.has(m));
  if (!medianType) return point.slice();
  const meanType = runs.filter((r) => r.final && !r.error && !medianTypeModels.has(r.name)).map((r) => r.final as number[]);
  if (meanType.length) return safePoint(combine(meanType, 'mean'), horizon);
  const adjust = meanAdjustment(calibration);
  return point.map((v) => adjust(v));
}

/** Backtest metrics of the chosen forecast; coverage and pinball are leave-one-window-out. */
function backtestMetrics(
  y: readonly number[],
  censored: readonly boolean[],
  plan: WindowSet,
  windows: readonly (readonly number[])[],
  scale: number,
  levels: readonly number[],
  counts: boolean,
): ForecastMetrics {
  const hb = plan.horizon;
  let absError = 0;
  let absActual = 0;
  let signed = 0;
  let smapeSum = 0;
  let count = 0;
  let covered50 = 0;
  let covered90 = 0;
  let coverageCount = 0;
  let pinball = 0;
  let pinballCount = 0;
  const used = windows.length === plan.origins.length ? plan.origins : [];
  const bands = [0.05, 0.25, 0.75, 0.95, ...levels];
  used.forEach((origin, w) => {
    const f = windows[w] as number[];
    // Pairs of the other windows only: an honest out-of-sample interval check.
    const others: ForecastPair[] = [];
    used.forEach((o2, w2) => {
      if (w2 === w) return;
      for (let h = 0; h < hb; h++) if (!censored[o2 + h]) others.push({ forecast: windows[w2]![h] as number, actual: y[o2 + h] as number });
    });
    const q = others.length >= minCalibrationPairs ? predictiveQuantiles(f, others, bands, counts) : null;
    for (let h = 0; h < hb; h++) {
      if (censored[origin + h]) continue;
      const a = y[origin + h] as number;
      const fh = f[h] as number;
      absError += Math.abs(fh - a);
      absActual += Math.abs(a);
      signed += fh - a;
      smapeSum += Math.abs(fh) + Math.abs(a) === 0 ? 0 : (200 * Math.abs(fh - a)) / (Math.abs(fh) + Math.abs(a));
      count++;
      if (q) {
        const at = (p: number): number => q[quantileKey(p)]![h] as number;
        covered90 += a >= at(0.05) && a <= at(0.95) ? 1 : 0;
        covered50 += a >= at(0.25) && a <= at(0.75) ? 1 : 0;
        coverageCount++;
        for (const p of levels) {
          pinball += pinballLoss(a, at(p), p);
          pinballCount++;
        }
      }
    }
  });
  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  return {
    mase: count ? finite(absError / count / scale) : null,
    wape: count && absActual > 0 ? finite(absError / absActual) : null,
    smape: count ? finite(smapeSum / count) : null,
    bias: count && absActual > 0 ? finite(signed / absActual) : null,
    coverage50: coverageCount ? covered50 / coverageCount : null,
    coverage90: coverageCount ? covered90 / coverageCount : null,
    pinball: pinballCount ? finite(pinball / pinballCount) : null,
    absError,
    absActual,
    windows: used.length,
  };
}
