import { parse } from 'csv-parse/sync';
import { ValidationError } from '../errors';
import { forecastSeries } from './forecastSeries';
import { modelByName } from './models/registry';

/** One series of a long `series_id,date,y` file, in date order. */
export interface LongSeries {
  seriesId: string;
  dates: string[];
  values: number[];
}

/** One row of the benchmark contract (same columns and definitions as r_reference.R). */
export interface BacktestRow {
  seriesId: string;
  model: string;
  mase: number;
  smape: number;
  absError: number;
  absActual: number;
  fitInMs: number;
}

export interface BacktestOptions {
  horizon: number;
  season: number;
  /** Extra single models, each with its own row per series (besides `auto`). */
  models?: string[];
  /** Rolling-origin windows for the engine's selection (default: the engine's). */
  backtestWindows?: number;
  abortSignal?: AbortSignal;
  onSeriesDone?: (done: number, total: number) => void;
}

export const backtestCsvHeader = 'series_id,model,mase,smape,abs_err,abs_actual,fit_ms';

/** Parses a `series_id,date,y` CSV (csv-parse); rows are grouped by series and sorted by date. */
export function parseLongSeriesCsv(text: string): LongSeries[] {
  const records = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const first = records[0];
  if (first && !('series_id' in first && 'date' in first && 'y' in first)) {
    throw new ValidationError('header', `input header must be series_id,date,y; got ${Object.keys(first).join(',')}`);
  }
  const bySeries = new Map<string, Array<[string, number]>>();
  records.forEach((r, i) => {
    const id = r['series_id'] ?? '';
    const date = r['date'] ?? '';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new ValidationError('date', `row ${i + 2}: date "${date}" is not YYYY-MM-DD`);
    const raw = r['y'] ?? '';
    const y = raw === '' || raw === 'NA' ? Number.NaN : Number(raw);
    let list = bySeries.get(id);
    if (!list) bySeries.set(id, (list = []));
    list.push([date, y]);
  });
  return [...bySeries.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([seriesId, list]) => {
      list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      return { seriesId, dates: list.map((x) => x[0]), values: list.map((x) => x[1]) };
    });
}

/** Holdout accuracy exactly as r_reference.R: forecasts clipped at 0, MASE by lag-M naive. */
export function holdoutScores(train: readonly number[], test: readonly number[], forecast: readonly number[], season: number) {
  let scaleSum = 0;
  let scaleCount = 0;
  for (let t = season; t < train.length; t++) {
    scaleSum += Math.abs((train[t] as number) - (train[t - season] as number));
    scaleCount++;
  }
  const scale = scaleSum / scaleCount;
  let absError = 0;
  let absActual = 0;
  let smape = 0;
  test.forEach((a, i) => {
    const f = Math.max(0, forecast[i] ?? Number.NaN);
    const err = Math.abs(f - a);
    const den = Math.abs(f) + Math.abs(a);
    absError += err;
    absActual += Math.abs(a);
    smape += den === 0 ? 0 : (200 * err) / den;
  });
  return { mase: absError / test.length / scale, smape: smape / test.length, absError, absActual };
}

/**
 * The benchmark backtest: for each series, the last `horizon` points are held out, the engine
 * (`auto`) and each named model forecast from the rest, and the holdout is scored.
 */
export function runBacktest(series: readonly LongSeries[], options: BacktestOptions): BacktestRow[] {
  const { horizon, season } = options;
  if (!Number.isInteger(horizon) || horizon < 1) throw new ValidationError('horizon', `horizon must be a positive integer, got ${horizon}`);
  if (!Number.isInteger(season) || season < 1) throw new ValidationError('season', `season must be a positive integer, got ${season}`);
  const models = options.models ?? [];
  for (const name of models) modelByName(name);
  const rows: BacktestRow[] = [];
  series.forEach((s, i) => {
    options.abortSignal?.throwIfAborted();
    if (s.values.length <= horizon + season) {
      throw new ValidationError('series_id', `series "${s.seriesId}" has ${s.values.length} points; needs more than horizon + season = ${horizon + season}`);
    }
    const cut = s.values.length - horizon;
    const train = s.values.slice(0, cut);
    const test = s.values.slice(cut);
    const input = { sku: s.seriesId, startDate: s.dates[0] ?? '', values: train };
    for (const model of ['auto', ...models]) {
      const t0 = performance.now();
      const result = forecastSeries(input, model === 'auto' ? { horizon, season, backtestWindows: options.backtestWindows } : { horizon, season, models: [model], backtestWindows: 0 });
      const fitInMs = performance.now() - t0;
      rows.push({ seriesId: s.seriesId, model, ...holdoutScores(train, test, result.point, season), fitInMs });
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
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function backtestRowsToCsv(rows: readonly BacktestRow[]): string {
  const lines = rows.map((r) =>
    [csvText(r.seriesId), csvText(r.model), csvNumber(r.mase), csvNumber(r.smape), csvNumber(r.absError), csvNumber(r.absActual), r.fitInMs.toFixed(3)].join(','),
  );
  return `${backtestCsvHeader}\n${lines.join('\n')}${lines.length ? '\n' : ''}`;
}
