/**
 * A seeded fleet on a folder lake for the drift check: Silver daily_demand over eight months
 * (stable, shifted, intermittent, new, vanished, stockout and weekly SKUs, a few duplicated days),
 * Gold forecasts of an old full run, the full run in effect, partial re-forecasts and this run,
 * several files per partition, and the backtest metrics (some null); and the drift assessment as
 * checkDrift made it before it streamed (inMemoryAssessment), to compare the streamed one with.
 */
import { mapRowsOrEmpty, openLakeTable, readOrEmpty } from '../../src/lib/delta';
import {
  addDays,
  computeDriftStats,
  defaultDriftStatsOptions,
  driftWindows,
  evaluateDrift,
  type DemandDay,
  type DriftThresholds,
  type ExpectedAccuracy,
  type ForecastPoint,
} from '../../src/lib/drift';
import type { DeltaRow } from '../../src/lib/delta/types';
import type { LakeStore } from '../../src/lib/lake/lakeStore';
import { lakeTables, type LakeTableDef } from '../../src/lib/lakeTables';
import { seededRandom } from '../../src/lib/sample/seededRandom';
import { dailyDemandRow, fixtureDay } from '../support/dailyDemandFixture';

/** ISO date `offset` days after 2011-01-01. */
export const fleetDay = fixtureDay;
/** The last day with demand: with a 28-day horizon, recent = days 212..239, reference = 128..211. */
export const lastFleetDay = 239;
export const horizonDays = 28;
export const ownRunId = 'own';
/** Runs whose forecasts can be in effect (as forecastRunsInEffect would name them); 'full-old' is not. */
export const inEffectRuns = new Set(['full-1', 'drift-0', 'drift-1']);

function poisson(rand: () => number, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

export const fleetSku = (i: number): string => `S${String(i).padStart(5, '0')}`;

async function append(lake: LakeStore, def: LakeTableDef, rows: DeltaRow[], targetRowsPerFile: number): Promise<void> {
  if (rows.length === 0) return;
  await openLakeTable(lake, def).write(rows, { schema: def.schema, partitionBy: def.partitionBy, mode: 'append', targetRowsPerFile });
}

const forecastRow = (runId: string, sku: string, origin: number, step: number, point: number): DeltaRow => ({
  run_id: runId,
  sku,
  origin_date: fleetDay(origin),
  target_date: fleetDay(origin + step),
  step,
  point,
  q05: point * 0.5,
  q25: point * 0.8,
  q50: point,
  q75: point * 1.2,
  q95: point * 1.6,
  model: 'snaive',
  expected: point,
});

const metricRow = (runId: string, sku: string, wape: number | null, mase: number | null): DeltaRow => ({
  run_id: runId,
  sku,
  model: 'snaive',
  segment: 'smooth',
  demand_class: 'smooth',
  mase,
  wape,
  smape: null,
  bias: null,
  coverage90: null,
  pinball: null,
  abs_err: 1,
  abs_actual: 1,
  windows: 3,
  fallback_reason: null,
});

/** Writes the fleet of `skuCount` SKUs; SKUs go to files `skusPerFile` at a time. */
export async function writeDriftFleet(
  lake: LakeStore,
  skuCount: number,
  options: { seed?: number; skusPerFile?: number } = {},
): Promise<void> {
  const rand = seededRandom(options.seed ?? 7);
  const perFile = options.skusPerFile ?? 50;
  const demand: DeltaRow[] = [];
  const duplicates: DeltaRow[] = [];
  const forecasts = new Map<string, DeltaRow[]>();
  const metrics: DeltaRow[] = [];
  const forecast = (runId: string, row: DeltaRow): void => {
    const rows = forecasts.get(runId);
    if (rows) rows.push(row);
    else forecasts.set(runId, [row]);
  };
  {
    for (let i = 0; i < skuCount; i++) {
      const sku = fleetSku(i);
      const level = 1 + (i % 13) * 1.5;
      const kind = i % 7;
      const start = kind === 3 ? 220 : i % 5 === 1 ? 30 : 0;
      const end = kind === 4 ? 200 : lastFleetDay;
      const levelAt = (d: number): number =>
        kind === 1 && d >= 212 ? level * 3 : kind === 2 ? (d % 9 === 0 ? level : 0.05) : kind === 6 ? level * (d % 7 === 5 ? 3 : 1) : level;
      if (i % 17 !== 16) {
        for (let d = start; d <= end; d++) {
          const onHand = kind === 5 ? (d % 6 === 0 && d > 150 ? 0 : 40) : null;
          const units = poisson(rand, levelAt(d));
          const row = dailyDemandRow(sku, d, units, onHand);
          demand.push(row);
          // A few days written twice (a later file's row wins, as a Map keeps the last).
          if (i % 19 === 3 && d % 41 === 0) duplicates.push({ ...row, units: units + 2 });
        }
      }
      const pointAt = (d: number): number => Math.round(levelAt(Math.min(d, 211)) * (0.8 + 0.4 * rand()) * 100) / 100;
      for (let step = 1; step <= horizonDays; step++) forecast('full-old', forecastRow('full-old', sku, 150, step, pointAt(150 + step)));
      if (i % 5 !== 4) {
        for (let step = 1; step <= horizonDays; step++) forecast('full-1', forecastRow('full-1', sku, 200, step, pointAt(200 + step)));
        metrics.push(metricRow('full-1', sku, i % 11 === 0 ? null : 0.2 + (i % 4) * 0.1, i % 13 === 0 ? null : 0.9));
      }
      // A partial run whose targets all precede the reference window: nothing the check uses.
      if (i % 9 === 2) for (let step = 1; step <= horizonDays; step++) forecast('drift-0', forecastRow('drift-0', sku, 60, step, level));
      if (i % 10 === 7) {
        for (let step = 1; step <= horizonDays; step++)
          forecast('drift-1', forecastRow('drift-1', sku, 215, step, pointAt(215 + step) * 2));
        metrics.push(metricRow('drift-1', sku, 0.15, 0.7));
      }
      if (i % 3 !== 0)
        for (let step = 1; step <= horizonDays; step++) forecast(ownRunId, forecastRow(ownRunId, sku, lastFleetDay, step, level));
    }
  }
  // Files of `perFile` SKUs' days a month; this run's forecasts in files of 10 SKUs, as forecast
  // batches write them (their SKU ranges tell them apart).
  await append(lake, lakeTables.daily_demand, demand, perFile * 28);
  await append(lake, lakeTables.daily_demand, duplicates, perFile * 28);
  for (const [runId, rows] of forecasts) await append(lake, lakeTables.forecasts, rows, (runId === ownRunId ? 10 : perFile) * horizonDays);
  await append(lake, lakeTables.forecast_metrics, metrics, perFile);
}

/** The assessment as checkDrift made it before it streamed: every needed row read and held. */
export async function inMemoryAssessment(lake: LakeStore, runs: ReadonlySet<string> | undefined, thresholds: DriftThresholds) {
  const demandTable = openLakeTable(lake, lakeTables.daily_demand);
  const months = new Set<string>();
  await demandTable.readAll({ partitionFilter: (p) => (p['month'] && months.add(p['month']), false) });
  const latestMonth = [...months].sort().pop();
  const lastRows = await demandTable.readAll({ columns: ['date'], partitionFilter: (p) => p['month'] === latestMonth });
  const lastDate = lastRows.reduce((max, r) => (String(r['date']) > max ? String(r['date']) : max), '');
  const windows = driftWindows(lastDate, horizonDays, horizonDays * 3);
  const fromMonth = addDays(windows.referenceStart, -150).slice(0, 7);
  const demand: DemandDay[] = await mapRowsOrEmpty(
    () => demandTable.read({ columns: ['sku', 'date', 'units', 'stockout'], partitionFilter: (p) => (p['month'] ?? '') >= fromMonth }),
    (r) => ({ sku: String(r['sku']), date: String(r['date']), units: Number(r['units']), stockout: r['stockout'] === true }),
  );
  const forecasts: ForecastPoint[] = await mapRowsOrEmpty(
    () =>
      openLakeTable(lake, lakeTables.forecasts).read({
        columns: ['run_id', 'sku', 'origin_date', 'target_date', 'point'],
        partitionFilter: (p) => p['run_id'] !== ownRunId && (runs === undefined || runs.has(p['run_id'] ?? '')),
      }),
    (r) =>
      String(r['target_date']) >= windows.referenceStart
        ? {
            runId: String(r['run_id']),
            sku: String(r['sku']),
            originDate: String(r['origin_date']),
            targetDate: String(r['target_date']),
            point: Number(r['point']),
          }
        : undefined,
  );
  const runIds = new Set(forecasts.map((f) => f.runId));
  const expected: ExpectedAccuracy[] = (
    await readOrEmpty(() =>
      openLakeTable(lake, lakeTables.forecast_metrics).readAll({
        columns: ['run_id', 'sku', 'wape', 'mase'],
        partitionFilter: (p) => runIds.has(p['run_id'] ?? ''),
      }),
    )
  ).map((r) => ({
    runId: String(r['run_id']),
    sku: String(r['sku']),
    wape: r['wape'] === null ? null : Number(r['wape']),
    mase: r['mase'] === null ? null : Number(r['mase']),
  }));
  const computed = computeDriftStats(demand, forecasts, expected, windows, { ...defaultDriftStatsOptions, season: 7 });
  const ownOrigins = new Map<string, string>();
  for (const r of await openLakeTable(lake, lakeTables.forecasts).readAll({
    columns: ['sku', 'origin_date'],
    partitionFilter: (p) => p['run_id'] === ownRunId,
  }))
    ownOrigins.set(String(r['sku']), String(r['origin_date']));
  const stats = {
    ...computed,
    skus: computed.skus.map((s) => {
      const own = ownOrigins.get(s.sku);
      return own !== undefined && (s.forecastOrigin === null || s.forecastOrigin < own) ? { ...s, forecastOrigin: own } : s;
    }),
  };
  return { windows, stats, evaluation: evaluateDrift({ ...stats, recentWindowStart: windows.recentStart, thresholds }) };
}
