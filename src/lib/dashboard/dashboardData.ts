/**
 * The data a dashboard shows for one run, shaped compactly for inlining into the HTML file:
 * per SKU a history tail and the forecast as parallel arrays (no repeated keys), plus run-level
 * summaries. `buildDashboardData` is pure; `loadDashboardData` reads the lake.
 */
import { addDays, formatISO, parseISO } from 'date-fns';
import type { DeltaRow } from '../delta/types';
import { ValidationError } from '../errors';
import type { PipelineServices } from '../pipelineServices';
import { forecastRunsTableName } from '../runs/forecastRunIndex';
import { lakePartitions, newestRowsPerSku, readLakeRows, runsByRecency, streamLakeRows } from '../publish/lakeRows';
import { canonicalModelName, modelFamily } from './modelNames';
import { completedRuns } from '../publish/runCompletions';
import { signalOf } from '../pipelineServices';

export interface DashboardSku {
  sku: string;
  description: string | null;
  /** First day of `units`/`onHand`; one entry per day after it. */
  historyStart: string | null;
  units: Array<number | null>;
  onHand: Array<number | null>;
  /** First forecast target day; arrays below are one entry per day after it. */
  forecastStart: string | null;
  point: number[];
  q05: number[];
  q25: number[];
  q75: number[];
  q95: number[];
  model: string | null;
  metrics: { mase: number | null; wape: number | null; bias: number | null; coverage90: number | null; segment: string | null } | null;
  action: {
    onHand: number | null;
    daysOfCover: number | null;
    stockoutDate: string | null;
    safetyStock: number;
    reorderPoint: number;
    orderQty: number;
    action: string;
  } | null;
}

export interface DashboardData {
  runId: string | null;
  generatedAt: string;
  lake: string;
  historyDays: number;
  summary: {
    skus: number;
    forecastRows: number;
    originDate: string | null;
    horizonDays: number;
    /**
     * Σ expected units (Gold `expected`, the mean) over the run's forecast rows: the fleet's demand
     * over the horizon. Points are median-type for skewed demand, so their sum would run low. Null
     * when no row has expected units (forecasts written before the column existed).
     */
    expectedUnits: number | null;
    /** Canonical model names (ensemble members sorted) → SKUs. */
    models: Record<string, number>;
    /** Model families (Ensemble, Intermittent demand, …) → SKUs. */
    modelFamilies: Record<string, number>;
    wape: number | null;
    medianMase: number | null;
    actions: Record<string, number>;
    atRisk: number;
    driftEvents: number;
  };
  /** `cancellations`: order lines the newest Silver build diverted to cancellations (null when unknown). */
  quality: { quarantined: number; reasons: Record<string, number>; cancellations: number | null };
  skus: DashboardSku[];
  /** MASE histogram over all SKUs: bins of `width` from 0, the last bin open-ended. */
  accuracy: { width: number; counts: number[] };
  movers: Array<{ sku: string; description: string | null; recent: number; previous: number; change: number; changePct: number | null }>;
  drift: Array<{ detectedAt: string; sku: string | null; kind: string; value: number; threshold: number; action: string }>;
}

export interface DashboardTables {
  dailyDemand: DeltaRow[];
  forecasts: DeltaRow[];
  metrics: DeltaRow[];
  actions: DeltaRow[];
  drift: DeltaRow[];
  quarantine: DeltaRow[];
  products: DeltaRow[];
  /** Cancelled order lines of the newest Silver build, when known. */
  cancellations?: number | null;
}

export const defaultHistoryDays = 180;
const moverWindowDays = 28;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const round = (v: number, digits = 3): number => Math.round(v * 10 ** digits) / 10 ** digits;

function groupBy(rows: DeltaRow[], key: string): Map<string, DeltaRow[]> {
  const map = new Map<string, DeltaRow[]>();
  for (const row of rows) {
    const k = str(row[key]);
    if (k === null) continue;
    const list = map.get(k) ?? [];
    list.push(row);
    map.set(k, list);
  }
  return map;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function iso(date: Date): string {
  return formatISO(date, { representation: 'date' });
}

/**
 * Dense daily arrays from dated rows, over `days` days from `start`. Days from `zeroFrom` on with no
 * row are 0 (daily_demand ends at a SKU's last sale: no row there means no demand, not unknown).
 */
function denseDaily(
  rows: DeltaRow[],
  dateKey: string,
  valueKey: string,
  start: string,
  days: number,
  zeroFrom?: string | null,
): Array<number | null> {
  // Plain UTC day arithmetic: this runs once per daily row of the fleet, date-fns parsing is too slow here.
  const origin = dayNumber(start);
  const firstZero = zeroFrom ? Math.max(0, dayNumber(zeroFrom) - origin) : days;
  // A plain loop: Array.from({ length }, fn) calls fn per day through the generic array-like path, and this runs per SKU twice.
  const out: Array<number | null> = [];
  for (let i = 0; i < days; i++) out.push(i >= firstZero ? 0 : null);
  for (const row of rows) {
    const date = str(row[dateKey]);
    if (date === null) continue;
    const index = dayNumber(date) - origin;
    if (index >= 0 && index < days) out[index] = num(row[valueKey]);
  }
  return out;
}

/** Day numbers by date: a fleet has a few hundred distinct days but a row per SKU and day (parsing was half the build). */
const dayNumbers = new Map<string, number>();

function dayNumber(isoDate: string): number {
  let day = dayNumbers.get(isoDate);
  if (day === undefined) {
    day = Math.round(Date.parse(`${isoDate.slice(0, 10)}T00:00:00Z`) / 86_400_000);
    if (dayNumbers.size >= 100_000) dayNumbers.clear();
    dayNumbers.set(isoDate, day);
  }
  return day;
}

const modelOf = (name: string | null): string | null => (name === null ? null : canonicalModelName(name));

export function maseHistogram(values: number[], width = 0.25, bins = 12): { width: number; counts: number[] } {
  const counts = Array.from({ length: bins }, () => 0);
  for (const v of values) counts[Math.max(0, Math.min(bins - 1, Math.floor(v / width)))]! += 1;
  return { width, counts };
}

function compactNulls(values: Array<number | null>): Array<number | null> {
  return values.every((v) => v === null) ? [] : values;
}

type DashboardSummary = DashboardData['summary'];

/** The tables indexed by SKU, built once for the per-SKU pass. */
export interface SkuIndex {
  demand: Map<string, DeltaRow[]>;
  forecasts: Map<string, DeltaRow[]>;
  metrics: Map<string, DeltaRow>;
  actions: Map<string, DeltaRow>;
  descriptions: Map<string, string | null>;
  firstSales: Map<string, string | null>;
}

function indexBySku(tables: DashboardTables): SkuIndex {
  return {
    demand: groupBy(tables.dailyDemand, 'sku'),
    forecasts: groupBy(tables.forecasts, 'sku'),
    metrics: new Map(tables.metrics.map((r) => [String(r.sku), r])),
    actions: new Map(tables.actions.map((r) => [String(r.sku), r])),
    descriptions: new Map(tables.products.map((r) => [String(r.sku), str(r.description)])),
    firstSales: new Map(tables.products.map((r) => [String(r.sku), str(r.first_sale_date)])),
  };
}

export function checkedHistoryDays(historyDays: number): number {
  if (!Number.isInteger(historyDays) || historyDays < 1) {
    throw new ValidationError('historyDays', `historyDays must be a positive whole number, got ${historyDays}`);
  }
  return historyDays;
}

/**
 * First day of the one history window the whole fleet shares: it ends on the fleet's last day of
 * demand (the forecast origin), so a SKU that stopped selling shows its zero days instead of a
 * chart ending early.
 */
export function fleetHistoryStart(tables: Pick<DashboardTables, 'forecasts' | 'dailyDemand'>, historyDays: number): string | null {
  let lastDay: string | null = str(tables.forecasts[0]?.origin_date);
  if (lastDay === null)
    for (const r of tables.dailyDemand)
      if (str(r.date) !== null && (lastDay === null || String(r.date) > lastDay)) lastDay = String(r.date);
  return lastDay ? iso(addDays(parseISO(lastDay), -(historyDays - 1))) : null;
}

/** The SKUs shown: those forecast in the run, or, when nothing was forecast, those with demand. */
function shownSkus(index: SkuIndex): string[] {
  return [...new Set([...index.forecasts.keys(), ...(index.forecasts.size === 0 ? index.demand.keys() : [])])].sort();
}

/** From which day a SKU's missing days are zeros: its first sale (catalogue) or first demand row. */
function zeroFromDay(demand: DeltaRow[], firstSale: string | null): string | null {
  const firstDay = demand.reduce<string | null>(
    (a, r) => (str(r.date) !== null && (a === null || String(r.date) < a) ? String(r.date) : a),
    null,
  );
  return firstSale !== null && (firstDay === null || firstSale < firstDay) ? firstSale : firstDay;
}

function skuMetrics(metric: DeltaRow | undefined): DashboardSku['metrics'] {
  if (!metric) return null;
  return {
    mase: num(metric.mase),
    wape: num(metric.wape),
    bias: num(metric.bias),
    coverage90: num(metric.coverage90),
    segment: str(metric.segment),
  };
}

function skuAction(action: DeltaRow | undefined): DashboardSku['action'] {
  if (!action) return null;
  return {
    onHand: num(action.on_hand),
    daysOfCover: num(action.days_of_cover),
    stockoutDate: str(action.stockout_date),
    safetyStock: num(action.safety_stock) ?? 0,
    reorderPoint: num(action.reorder_point) ?? 0,
    orderQty: num(action.order_qty) ?? 0,
    action: String(action.action),
  };
}

/** One SKU's history tail, forecast, metrics and action, as dense arrays. */
export function dashboardSku(sku: string, index: SkuIndex, windowStart: string | null, historyDays: number): DashboardSku {
  const demand = index.demand.get(sku) ?? [];
  const zeroFrom = zeroFromDay(demand, index.firstSales.get(sku) ?? null);
  const historyStart = zeroFrom !== null ? windowStart : null;
  const forecast = (index.forecasts.get(sku) ?? []).slice().sort((a, b) => String(a.target_date).localeCompare(String(b.target_date)));
  const metric = index.metrics.get(sku);
  const series = (key: string) => forecast.map((r) => round(num(r[key]) ?? 0, 2));
  return {
    sku,
    description: index.descriptions.get(sku) ?? null,
    historyStart,
    units: historyStart ? denseDaily(demand, 'date', 'units', historyStart, historyDays, zeroFrom) : [],
    // Stock is often unknown: an all-null series is sent as [] to keep the file small.
    onHand: historyStart ? compactNulls(denseDaily(demand, 'date', 'on_hand', historyStart, historyDays)) : [],
    forecastStart: str(forecast[0]?.target_date),
    point: series('point'),
    q05: series('q05'),
    q25: series('q25'),
    q75: series('q75'),
    q95: series('q95'),
    model: modelOf(str(forecast[0]?.model) ?? str(metric?.model)),
    metrics: skuMetrics(metric),
    action: skuAction(index.actions.get(sku)),
  };
}

type DashboardMover = DashboardData['movers'][number];

/** A SKU's last four weeks of units against the four weeks before. */
export function moverOf(s: DashboardSku): DashboardMover {
  const tail = s.units.slice(-2 * moverWindowDays);
  const previous = tail.slice(0, Math.max(0, tail.length - moverWindowDays)).reduce<number>((a, v) => a + (v ?? 0), 0);
  const recent = tail.slice(-moverWindowDays).reduce<number>((a, v) => a + (v ?? 0), 0);
  return {
    sku: s.sku,
    description: s.description,
    recent,
    previous,
    change: recent - previous,
    changePct: previous > 0 ? round((100 * (recent - previous)) / previous, 1) : null,
  };
}

export const isMover = (m: DashboardMover): boolean => m.recent > 0 || m.previous > 0;
export const byMoverChange = (a: DashboardMover, b: DashboardMover): number =>
  Math.abs(b.change) - Math.abs(a.change) || a.sku.localeCompare(b.sku);
export const moversShown = 20;

/** The 20 SKUs whose last four weeks of units changed most against the four weeks before. */
function topMovers(skus: DashboardSku[]): DashboardData['movers'] {
  return skus.map(moverOf).filter(isMover).sort(byMoverChange).slice(0, moversShown);
}

export function countBy<T>(items: readonly T[], key: (item: T) => string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    if (k !== null) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** SKUs whose projected stockout falls within their lead time. */
export function atRiskCount(actions: DeltaRow[]): number {
  return actions.filter(isAtRisk).length;
}

/** An action row whose projected stockout falls within its lead time. */
export function isAtRisk(r: DeltaRow): boolean {
  const asOf = str(r.as_of);
  const riskLimit = asOf ? iso(addDays(parseISO(asOf), num(r.lead_time_days) ?? 0)) : '';
  return str(r.stockout_date) !== null && String(r.stockout_date) <= riskLimit;
}

/** Pooled backtest WAPE (Σ|error| / Σ|actual|), null when nothing was backtested. */
export function pooledWape(metrics: DeltaRow[]): number | null {
  const sums = new WapeSums();
  for (const r of metrics) sums.add(r);
  return sums.wape();
}

/** pooledWape's sums, added row by row (in the same order, so the same float result). */
export class WapeSums {
  private absErr = 0;
  private absActual = 0;

  add(r: DeltaRow): void {
    this.absErr += num(r.abs_err) ?? 0;
    this.absActual += num(r.abs_actual) ?? 0;
  }

  wape(): number | null {
    return this.absActual > 0 ? round(this.absErr / this.absActual, 4) : null;
  }
}

/** Σ expected over the rows that have it (null when none has: a run from before the column). */
function fleetExpectedUnits(forecasts: DeltaRow[]): number | null {
  let total = 0;
  let known = 0;
  for (const r of forecasts) {
    const v = num(r.expected);
    if (v === null) continue;
    total += v;
    known++;
  }
  return known > 0 ? round(total, 1) : null;
}

function runSummary(tables: DashboardTables, skus: DashboardSku[], drift: DashboardData['drift']): DashboardSummary {
  return {
    skus: skus.length,
    forecastRows: tables.forecasts.length,
    originDate: str(tables.forecasts[0]?.origin_date),
    horizonDays: Math.max(0, ...skus.map((s) => s.point.length)),
    expectedUnits: fleetExpectedUnits(tables.forecasts),
    models: countBy(skus, (s) => s.model || null),
    modelFamilies: countBy(skus, (s) => (s.model ? modelFamily(s.model) : null)),
    wape: pooledWape(tables.metrics),
    medianMase: median(tables.metrics.map((r) => num(r.mase)).filter((v): v is number => v !== null)),
    actions: countBy(tables.actions, (r) => String(r.action)),
    atRisk: atRiskCount(tables.actions),
    driftEvents: drift.length,
  };
}

/**
 * The events of the newest drift check among the rows (the current view reads several runs):
 * an earlier check's events carry the thresholds of that check, and listing them beside the
 * newest ones showed superseded figures (a fixed 0.25 from before per-SKU calibration) as current.
 */
export function newestDriftCheck(rows: DeltaRow[]): DashboardData['drift'] {
  const newestAt = rows.reduce((a, r) => (String(r.detected_at) > a ? String(r.detected_at) : a), '');
  const newestRun = rows.find((r) => String(r.detected_at) === newestAt)?.run_id;
  return rows
    .filter((r) => r.run_id === undefined || r.run_id === newestRun)
    .map((r) => ({
      detectedAt: String(r.detected_at),
      sku: str(r.sku),
      kind: String(r.kind),
      value: num(r.value) ?? 0,
      threshold: num(r.threshold) ?? 0,
      action: String(r.action),
    }))
    .sort((a, b) => b.detectedAt.localeCompare(a.detectedAt));
}

export function buildDashboardData(
  runId: string | null,
  tables: DashboardTables,
  options: { historyDays?: number; generatedAt?: string; lake?: string } = {},
): DashboardData {
  const historyDays = checkedHistoryDays(options.historyDays ?? defaultHistoryDays);
  const index = indexBySku(tables);
  const windowStart = fleetHistoryStart(tables, historyDays);
  const skus = shownSkus(index).map((sku) => dashboardSku(sku, index, windowStart, historyDays));
  const drift = newestDriftCheck(tables.drift);
  const maseValues = skus.map((s) => s.metrics?.mase ?? null).filter((v): v is number => v !== null);
  return {
    runId,
    generatedAt: options.generatedAt ?? new Date().toISOString(),
    lake: options.lake ?? '',
    historyDays,
    summary: runSummary(tables, skus, drift),
    quality: {
      quarantined: tables.quarantine.length,
      reasons: countBy(tables.quarantine, (r) => String(r.reason)),
      cancellations: tables.cancellations ?? null,
    },
    skus,
    accuracy: maseHistogram(maseValues),
    movers: topMovers(skus),
    drift,
  };
}

/** Challenger runs (from the run index finalizeForecast keeps): forecast and tracked, never shown as current. */
export async function challengerRuns(services: Partial<Pick<PipelineServices, 'entities'>>): Promise<Set<string>> {
  const out = new Set<string>();
  if (!services.entities) return out;
  const index = await services.entities.table(forecastRunsTableName);
  for await (const row of index.list({ partitionKey: 'run' })) if (row['trigger'] === 'challenger') out.add(String(row['runId']));
  return out;
}

/** Order lines the given Silver run diverted to cancellations (only its run_id column is read). */
export async function cancellationsOfRun(
  lake: PipelineServices['lake'],
  runId: string | undefined,
  signal: { abortSignal?: AbortSignal },
): Promise<number | null> {
  if (runId === undefined) return null;
  let count = 0;
  for await (const _row of streamLakeRows(lake, 'cancellations', { runId, columns: ['run_id'], ...signal })) count += 1;
  return count;
}

/** How many recent runs the default dashboard draws on (a SKU shows its newest forecast among them). */
export const recentRunsShown = 20;

/** What a dashboard reads: the runs shown (newest first), the Silver run whose quality it shows, the first daily_demand month. */
export interface DashboardScope {
  runs: string[];
  runSet: Set<string>;
  quarantineRun: string | undefined;
  firstMonth: string;
}

export async function dashboardScope(
  services: Pick<PipelineServices, 'lake' | 'abortSignal'> & Partial<Pick<PipelineServices, 'entities'>>,
  options: { runId?: string; historyDays?: number } = {},
): Promise<DashboardScope> {
  const { lake } = services;
  const signal = signalOf(services);
  const challengers = await challengerRuns(services);
  // Runs that never completed (killed or failed before publish) are never the current view.
  const completed = options.runId !== undefined ? undefined : await completedRuns(lake, signal);
  const runs =
    options.runId !== undefined
      ? [options.runId]
      : (await runsByRecency(lake, 'forecasts', signal))
          .filter((run) => !challengers.has(run) && (completed === undefined || completed.has(run)))
          .slice(0, recentRunsShown);
  const quarantineRuns = await runsByRecency(lake, 'quarantine', signal);
  const historyDays = options.historyDays ?? defaultHistoryDays;
  // Only the months that hold the history tail are read (daily_demand is partitioned by month).
  const lastMonth = (await lakePartitions(lake, 'daily_demand', 'month', signal)).sort().at(-1);
  const firstMonth = lastMonth ? iso(addDays(parseISO(`${lastMonth}-01`), -historyDays - 1)).slice(0, 7) : '9999-12';
  return { runs, runSet: new Set(runs), quarantineRun: options.runId ?? quarantineRuns[0], firstMonth };
}

/**
 * Reads the dashboard's tables from the lake. With `runId`: that run only. Without: the current
 * view — per SKU, the newest forecast (and its metrics and inventory action) among the last
 * runs, so a drift or on-demand re-forecast of a few SKUs updates those SKUs without hiding the
 * others (the same rule as ADX's LatestForecast view).
 */
export async function loadDashboardData(
  services: Pick<PipelineServices, 'lake' | 'abortSignal'> & Partial<Pick<PipelineServices, 'entities'>>,
  options: { runId?: string; historyDays?: number } = {},
): Promise<DashboardData> {
  const { lake } = services;
  const signal = signalOf(services);
  const { runs, runSet, quarantineRun, firstMonth } = await dashboardScope(services, options);
  const runId = runs[0] ?? null;
  const historyDays = options.historyDays ?? defaultHistoryDays;
  const byRuns = { partitionFilter: (v: Record<string, string | null>) => runSet.has(v.run_id ?? '') };
  const [forecasts, metrics, actions, drift, quarantine, products] = await Promise.all([
    readLakeRows(lake, 'forecasts', { ...byRuns, ...signal }),
    readLakeRows(lake, 'forecast_metrics', { ...byRuns, ...signal }),
    readLakeRows(lake, 'inventory_actions', { ...byRuns, ...signal }),
    readLakeRows(lake, 'drift_events', { ...byRuns, ...signal }),
    // Data quality of the newest run that built Silver (re-forecast runs quarantine nothing).
    readLakeRows(lake, 'quarantine', {
      partitionFilter: (v) => v.run_id === quarantineRun,
      columns: ['run_id', 'reason'],
      ...signal,
    }),
    readLakeRows(lake, 'products', { columns: ['sku', 'description', 'first_sale_date'], ...signal }),
  ]);
  const cancellations = await cancellationsOfRun(lake, quarantineRun, signal);
  const dailyDemand = await readLakeRows(lake, 'daily_demand', {
    partitionFilter: (v) => (v.month ?? '') >= firstMonth,
    columns: ['sku', 'date', 'units', 'on_hand'],
    ...signal,
  });
  const current = {
    forecasts: newestRowsPerSku(forecasts, runs),
    metrics: newestRowsPerSku(metrics, runs),
    actions: newestRowsPerSku(actions, runs),
  };
  return buildDashboardData(
    runId,
    { dailyDemand, ...current, drift, quarantine, products, cancellations },
    { historyDays, lake: lake.location },
  );
}
