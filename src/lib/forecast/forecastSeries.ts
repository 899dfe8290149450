import { errorText } from '../errors';
import { classifyDemand, type DemandProfile } from './classify';
import { cleanSeries } from './clean';
import { conformalQuantiles, pinballLoss, quantileKey } from './conformal';
import { checkPlausible } from './models/arima';
import { forecastModels, modelByName } from './models/registry';
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
  const levels = (Array.isArray(options.quantiles) ? options.quantiles : defaultQuantileLevels).filter((p) => typeof p === 'number' && p > 0 && p < 1);
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
  const emptyMetrics: ForecastMetrics = { mase: null, wape: null, smape: null, bias: null, coverage90: null, pinball: null, absError: 0, absActual: 0, windows: 0 };
  const flatResult = (model: string, level: number, reason: string, params: Record<string, unknown> = {}): SkuForecast => {
    const point = new Array<number>(horizon).fill(Math.max(0, Number.isFinite(level) ? level : 0));
    const quantiles: Record<string, number[]> = {};
    for (const p of levels) quantiles[quantileKey(p)] = point.slice();
    return {
      sku,
      model,
      point,
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
  if (observed.filter((v) => v > 0).length === 1) return flatResult('mean', mean(observed), 'single sale: demand rate = units / days');

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
      const windows = plan.origins.map((_, w) => combine(members.map((r) => r.windows[w] as number[]), how));
      const e = errorOf(windows);
      const score = e.count > 0 ? e.abs / e.count / scale : Infinity;
      const name = `${how}(${members.map((r) => r.name).join(',')})`;
      candidates.push({ model: name, score: Number.isFinite(score) ? score : null });
      if (score * (1 - margin) < bestEffective) {
        bestEffective = score * (1 - margin);
        chosenName = name;
        chosenWindows = windows;
        chosenPoint = combine(members.map((r) => r.final as number[]), how);
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

  // Conformal quantiles from the chosen forecast's backtest residuals; without a backtest, the
  // in-sample seasonal-naive differences stand in (wider, honest about not knowing).
  const residualsByStep: number[][] = Array.from({ length: hb }, () => []);
  plan.origins.forEach((origin, w) => {
    if (!chosenWindows[w]) return;
    for (let h = 0; h < hb; h++) {
      if (!censored[origin + h]) residualsByStep[h]!.push((y[origin + h] as number) - (chosenWindows[w]![h] as number));
    }
  });
  let intervalMethod = 'conformal-backtest';
  if (residualsByStep.every((r) => r.length === 0)) {
    intervalMethod = 'naive-differences';
    const lag = season > 1 && n > season ? season : 1;
    const diffs: number[] = [];
    for (let t = lag; t < n; t++) if (!censored[t] && !censored[t - lag]) diffs.push((y[t] as number) - (y[t - lag] as number));
    residualsByStep.splice(0, residualsByStep.length, diffs.length ? diffs : [0]);
  }
  const quantiles = conformalQuantiles(chosenPoint, residualsByStep, levels);

  const metrics = backtestMetrics(y, censored, plan, chosenWindows, residualsByStep, scale, levels);
  const point = safePoint(chosenPoint, horizon);
  return {
    sku,
    model: chosenName,
    point,
    quantiles,
    demandClass: profile.demandClass,
    segment: profile.segment,
    metrics,
    fallbackReason: reasons.length || notes.length ? [...reasons, ...notes].join('; ') : null,
    params: { ...chosenParams, intervalMethod, adi: profile.adi, cv2: profile.cv2, backtestHorizon: hb, notes },
    candidates,
  };
}

/** Backtest metrics of the chosen forecast; coverage and pinball are leave-one-window-out. */
function backtestMetrics(
  y: readonly number[],
  censored: readonly boolean[],
  plan: WindowSet,
  windows: readonly (readonly number[])[],
  residualsByStep: readonly (readonly number[])[],
  scale: number,
  levels: readonly number[],
): ForecastMetrics {
  const hb = plan.horizon;
  let absError = 0;
  let absActual = 0;
  let signed = 0;
  let smapeSum = 0;
  let count = 0;
  let covered = 0;
  let coverageCount = 0;
  let pinball = 0;
  let pinballCount = 0;
  const used = windows.length === plan.origins.length ? plan.origins : [];
  used.forEach((origin, w) => {
    const f = windows[w] as number[];
    // Residuals of the other windows only: an honest out-of-sample interval check.
    const others: number[][] = Array.from({ length: hb }, () => []);
    used.forEach((o2, w2) => {
      if (w2 === w) return;
      for (let h = 0; h < hb; h++) if (!censored[o2 + h]) others[h]!.push((y[o2 + h] as number) - (windows[w2]![h] as number));
    });
    const q = used.length > 1 ? conformalQuantiles(f, others, [0.05, 0.95, ...levels]) : null;
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
        const lo = q[quantileKey(0.05)]![h] as number;
        const hi = q[quantileKey(0.95)]![h] as number;
        covered += a >= lo && a <= hi ? 1 : 0;
        coverageCount++;
        for (const p of levels) {
          pinball += pinballLoss(a, q[quantileKey(p)]![h] as number, p);
          pinballCount++;
        }
      }
    }
  });
  void residualsByStep;
  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  return {
    mase: count ? finite(absError / count / scale) : null,
    wape: count && absActual > 0 ? finite(absError / absActual) : null,
    smape: count ? finite(smapeSum / count) : null,
    bias: count && absActual > 0 ? finite(signed / absActual) : null,
    coverage90: coverageCount ? covered / coverageCount : null,
    pinball: pinballCount ? finite(pinball / pinballCount) : null,
    absError,
    absActual,
    windows: used.length,
  };
}
