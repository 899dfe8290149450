import { parse } from 'csv-parse/sync';
import { errorText, ValidationError } from '../errors';
import { pinballLoss, quantileKey } from './conformal';
import { forecastSeries } from './forecastSeries';
import { modelByName } from './models/registry';
import { fleetSeasonOf } from './fleetSeason';
import { fleetPriorOf, type FleetPrior } from './pooling';
import type { SeriesInput, SkuForecast } from './types';

/** One series of a long `series_id,date,y` file, in date order (one value per day, no gaps). */
export interface LongSeries {
  seriesId: string;
  dates: string[];
  /** NaN where the file had no value (empty or NA): unknown, not zero. */
  values: number[];
  /** Days that were missing from the file and filled with 0 (only with `fillGaps`). */
  filledDays?: number;
}

/** One row of the benchmark contract: r_reference.R's columns, then the probabilistic ones. */
export interface BacktestRow {
  seriesId: string;
  model: string;
  mase: number;
  smape: number;
  absError: number;
  absActual: number;
  fitInMs: number;
  /** sqrt(MSE(hold-out) / in-sample MSE of the lag-M naive), M5's RMSSE with the lag-M scale. */
  rmsse: number;
  /** Share of hold-out points inside [q25, q75] (bounds included). */
  coverage50: number;
  /** Share of hold-out points inside [q05, q95] (bounds included). */
  coverage90: number;
  /** Mean pinball loss over q05, q25, q50, q75, q95 and the hold-out points (units of y). */
  pinball: number;
  /** Σ forecast − Σ actual over the hold-out (units). */
  bias: number;
  /** What the engine used: for `auto` the model or combination picked. */
  chosen: string;
  /** Fallback or failure reason; empty when none. */
  reason: string;
  /** Σ mean forecast (expected units) − Σ actual: what fleet totals add up. */
  meanBias: number;
  /**
   * Randomized-PIT coverage of the 50% and 90% bands (Czado, Gneiting & Held 2009): an actual
   * that ties with several quantiles (a 0 on a day forecast 0 with certainty) counts by the share
   * of its probability mass inside the band, so count forecasts can be judged against nominal.
   */
  pitCoverage50: number;
  pitCoverage90: number;
}

/** One hold-out point of one series and model, for `--forecasts` output. */
export interface BacktestPoint {
  seriesId: string;
  model: string;
  date: string;
  actual: number;
  point: number;
  /** The expected units (the forecast's mean) for that day. */
  expected: number;
  quantiles: Record<string, number>;
}

export interface BacktestOptions {
  horizon: number;
  season: number;
  /** Extra single models, each with its own row per series (besides `auto`). */
  models?: string[];
  /** Models added to `auto`'s default candidates (ForecastOptions.extraCandidates). */
  extraCandidates?: string[];
  /** Rolling-origin windows for selection and calibration (default: the engine's). */
  backtestWindows?: number;
  /** Pool sparse SKUs' rates and the fleet's year-ago movement over the whole file (default true), as the pipeline pools a batch. */
  pooling?: boolean;
  abortSignal?: AbortSignal;
  onSeriesDone?: (done: number, total: number) => void;
  /** Receives every hold-out point with its quantiles (for a per-point output file). */
  onPoint?: (point: BacktestPoint) => void;
}

export const backtestQuantileLevels: readonly number[] = [0.05, 0.25, 0.5, 0.75, 0.95];
export const backtestCsvHeader =
  'series_id,model,mase,smape,abs_err,abs_actual,fit_ms,coverage50,coverage90,pinball,bias,chosen,reason,rmsse,mean_bias,pit_coverage50,pit_coverage90';
/** The grid the PIT is read from (1%..99%). */
const pitLevels: readonly number[] = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);
/** `expected` last (added after the quantiles): the engine's expected units, what Gold `expected` holds. */
export const backtestPointsCsvHeader = `series_id,model,date,actual,point,${backtestQuantileLevels.map(quantileKey).join(',')},expected`;

const dayInMs = 86_400_000;

function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + dayInMs).toISOString().slice(0, 10);
}

function isRealDay(date: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) && new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) === date;
}

export interface ParseLongSeriesOptions {
  /** Fill missing days with 0 and count them (default: a missing day is an error). */
  fillGaps?: boolean;
}

/**
 * Parses a `series_id,date,y` CSV (csv-parse); rows are grouped by series and sorted by date.
 * A duplicate date, a missing day (unless `fillGaps`) or a y that is not a number is an error
 * naming the series, the date and the row; an empty or NA y is a missing value (NaN).
 */
export function parseLongSeriesCsv(text: string, options: ParseLongSeriesOptions = {}): LongSeries[] {
  const records = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const first = records[0];
  if (first && !('series_id' in first && 'date' in first && 'y' in first)) {
    throw new ValidationError('header', `input header must be series_id,date,y; got ${Object.keys(first).join(',')}`);
  }
  const bySeries = new Map<string, Array<[string, number, number]>>();
  records.forEach((r, i) => {
    const row = i + 2;
    const id = r['series_id'] ?? '';
    const date = r['date'] ?? '';
    if (id === '') throw new ValidationError('series_id', `row ${row}: series_id is empty`);
    if (!isRealDay(date)) throw new ValidationError('date', `row ${row}: series "${id}": date "${date}" is not a YYYY-MM-DD day`);
    const raw = r['y'] ?? '';
    const y = raw === '' || raw.toUpperCase() === 'NA' ? Number.NaN : Number(raw);
    if (Number.isNaN(y) && raw !== '' && raw.toUpperCase() !== 'NA') {
      throw new ValidationError(
        'y',
        `row ${row}: series "${id}" on ${date}: y "${raw}" is not a number (leave it empty or NA for unknown)`,
      );
    }
    let list = bySeries.get(id);
    if (!list) bySeries.set(id, (list = []));
    list.push([date, y, row]);
  });
  return [...bySeries.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([seriesId, list]) => {
      list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[2] - b[2]));
      const dates: string[] = [];
      const values: number[] = [];
      let filledDays = 0;
      for (const [date, y, row] of list) {
        const last = dates[dates.length - 1];
        if (last === date)
          throw new ValidationError('date', `row ${row}: series "${seriesId}" has date ${date} twice (first at an earlier row)`);
        if (last !== undefined) {
          for (let d = nextDay(last); d < date; d = nextDay(d)) {
            if (!options.fillGaps)
              throw new ValidationError(
                'date',
                `series "${seriesId}" has no row for ${d} (between ${last} and ${date}); add it, or fill gaps with 0 explicitly (--fill-gaps)`,
              );
            dates.push(d);
            values.push(0);
            filledDays++;
          }
        }
        dates.push(date);
        values.push(y);
      }
      return { seriesId, dates, values, ...(filledDays ? { filledDays } : {}) };
    });
}

/** In-sample mean |y_t − y_{t−M}| and mean (y_t − y_{t−M})² over the pairs where both are known. */
function naiveScales(train: readonly number[], season: number): { mae: number; mse: number } {
  let abs = 0;
  let sq = 0;
  let count = 0;
  for (let t = season; t < train.length; t++) {
    const d = (train[t] as number) - (train[t - season] as number);
    if (!Number.isFinite(d)) continue;
    abs += Math.abs(d);
    sq += d * d;
    count++;
  }
  return count ? { mae: abs / count, mse: sq / count } : { mae: Number.NaN, mse: Number.NaN };
}

/**
 * Holdout accuracy exactly as r_reference.R (forecasts clipped at 0, MASE by lag-M naive), plus
 * RMSSE; unknown actuals (NaN) are left out of every sum instead of turning the scores into NaN.
 */
export function holdoutScores(train: readonly number[], test: readonly number[], forecast: readonly number[], season: number) {
  const scale = naiveScales(train, season);
  let absError = 0;
  let sqError = 0;
  let absActual = 0;
  let smape = 0;
  let signed = 0;
  let count = 0;
  test.forEach((a, i) => {
    if (!Number.isFinite(a)) return;
    const f = Math.max(0, forecast[i] ?? Number.NaN);
    const err = Math.abs(f - a);
    const den = Math.abs(f) + Math.abs(a);
    absError += err;
    sqError += err * err;
    absActual += Math.abs(a);
    smape += den === 0 ? 0 : (200 * err) / den;
    signed += f - a;
    count++;
  });
  const perPoint = (v: number): number => (count ? v / count : Number.NaN);
  return {
    mase: perPoint(absError) / scale.mae,
    rmsse: Math.sqrt(perPoint(sqError) / scale.mse),
    smape: perPoint(smape),
    absError,
    absActual,
    bias: signed,
  };
}

/** Coverage of the central 50% and 90% bands and mean pinball loss over the known hold-out points. */
export function intervalScores(
  test: readonly number[],
  quantiles: Record<string, readonly number[]>,
): { coverage50: number; coverage90: number; pinball: number } {
  const q = (p: number, i: number): number => quantiles[quantileKey(p)]?.[i] ?? Number.NaN;
  let in50 = 0;
  let in90 = 0;
  let pinball = 0;
  let count = 0;
  test.forEach((a, i) => {
    if (!Number.isFinite(a)) return;
    in50 += a >= q(0.25, i) && a <= q(0.75, i) ? 1 : 0;
    in90 += a >= q(0.05, i) && a <= q(0.95, i) ? 1 : 0;
    let loss = 0;
    for (const p of backtestQuantileLevels) loss += pinballLoss(a, q(p, i), p);
    pinball += loss / backtestQuantileLevels.length;
    count++;
  });
  return count
    ? { coverage50: in50 / count, coverage90: in90 / count, pinball: pinball / count }
    : { coverage50: Number.NaN, coverage90: Number.NaN, pinball: Number.NaN };
}

/** Share of [lo, hi] ∩ [band] in [lo, hi] (1 or 0 for a point PIT). */
function overlapShare(lo: number, hi: number, bandLo: number, bandHi: number): number {
  if (hi <= lo) return lo >= bandLo && lo <= bandHi ? 1 : 0;
  return Math.max(0, Math.min(hi, bandHi) - Math.max(lo, bandLo)) / (hi - lo);
}

/** Randomized-PIT coverage of the central 50% and 90% bands, from quantiles on the 1%..99% grid. */
export function pitCoverage(
  test: readonly number[],
  quantiles: Record<string, readonly number[]>,
): { pitCoverage50: number; pitCoverage90: number } {
  let c50 = 0;
  let c90 = 0;
  let count = 0;
  test.forEach((a, i) => {
    if (!Number.isFinite(a)) return;
    let lo = 0;
    let hi = 1;
    for (const p of pitLevels) {
      const q = quantiles[quantileKey(p)]?.[i];
      if (q === undefined || !Number.isFinite(q)) continue;
      if (q < a) lo = Math.max(lo, p);
      else if (q > a) hi = Math.min(hi, p);
    }
    if (hi < lo) hi = lo;
    c50 += overlapShare(lo, hi, 0.25, 0.75);
    c90 += overlapShare(lo, hi, 0.05, 0.95);
    count++;
  });
  return count ? { pitCoverage50: c50 / count, pitCoverage90: c90 / count } : { pitCoverage50: Number.NaN, pitCoverage90: Number.NaN };
}

function failedRow(seriesId: string, model: string, reason: string): BacktestRow {
  const nan = Number.NaN;
  return {
    seriesId,
    model,
    mase: nan,
    smape: nan,
    absError: nan,
    absActual: nan,
    fitInMs: 0,
    rmsse: nan,
    coverage50: nan,
    coverage90: nan,
    pinball: nan,
    bias: nan,
    chosen: '',
    reason,
    meanBias: nan,
    pitCoverage50: nan,
    pitCoverage90: nan,
  };
}

function scoreRow(
  s: LongSeries,
  model: string,
  train: number[],
  test: number[],
  result: SkuForecast,
  fitInMs: number,
  options: BacktestOptions,
  reasons: string[],
): BacktestRow {
  const scores = holdoutScores(train, test, result.point, options.season);
  if (!Number.isFinite(scores.mase))
    reasons.push(
      Number.isFinite(scores.absError) && scores.absActual >= 0
        ? 'MASE undefined: the lag-M naive scale is 0 or unknown'
        : 'no known hold-out value',
    );
  const cut = train.length;
  test.forEach((actual, i) => {
    options.onPoint?.({
      seriesId: s.seriesId,
      model,
      date: s.dates[cut + i] ?? '',
      actual,
      point: result.point[i] as number,
      expected: result.mean[i] ?? Number.NaN,
      quantiles: Object.fromEntries(
        backtestQuantileLevels.map((p) => [quantileKey(p), result.quantiles[quantileKey(p)]?.[i] ?? Number.NaN]),
      ),
    });
  });
  return {
    seriesId: s.seriesId,
    model,
    ...scores,
    fitInMs,
    ...intervalScores(test, result.quantiles),
    ...pitCoverage(test, result.quantiles),
    meanBias: test.reduce((sum, a, i) => (Number.isFinite(a) ? sum + (result.mean[i] ?? 0) - a : sum), 0),
    chosen: result.model,
    reason: [...reasons, ...(result.fallbackReason ? [result.fallbackReason] : [])].join('; '),
  };
}

/**
 * The benchmark backtest: for each series, the last `horizon` points are held out, the engine
 * (`auto`) and each named model forecast from the rest, and the holdout is scored. A series that
 * cannot be scored (too short, a model that throws) is a row with its reason, never an abort.
 */
export function runBacktest(series: readonly LongSeries[], options: BacktestOptions): BacktestRow[] {
  const { horizon, season } = options;
  if (!Number.isInteger(horizon) || horizon < 1) throw new ValidationError('horizon', `horizon must be a positive integer, got ${horizon}`);
  if (!Number.isInteger(season) || season < 1) throw new ValidationError('season', `season must be a positive integer, got ${season}`);
  const models = options.models ?? [];
  for (const name of [...models, ...(options.extraCandidates ?? [])]) modelByName(name);
  const inputs: Array<SeriesInput | null> = series.map((s) =>
    s.values.length > horizon + season
      ? { sku: s.seriesId, startDate: s.dates[0] ?? '', values: s.values.slice(0, s.values.length - horizon) }
      : null,
  );
  // Sparse SKUs borrow strength from the rest of the file, as they do from their batch in the pipeline.
  const known = inputs.filter((x): x is SeriesInput => x !== null);
  const prior: FleetPrior | undefined = options.pooling === false ? undefined : fleetPriorOf(known);
  const fleetSeason = options.pooling === false ? undefined : fleetSeasonOf(known, horizon);
  const rows: BacktestRow[] = [];
  series.forEach((s, i) => {
    options.abortSignal?.throwIfAborted();
    const input = inputs[i];
    const names = ['auto', ...models];
    if (!input) {
      const reason = `too short: ${s.values.length} points; needs more than horizon + season = ${horizon + season}`;
      for (const model of names) rows.push(failedRow(s.seriesId, model, reason));
    } else {
      const test = s.values.slice(input.values.length);
      const reasons = s.filledDays ? [`${s.filledDays} missing day(s) filled with 0`] : [];
      for (const model of names) {
        try {
          const t0 = performance.now();
          const result = forecastSeries(input, {
            horizon,
            season,
            quantiles: [...pitLevels],
            ...(options.backtestWindows !== undefined ? { backtestWindows: options.backtestWindows } : {}),
            ...(model === 'auto'
              ? options.extraCandidates?.length
                ? { extraCandidates: options.extraCandidates }
                : {}
              : { models: [model] }),
            ...(prior ? { fleetPrior: prior } : {}),
            ...(fleetSeason ? { fleetSeason } : {}),
          });
          rows.push(scoreRow(s, model, input.values, test, result, performance.now() - t0, options, [...reasons]));
        } catch (e) {
          rows.push(failedRow(s.seriesId, model, `failed: ${errorText(e, 300)}`));
        }
      }
    }
    options.onSeriesDone?.(i + 1, series.length);
  });
  return rows;
}

function csvNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Inf' : '-Inf';
  return String(v);
}

function csvText(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function backtestRowsToCsv(rows: readonly BacktestRow[]): string {
  const lines = rows.map((r) =>
    [
      csvText(r.seriesId),
      csvText(r.model),
      csvNumber(r.mase),
      csvNumber(r.smape),
      csvNumber(r.absError),
      csvNumber(r.absActual),
      r.fitInMs.toFixed(3),
      csvNumber(r.coverage50),
      csvNumber(r.coverage90),
      csvNumber(r.pinball),
      csvNumber(r.bias),
      csvText(r.chosen),
      csvText(r.reason),
      csvNumber(r.rmsse),
      csvNumber(r.meanBias),
      csvNumber(r.pitCoverage50),
      csvNumber(r.pitCoverage90),
    ].join(','),
  );
  return `${backtestCsvHeader}\n${lines.join('\n')}${lines.length ? '\n' : ''}`;
}

export function backtestPointToCsv(p: BacktestPoint): string {
  return [
    csvText(p.seriesId),
    csvText(p.model),
    p.date,
    csvNumber(p.actual),
    csvNumber(p.point),
    ...backtestQuantileLevels.map((l) => csvNumber(p.quantiles[quantileKey(l)] ?? Number.NaN)),
    csvNumber(p.expected),
  ].join(',');
}
