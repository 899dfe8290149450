import { fleetWeekdayShares, historyEnd, weekdayShape, yearAgoBaseDays, yearAgoDays, yearAgoRatio } from './fleetSeason';
import { classifyDemand, type DemandProfile } from './classify';
import { cleanSeries, type CleanSeries } from './clean';
import { chooseCountShape, type CountShape } from './countShape';
import { defaultCandidates, usableCandidates } from './candidates';
import { quantileKey } from './conformal';
import { backtestMetrics, backtestPairs, calibrationOf, countLevelCutoff, predictiveQuantiles, rateQuantiles } from './intervals';
import { modelByName } from './models/registry';
import { dayOfWeek, mean } from './numeric';
import { isSparse, pooledRate, recentWindow } from './pooling';
import { planWindows, rankRuns, runCandidates, safePoint, scaleOf, windowSignedError } from './rollingOrigin';
import { chooseForecast, expectedUnits, windowExpectedUnits, type Choice } from './selection';
import type { CandidateScore, ForecastMetrics, ForecastOptions, ModelContext, SeriesInput, SkuForecast } from './types';
import { profileKeyOf, warmPlanFor } from './warmStart';

export { defaultCandidates } from './candidates';

export const defaultQuantileLevels: readonly number[] = [0.05, 0.25, 0.5, 0.75, 0.95];
const defaultWindows = 3;
const defaultTimeoutInMs = 5000;

/** Horizon, season and quantile levels from options that may be partial or garbage. */
interface Settings {
  horizon: number;
  season: number;
  levels: number[];
  options: Partial<ForecastOptions>;
}

function settingsOf(forecastOptions: ForecastOptions | undefined): Settings {
  const options: Partial<ForecastOptions> = forecastOptions ?? {};
  const horizon = Math.max(1, Math.floor(Number.isFinite(options.horizon) ? (options.horizon as number) : 1));
  const season = Math.max(1, Math.floor(Number.isFinite(options.season) ? (options.season as number) : 1));
  const levels = (Array.isArray(options.quantiles) ? options.quantiles : defaultQuantileLevels).filter(
    (p) => typeof p === 'number' && p > 0 && p < 1,
  );
  return { horizon, season, levels, options };
}

function modelContextOf(input: SeriesInput | undefined, settings: Settings, censored: boolean[], sku: string): ModelContext {
  const startDate = String(input?.startDate ?? '');
  const startDayOfWeek = dayOfWeek(startDate);
  return {
    season: settings.season,
    startDayOfWeek,
    isDaily: startDayOfWeek !== null,
    timeoutInMs: settings.options.modelTimeoutInMs ?? defaultTimeoutInMs,
    censored,
    memo: new Map(),
    sku,
    startDate,
    ...(settings.options.calendar ? { calendar: settings.options.calendar } : {}),
  };
}

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
  meanSignedError: 0,
};

/** What every result of one SKU shares. */
interface SeriesFacts {
  sku: string;
  settings: Settings;
  clean: CleanSeries;
  observed: number[];
  profile: DemandProfile;
}

/**
 * A flat forecast without selection (empty, constant, sparse or single-sale history): count
 * quantiles of a rate when `unitsPerSaleDay` is given, else every quantile at the level.
 */
function flatForecast(
  facts: SeriesFacts,
  model: string,
  level: number,
  reason: string,
  params: Record<string, unknown> = {},
  unitsPerSaleDay?: number,
): SkuForecast {
  const { horizon, levels } = facts.settings;
  const point = new Array<number>(horizon).fill(Math.max(0, Number.isFinite(level) ? level : 0));
  let quantiles: Record<string, number[]> = {};
  if (unitsPerSaleDay !== undefined) quantiles = rateQuantiles(point[0] as number, unitsPerSaleDay, horizon, levels);
  else for (const p of levels) quantiles[quantileKey(p)] = point.slice();
  return {
    sku: facts.sku,
    model,
    point,
    mean: point.slice(),
    quantiles,
    demandClass: facts.profile.demandClass,
    segment: facts.profile.segment,
    metrics: emptyMetrics,
    fallbackReason: [reason, ...facts.clean.notes].join('; '),
    params: { ...params, notes: facts.clean.notes },
    candidates: [],
  };
}

/** A sparse SKU's rate shrunk towards the fleet's sparse SKUs (null when not sparse or no prior). */
function pooledForecast(facts: SeriesFacts, integerValued: boolean): SkuForecast | null {
  const prior = facts.settings.options.fleetPrior;
  const recent = recentWindow(facts.clean.y, facts.clean.censored);
  if (!prior || !isSparse(recent) || !integerValued) return null;
  // A handful of sales says little on its own: the rate is shrunk towards the fleet's sparse SKUs.
  const rate = pooledRate(recent, prior);
  const size = (recent.units + prior.unitsPerSaleDay) / (recent.saleDays + 1);
  return flatForecast(
    facts,
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

/** The histories that get a flat forecast without selection; null for the rest. */
function shortcutForecast(facts: SeriesFacts): SkuForecast | null {
  const { observed, profile } = facts;
  if (facts.clean.y.length === 0) return flatForecast(facts, 'zero', 0, 'empty history');
  if (observed.length === 0) return flatForecast(facts, 'zero', 0, 'no observed demand (every day censored or unusable)');
  if (profile.demandClass === 'zero') return flatForecast(facts, 'zero', 0, 'all-zero history');
  if (observed.every((v) => v === observed[0])) return flatForecast(facts, 'naive', observed[0] as number, 'constant history');
  const integerValued = observed.every((v) => Number.isInteger(v));
  const pooled = pooledForecast(facts, integerValued);
  if (pooled) return pooled;
  const saleDays = observed.filter((v) => v > 0);
  if (saleDays.length === 1)
    return flatForecast(
      facts,
      'mean',
      mean(observed),
      'single sale: demand rate = units / days',
      {},
      integerValued ? saleDays[0] : undefined,
    );
  return null;
}

/** What the count distribution is and why (the backtest scores of both shapes), for the SKU's record. */
function countDistributionParams(count: ReturnType<typeof chooseCountShape>): Record<string, unknown> {
  const { shape, scores } = count;
  return {
    shape: shape.kind,
    ...(shape.kind === 'compound-poisson'
      ? { meanOrderSize: shape.orders.mean, orderSizes: shape.orders.sizes.length, saleDays: shape.orders.saleDays }
      : {}),
    ...(scores ? { backtestRps: scores } : {}),
  };
}

/** Why an all-zero forecast is all zero when the SKU sold in the last 30 days (null otherwise). */
function zeroForecastReason(y: readonly number[], censored: readonly boolean[], chosen: Choice): string | null {
  const n = y.length;
  const lastMonth = y
    .slice(-30)
    .filter((_, i) => !censored[n - Math.min(30, n) + i])
    .reduce((a, v) => a + v, 0);
  if (!(lastMonth > 0) || chosen.point.some((v) => v > 0)) return null;
  return `all-zero forecast from ${chosen.name} although ${lastMonth} unit(s) sold in the last 30 days (most days are 0, so the median-type forecast is 0, while the mean and the quantiles carry the rate)`;
}

/**
 * The fleet's year-ago ratio for a SKU with a year of history (null without a fleet season, or
 * for a younger SKU: a launch has its own curve).
 */
function yearlyFactorOf(input: SeriesInput, settings: Settings, n: number): number | null {
  const season = settings.options.fleetSeason;
  if (!season || n < yearAgoDays + yearAgoBaseDays) return null;
  const end = historyEnd(input);
  return end === null ? null : yearAgoRatio(season, end, settings.horizon);
}

/**
 * Forecasts one SKU: cleans the history, classifies its demand, backtests the candidate models
 * on rolling origins, picks the model (or a combination of the best few) with the lowest MASE,
 * and derives conformal quantiles from the backtest residuals. Never throws for bad data and
 * never returns NaN: every degraded path is recorded in `fallbackReason`.
 */
export function forecastSeries(input: SeriesInput, forecastOptions: ForecastOptions): SkuForecast {
  const settings = settingsOf(forecastOptions);
  const { horizon, season, levels, options } = settings;
  const sku = String(input?.sku ?? '');
  const clean = cleanSeries(input ?? { sku, startDate: '', values: [] }, season);
  const { y, censored, notes } = clean;
  const observed = y.filter((_, t) => !censored[t]);
  const profile = classifyDemand(observed);
  const facts: SeriesFacts = { sku, settings, clean, observed, profile };
  const shortcut = shortcutForecast(facts);
  if (shortcut) return shortcut;

  const n = y.length;
  const reasons: string[] = [];
  const context = modelContextOf(input, settings, censored, sku);
  const pool = options.models?.length
    ? [...options.models]
    : [...new Set([...defaultCandidates(profile, n, season, context.isDaily), ...(options.extraCandidates ?? [])])];
  const usable = usableCandidates(options.models, () => pool, n, season, horizon, reasons);
  const profileKey = profileKeyOf(profile, pool);
  // Warm start: only the stored choice's members are fitted, on the windows full selection would use; a
  // single model is kept, a combination is re-ranked among its members (the same rules, fewer candidates).
  const warm = warmPlanFor(input?.warmStart, profileKey, (name) => usable.includes(name));
  const scale = scaleOf(observed, season);
  const minTrain = Math.max(...usable.map((name) => modelByName(name).minLength(season, horizon)), 4);
  const plan = planWindows(n, horizon, options.backtestWindows ?? defaultWindows, minTrain);

  const runs = runCandidates(warm ? warm.members : usable, y, horizon, plan, context);
  const ranked = rankRuns(runs, y, censored, plan, scale);
  // No member of the stored choice backtests any more: it is void, select afresh.
  if (warm && ranked.length === 0) return forecastSeries({ ...input, warmStart: undefined }, forecastOptions);
  const candidates: CandidateScore[] = runs.map((r) => ({ model: r.name, score: r.score, ...(r.error ? { error: r.error } : {}) }));
  for (const r of runs) if (r.error) reasons.push(`${r.name} failed: ${r.error}`);
  const data = { y, censored, plan, scale, segment: profile.segment };
  const chosen = chooseForecast(ranked, runs, data, horizon, context, candidates, reasons);

  const integerValued = observed.every((v) => Number.isInteger(v));
  const counts = integerValued && (profile.segment === 'intermittent' || profile.meanDemand < countLevelCutoff);
  const { pairs: calibration, intervalMethod } = calibrationOf(y, censored, plan, chosen.windows, season, counts);
  const count = counts ? chooseCountShape(y, censored, plan, chosen.windows) : null;
  const shape: CountShape = count?.shape ?? { kind: 'negative-binomial' };
  const yearly = yearlyFactorOf(input, settings, n);
  const point = safePoint(chosen.point, horizon);
  const weekly = season === 7 ? weekdayShape(y, censored, context.startDayOfWeek, horizon, fleetWeekdayShares(options.fleetSeason)) : null;
  const expected = expectedUnits(chosen.name, point, runs, calibration, horizon, yearly, weekly);
  // A count distribution's mean is the forecast's expected units.
  const quantiles = predictiveQuantiles(chosen.point, calibration, levels, counts, expected, shape);
  const zeroReason = zeroForecastReason(y, censored, chosen);
  if (zeroReason) reasons.push(zeroReason);

  // The mean's backtest: the expected units each window's fits give at their origin (only what was known there).
  const shares = fleetWeekdayShares(options.fleetSeason);
  const meanWindows = windowExpectedUnits(chosen, runs, plan, (origin, w) => {
    const end = historyEnd({ ...input, values: y.slice(0, origin) });
    const fleet = options.fleetSeason;
    const others = { ...plan, origins: plan.origins.filter((_, i) => i !== w) };
    return {
      yearly: fleet && end !== null && origin >= yearAgoDays + yearAgoBaseDays ? yearAgoRatio(fleet, end, plan.horizon) : null,
      weekly:
        season === 7 ? weekdayShape(y.slice(0, origin), censored.slice(0, origin), context.startDayOfWeek, plan.horizon, shares) : null,
      // Leave-one-window-out, as the coverage: a window's correction never sees its own actuals.
      calibration: backtestPairs(
        y,
        censored,
        others,
        chosen.windows.filter((_, i) => i !== w),
      ),
    };
  });
  const metrics: ForecastMetrics = {
    ...backtestMetrics(y, censored, plan, chosen.windows, scale, levels, counts, shape),
    meanSignedError: windowSignedError(meanWindows, y, censored, plan),
  };
  return {
    sku,
    model: chosen.name,
    point,
    mean: expected,
    quantiles,
    demandClass: profile.demandClass,
    segment: profile.segment,
    metrics,
    fallbackReason: reasons.length || notes.length ? [...reasons, ...notes].join('; ') : null,
    params: {
      ...chosen.params,
      intervalMethod,
      ...(count ? { countDistribution: countDistributionParams(count) } : {}),
      ...(yearly !== null ? { fleetYearAgoRatio: yearly } : {}),
      adi: profile.adi,
      cv2: profile.cv2,
      backtestHorizon: plan.horizon,
      notes,
    },
    candidates,
    selection: { mode: warm ? 'warm' : 'full', profileKey },
  };
}
