/**
 * The drift check on the lake, streamed: Silver daily_demand and the Gold forecasts and backtest
 * metrics of the runs in effect are spilled to SKU-hash buckets (DriftBuckets) and assessed one
 * bucket at a time, so what stays in memory is the fleet figures (counts, value counts) and the
 * drift events, whatever the fleet's size. Only what the windows need is read: the months from the
 * earliest day a statistic uses, the forecast files whose targets can reach the windows, and this
 * run's own forecasts only for the SKUs whose verdict depends on them.
 */
import { DeltaTableNotFoundError } from '../errors';
import { DeltaTable, openLakeTable } from '../delta';
import type { AddAction, TableState } from '../delta/log';
import { compareUtf8 } from '../delta/stats';
import type { LakeStore } from '../lake/lakeStore';
import { lakeTables } from '../lakeTables';
import {
  addDays,
  driftWindows,
  skuDrift,
  FleetDriftAccumulator,
  type DriftStats,
  type DriftStatsOptions,
  type DriftWindows,
} from './assess';
import { DriftBuckets } from './driftBuckets';
import { DriftEvaluator, type DriftEvaluation, type DriftThresholds, type FleetDriftFigures, type SkuDriftStats } from './evaluate';

/** Rows (demand days, forecast rows) per SKU bucket the check aims at: what it holds at a time. */
export const defaultDriftBucketRows = 100_000;
/** The MASE scale uses up to this many days of history before a forecast origin. */
const maseHistoryDays = 120;
/** The reference window is this many recent windows long. */
export const referenceWindowMultiple = 3;

export interface LakeDriftOptions {
  /** This run: its forecasts have no actuals yet, but they can make a SKU's forecast current. */
  runId: string;
  /** The run's date: the recent window's start when there is no demand yet. */
  runDate: string;
  /** Runs whose forecasts can be in effect (undefined: every run but this one). */
  inEffectRuns: ReadonlySet<string> | undefined;
  horizonDays: number;
  stats: DriftStatsOptions;
  thresholds: DriftThresholds;
  /** Keep every SKU's statistics and the new/vanished lists (tests and the CLI); the activity does not. */
  keepSkuStats?: boolean;
  scratchDir?: string | undefined;
  bucketRows?: number;
  spillRows?: number;
  abortSignal?: AbortSignal;
  log?: (message: string) => void;
}

export interface LakeDriftResult {
  windows: DriftWindows | null;
  fleet: FleetDriftFigures;
  evaluation: DriftEvaluation;
  /** With keepSkuStats: the statistics as computeDriftStats gives them, SKUs in order. */
  stats?: DriftStats;
  /** How the check was streamed: buckets, rows spilled, most rows held at once. */
  streamed: { buckets: number; spilledRows: number; peakHeldRows: number };
}

const monthOf = (date: string): string => date.slice(0, 7);
const emptyFleet: FleetDriftFigures = {
  skuCount: 0,
  overallPsi: null,
  newSkuCount: 0,
  vanishedSkuCount: 0,
  referenceSkuCount: 0,
  stockoutRate: { reference: null, recent: null },
};

async function stateOrUndefined(lake: LakeStore, path: string, abortSignal?: AbortSignal): Promise<TableState | undefined> {
  try {
    return await DeltaTable.forPath(lake, path).state(abortSignal ? { abortSignal } : {});
  } catch (err) {
    if (err instanceof DeltaTableNotFoundError) return undefined;
    throw err;
  }
}

interface FileStats {
  numRecords?: number;
  minValues?: Record<string, unknown>;
  maxValues?: Record<string, unknown>;
}

function statsOf(add: AddAction): FileStats | undefined {
  if (!add.stats) return undefined;
  try {
    return JSON.parse(add.stats) as FileStats;
  } catch {
    return undefined;
  }
}

/** File statistics name physical columns: used only when the table maps none. */
const statsUsable = (state: TableState): boolean => (state.metadata?.configuration?.['delta.columnMapping.mode'] ?? 'none') === 'none';

/** The state with only the files `keep` accepts (data skipping by file statistics; a file without them is kept). */
function withFiles(state: TableState, keep: (add: AddAction, stats: FileStats | undefined) => boolean): TableState {
  if (!statsUsable(state)) return state;
  return { ...state, files: new Map([...state.files].filter(([, add]) => keep(add, statsOf(add)))) };
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Rows a selection of files holds, from their statistics (their size in bytes / 8 when they have none). */
function estimatedRows(state: TableState | undefined, keep: (add: AddAction) => boolean): number {
  let rows = 0;
  for (const add of state?.files.values() ?? []) if (keep(add)) rows += statsOf(add)?.numRecords ?? Math.ceil(add.size / 8);
  return rows;
}

/** The last demand date, from the latest month's file statistics when every file has them, else by reading its dates. */
async function lastDemandDate(
  lake: LakeStore,
  state: TableState,
  latestMonth: string,
  signal: { abortSignal?: AbortSignal },
): Promise<string> {
  const files = [...state.files.values()].filter((a) => a.partitionValues['month'] === latestMonth);
  const maxima = files.map((a) => text(statsOf(a)?.maxValues?.['date']));
  // A deletion vector can have removed the row that made a file's maximum: then read the dates.
  const exact = files.every((a) => a.deletionVector === undefined || a.deletionVector === null);
  if (statsUsable(state) && exact && files.length > 0 && maxima.every((m) => m !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(m)))
    return (maxima as string[]).reduce((max, d) => (d > max ? d : max), '');
  let last = '';
  for await (const r of openLakeTable(lake, lakeTables.daily_demand).read({
    ...signal,
    state,
    columns: ['date'],
    partitionFilter: (p) => p['month'] === latestMonth,
  }))
    if (String(r['date']) > last) last = String(r['date']);
  return last;
}

/**
 * Assesses drift from the lake one SKU bucket at a time (see the file comment). The verdicts,
 * events and fleet figures are those of computeDriftStats + evaluateDrift over the same rows.
 */
export async function assessDriftFromLake(lake: LakeStore, options: LakeDriftOptions): Promise<LakeDriftResult> {
  const signal = options.abortSignal ? { abortSignal: options.abortSignal } : {};
  const log = options.log ?? (() => undefined);
  const empty = (windows: DriftWindows | null): LakeDriftResult => ({
    windows,
    fleet: emptyFleet,
    evaluation: new DriftEvaluator(options.runDate, options.thresholds).finish(emptyFleet),
    ...(options.keepSkuStats
      ? {
          stats: {
            skus: [],
            overallPsi: null,
            newSkus: [],
            vanishedSkus: [],
            referenceSkuCount: 0,
            stockoutRate: { reference: null, recent: null },
          },
        }
      : {}),
    streamed: { buckets: 0, spilledRows: 0, peakHeldRows: 0 },
  });

  const demandState = await stateOrUndefined(lake, lakeTables.daily_demand.path, options.abortSignal);
  // Months present, learnt from partition values alone (no data file is read).
  const months = new Set<string>();
  if (demandState)
    for await (const _ of openLakeTable(lake, lakeTables.daily_demand).read({
      ...signal,
      state: demandState,
      partitionFilter: (p) => (p['month'] && months.add(p['month']), false),
    }));
  const latestMonth = [...months].sort().pop();
  if (!demandState || !latestMonth) {
    log('drift: no Silver daily_demand yet, nothing to check');
    return empty(null);
  }
  const lastDate = await lastDemandDate(lake, demandState, latestMonth, signal);
  const windows = driftWindows(lastDate, options.horizonDays, options.horizonDays * referenceWindowMultiple);
  // The months read before: from 150 days before the reference window (the MASE history may precede it).
  const earliestMonth = monthOf(addDays(windows.referenceStart, -150));

  const forecastState = await stateOrUndefined(lake, lakeTables.forecasts.path, options.abortSignal);
  const inEffect = (runId: string | null | undefined): boolean =>
    runId !== options.runId && (options.inEffectRuns === undefined || options.inEffectRuns.has(runId ?? ''));
  // Forecast files whose targets all precede the reference window, or whose origins all follow the
  // last actual date, hold no row the check uses.
  const earlierForecasts =
    forecastState &&
    withFiles(forecastState, (add, stats) => {
      if (!inEffect(add.partitionValues['run_id'])) return false;
      const maxTarget = text(stats?.maxValues?.['target_date']);
      const minOrigin = text(stats?.minValues?.['origin_date']);
      return (
        !(maxTarget !== undefined && maxTarget < windows.referenceStart) && !(minOrigin !== undefined && minOrigin > windows.recentEnd)
      );
    });

  const estimate =
    estimatedRows(demandState, (a) => (a.partitionValues['month'] ?? '') >= earliestMonth) +
    estimatedRows(earlierForecasts, (a) => inEffect(a.partitionValues['run_id']));
  const bucketCount = Math.max(1, Math.ceil(estimate / (options.bucketRows ?? defaultDriftBucketRows)));
  const buckets = await DriftBuckets.create({
    bucketCount,
    scratchDir: options.scratchDir,
    ...(options.spillRows ? { spillRows: options.spillRows } : {}),
  });
  try {
    // 1. Forecasts of earlier runs (this run's own have no realised actuals yet): targets inside the
    // windows as points; a later target only makes its (run, origin) a candidate, once per run and origin.
    const runIds: string[] = [];
    const runIndex = new Map<string, number>();
    let minOrigin: string | undefined;
    let last = { runId: '', sku: '', origin: '' }; // the last candidate-only row spilled
    if (earlierForecasts) {
      // By columns (one batch per row group of each data file): the check folds a row per SKU and day into numbers.
      for await (const batch of openLakeTable(lake, lakeTables.forecasts).readColumns({
        ...signal,
        state: earlierForecasts,
        columns: ['run_id', 'sku', 'origin_date', 'target_date', 'point'],
        partitionFilter: (p) => inEffect(p['run_id']),
      })) {
        const c = batch.columns as Record<string, unknown[]>;
        for (let i = 0; i < batch.length; i++) {
          const target = String(c.target_date![i]);
          const origin = String(c.origin_date![i]);
          if (target < windows.referenceStart || origin > windows.recentEnd) continue;
          const runId = String(c.run_id![i]);
          const sku = String(c.sku![i]);
          if (target > windows.recentEnd) {
            if (runId === last.runId && sku === last.sku && origin === last.origin) continue;
            last = { runId, sku, origin };
          }
          let index = runIndex.get(runId);
          if (index === undefined) {
            runIndex.set(runId, (index = runIds.length));
            runIds.push(runId);
          }
          if (minOrigin === undefined || origin < minOrigin) minOrigin = origin;
          const spill = buckets.addForecast(sku, index, origin, target, Number(c.point![i]));
          if (spill) await spill;
        }
      }
    }
    // 2. Their backtest accuracy.
    if (runIds.length > 0) {
      for await (const r of openLakeTable(lake, lakeTables.forecast_metrics).read({
        ...signal,
        columns: ['run_id', 'sku', 'wape', 'mase'],
        partitionFilter: (p) => runIndex.has(p['run_id'] ?? ''),
      })) {
        const index = runIndex.get(String(r['run_id']));
        if (index === undefined) continue;
        const wape = r['wape'] === null ? null : Number(r['wape']);
        const spill = buckets.addExpected(String(r['sku']), index, wape, r['mase'] === null ? null : Number(r['mase']));
        if (spill) await spill;
      }
    }
    // 3. Demand from the earliest day a statistic uses: the reference window, or a forecast origin's
    // MASE history (never before the months read before).
    const historyFrom = minOrigin === undefined ? windows.referenceStart : addDays(minOrigin, -maseHistoryDays);
    const earliestDay = `${earliestMonth}-01`;
    const fromDay = [windows.referenceStart, historyFrom > earliestDay ? historyFrom : earliestDay].sort()[0]!;
    const fromMonth = monthOf(fromDay);
    const demandFiles = withFiles(demandState, (add, stats) => {
      const maxDate = text(stats?.maxValues?.['date']);
      return (add.partitionValues['month'] ?? '') >= fromMonth && !(maxDate !== undefined && maxDate < fromDay);
    });
    for await (const batch of openLakeTable(lake, lakeTables.daily_demand).readColumns({
      ...signal,
      state: demandFiles,
      columns: ['sku', 'date', 'units', 'stockout'],
      partitionFilter: (p) => (p['month'] ?? '') >= fromMonth,
    })) {
      const c = batch.columns as Record<string, unknown[]>;
      for (let i = 0; i < batch.length; i++) {
        const date = String(c.date![i]);
        if (date < fromDay) continue;
        const spill = buckets.addDemand(String(c.sku![i]), date, Number(c.units![i]), c.stockout![i] === true);
        if (spill) await spill;
      }
    }

    // 4. One bucket at a time: per-SKU statistics into the fleet figures and the evaluator; a SKU
    // whose verdict hangs on this run's forecast origin waits for it (step 5).
    const fleet = new FleetDriftAccumulator(options.keepSkuStats === true);
    const evaluator = new DriftEvaluator(windows.recentStart, options.thresholds);
    const pending: SkuDriftStats[] = [];
    for await (const bucket of buckets.buckets(runIds)) {
      options.abortSignal?.throwIfAborted();
      for (const rows of bucket) {
        const r = skuDrift(rows, windows, options.stats);
        fleet.add(rows.sku, r);
        if (!r.stats) continue;
        if (options.keepSkuStats || evaluator.dependsOnForecastOrigin(r.stats)) pending.push(r.stats);
        else evaluator.add(r.stats);
      }
    }
    // 5. This run's own forecasts were made from the recent window: a SKU this run just forecast is
    // current, and data drift alone must not re-forecast it again.
    const resolved = await withOwnOrigins(lake, forecastState, options.runId, pending, signal);
    for (const s of resolved) evaluator.add(s);
    const figures = fleet.figures();
    const evaluation = evaluator.finish(figures, { orderBySku: true });
    const streamed = { buckets: buckets.bucketCount, spilledRows: buckets.spilledRows, peakHeldRows: buckets.peakHeldRows };
    log(
      `drift: streamed ${streamed.spilledRows} rows through ${streamed.buckets} SKU bucket(s) (at most ${streamed.peakHeldRows} held); demand read from ${fromDay}; ` +
        `${pending.length} SKU(s) looked up in this run's forecasts`,
    );
    const bySku = (a: string, b: string): number => (a < b ? -1 : 1);
    return {
      windows,
      fleet: figures,
      evaluation,
      ...(options.keepSkuStats
        ? {
            stats: {
              skus: resolved.sort((a, b) => bySku(a.sku, b.sku)),
              overallPsi: figures.overallPsi,
              newSkus: fleet.newSkus.sort(bySku),
              vanishedSkus: fleet.vanishedSkus.sort(bySku),
              referenceSkuCount: figures.referenceSkuCount,
              stockoutRate: figures.stockoutRate,
            },
          }
        : {}),
      streamed,
    };
  } finally {
    await buckets.close();
  }
}

/**
 * The SKUs' statistics with this run's forecast origin where it is later than the one in effect.
 * Reads the run's forecast files whose SKU range holds one of the SKUs (all of them without statistics).
 */
async function withOwnOrigins(
  lake: LakeStore,
  forecastState: TableState | undefined,
  runId: string,
  skus: SkuDriftStats[],
  signal: { abortSignal?: AbortSignal },
): Promise<SkuDriftStats[]> {
  if (skus.length === 0 || !forecastState) return skus;
  const wanted = new Set(skus.map((s) => s.sku));
  const sorted = [...wanted].sort(compareUtf8);
  const anyIn = (min: string | undefined, max: string | undefined): boolean => {
    // First wanted SKU ≥ min (binary search), then whether it is ≤ max.
    let lo = 0;
    let hi = sorted.length;
    while (min !== undefined && lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareUtf8(sorted[mid]!, min) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo < sorted.length && (max === undefined || compareUtf8(sorted[lo]!, max) <= 0);
  };
  const own = withFiles(
    forecastState,
    (add, stats) => add.partitionValues['run_id'] === runId && anyIn(text(stats?.minValues?.['sku']), text(stats?.maxValues?.['sku'])),
  );
  const origins = new Map<string, string>();
  for await (const r of openLakeTable(lake, lakeTables.forecasts).read({
    ...signal,
    state: own,
    columns: ['sku', 'origin_date'],
    partitionFilter: (p) => p['run_id'] === runId,
  })) {
    const sku = String(r['sku']);
    if (wanted.has(sku)) origins.set(sku, String(r['origin_date']));
  }
  return skus.map((s) => {
    const origin = origins.get(s.sku);
    return origin !== undefined && (s.forecastOrigin === null || s.forecastOrigin < origin) ? { ...s, forecastOrigin: origin } : s;
  });
}
