import { mapRowsOrEmpty, openLakeTable, readOrEmpty } from '../lib/delta';
import type { DeltaRow } from '../lib/delta/types';
import {
  addDays,
  computeDriftStats,
  defaultDriftStatsOptions,
  driftWindows,
  evaluateDrift,
  type DemandDay,
  type DriftEvaluation,
  type DriftStats,
  type DriftWindows,
  type ExpectedAccuracy,
  type ForecastPoint,
} from '../lib/drift';
import { upsertAll } from '../lib/tables/entityStore';
import { entityKey } from '../lib/tables/entityKey';
import type { DriftCheckInput, DriftCheckOutput } from '../contracts/messages';
import type { PipelineServices } from '../lib/pipelineServices';
import { lakeTables } from '../lib/lakeTables';
import { forecastRunsTableName } from '../lib/runs/forecastRunIndex';
import { isPartialRunTrigger } from '../lib/runs/triggerKind';
import { completedRuns } from '../lib/publish/runCompletions';
import { signalOf } from '../lib/pipelineServices';

/** Entity table mirroring the drift events (for the HTTP API and quick lookups). */
export const driftEventsTableName = 'driftevents';
/** The reference window is this many recent windows long. */
export const referenceWindowMultiple = 3;

export interface DriftAssessment {
  windows: DriftWindows | null;
  stats: DriftStats;
  evaluation: DriftEvaluation;
}

const monthOf = (date: string): string => date.slice(0, 7);

/**
 * Runs whose forecasts can be in effect: the latest full production run other than `currentRunId`
 * and the partial re-forecasts after it; challenger runs never are. Undefined when the run index
 * is empty (forecasts written without finalizeForecast): then every earlier run is considered.
 */
export async function forecastRunsInEffect(services: PipelineServices, currentRunId: string): Promise<Set<string> | undefined> {
  const index = await services.entities.table(forecastRunsTableName);
  const runs: Array<{ runId: string; trigger: string; startedAt: string }> = [];
  for await (const row of index.list({ partitionKey: 'run' })) {
    runs.push({ runId: String(row['runId']), trigger: String(row['trigger']), startedAt: String(row['startedAt']) });
  }
  if (runs.length === 0) return undefined;
  // A run killed after finalize but before publish is indexed, yet never completed: its forecasts
  // were never in effect (see publish/runCompletions.ts).
  const completed = await completedRuns(services.lake, signalOf(services));
  const candidates = runs.filter(
    (r) => r.runId !== currentRunId && r.trigger !== 'challenger' && (completed === undefined || completed.has(r.runId)),
  );
  const full = candidates
    .filter((r) => !isPartialRunTrigger(r.trigger))
    .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
  const latestFull = full[full.length - 1];
  return new Set(
    candidates
      .filter((r) => !latestFull || r.runId === latestFull.runId || (isPartialRunTrigger(r.trigger) && r.startedAt >= latestFull.startedAt))
      .map((r) => r.runId),
  );
}

/**
 * Whether fleet drift should start a challenger now: not when a challenger run has started since
 * the latest full production run (it already tried the wide policy on data as recent), so a drift
 * that persists across checks costs one challenger, not one per check.
 */
export async function challengerDue(services: PipelineServices): Promise<boolean> {
  const index = await services.entities.table(forecastRunsTableName);
  let latestFull = '';
  let latestChallenger = '';
  for await (const row of index.list({ partitionKey: 'run' })) {
    const trigger = String(row['trigger']);
    const startedAt = String(row['startedAt']);
    if (trigger === 'challenger') latestChallenger = startedAt > latestChallenger ? startedAt : latestChallenger;
    else if (!isPartialRunTrigger(trigger)) latestFull = startedAt > latestFull ? startedAt : latestFull;
  }
  return latestChallenger === '' || latestChallenger < latestFull;
}

/**
 * Reads Silver daily_demand (only the months the windows need), Gold forecasts of earlier runs and
 * their backtest metrics, and evaluates drift. Exposed apart from the activity so tests and the
 * CLI can see the per-SKU figures behind the events.
 */
export async function assessDrift(input: DriftCheckInput, services: PipelineServices): Promise<DriftAssessment> {
  const { settings, lake, abortSignal } = services;
  const signal = abortSignal ? { abortSignal } : {};
  // The run's horizon and season when the orchestrator carried them (older messages: the settings').
  const horizon = input.horizonDays ?? settings.DEMAND_FORECAST_HORIZON_DAYS;
  const thresholds = {
    psi: settings.DEMAND_DRIFT_PSI_THRESHOLD,
    accuracyRatio: settings.DEMAND_DRIFT_ACCURACY_RATIO,
    fleetShare: settings.DEMAND_DRIFT_FLEET_SHARE,
    stockoutDelta: settings.DEMAND_DRIFT_STOCKOUT_DELTA,
    maxReforecasts: settings.DEMAND_DRIFT_MAX_REFORECASTS,
  };
  const demandTable = openLakeTable(lake, lakeTables.daily_demand);

  // Months present, learnt from partition values alone (no data file is read).
  const months = new Set<string>();
  await readOrEmpty(() => demandTable.readAll({ ...signal, partitionFilter: (p) => (p['month'] && months.add(p['month']), false) }));
  const latestMonth = [...months].sort().pop();
  const emptyStats: DriftStats = {
    skus: [],
    overallPsi: null,
    newSkus: [],
    vanishedSkus: [],
    referenceSkuCount: 0,
    stockoutRate: { reference: null, recent: null },
  };
  if (!latestMonth) {
    services.log('drift: no Silver daily_demand yet, nothing to check');
    return { windows: null, stats: emptyStats, evaluation: evaluateDrift({ ...emptyStats, recentWindowStart: input.runDate, thresholds }) };
  }
  const lastRows = await demandTable.readAll({ ...signal, columns: ['date'], partitionFilter: (p) => p['month'] === latestMonth });
  const lastDate = lastRows.reduce((max, r) => (String(r['date']) > max ? String(r['date']) : max), '');
  const windows = driftWindows(lastDate, horizon, horizon * referenceWindowMultiple);
  // The MASE scale uses up to 120 days of history before a forecast origin, which may precede the reference window.
  const fromMonth = monthOf(addDays(windows.referenceStart, -150));
  // Streamed into the drift records: holding the read rows as well doubled the stage's heap.
  const demand: DemandDay[] = await mapRowsOrEmpty(
    () =>
      demandTable.read({
        ...signal,
        columns: ['sku', 'date', 'units', 'stockout'],
        partitionFilter: (p) => (p['month'] ?? '') >= fromMonth,
      }),
    (r) => ({ sku: String(r['sku']), date: String(r['date']), units: Number(r['units']), stockout: r['stockout'] === true }),
  );

  // Forecasts of earlier runs (this run's own forecasts have no realised actuals yet).
  const inEffectRuns = await forecastRunsInEffect(services, input.runId);
  const forecasts: ForecastPoint[] = await mapRowsOrEmpty(
    () =>
      openLakeTable(lake, lakeTables.forecasts).read({
        ...signal,
        columns: ['run_id', 'sku', 'origin_date', 'target_date', 'point'],
        partitionFilter: (p) => p['run_id'] !== input.runId && (inEffectRuns === undefined || inEffectRuns.has(p['run_id'] ?? '')),
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
  const metricRows = runIds.size
    ? await readOrEmpty(() =>
        openLakeTable(lake, lakeTables.forecast_metrics).readAll({
          ...signal,
          columns: ['run_id', 'sku', 'wape', 'mase'],
          partitionFilter: (p) => runIds.has(p['run_id'] ?? ''),
        }),
      )
    : [];
  const expected: ExpectedAccuracy[] = metricRows.map((r) => ({
    runId: String(r['run_id']),
    sku: String(r['sku']),
    wape: r['wape'] === null ? null : Number(r['wape']),
    mase: r['mase'] === null ? null : Number(r['mase']),
  }));

  const computed = computeDriftStats(demand, forecasts, expected, windows, {
    ...defaultDriftStatsOptions,
    season: input.season ?? settings.DEMAND_FORECAST_SEASON,
  });
  // This run's own forecasts have no actuals yet, but they were made from the recent window: a
  // SKU that this run just forecast is current, and data drift alone must not re-forecast it again.
  const ownOrigins = new Map<string, string>();
  for (const r of await readOrEmpty(() =>
    openLakeTable(lake, lakeTables.forecasts).readAll({
      ...signal,
      columns: ['sku', 'origin_date'],
      partitionFilter: (p) => p['run_id'] === input.runId,
    }),
  )) {
    ownOrigins.set(String(r['sku']), String(r['origin_date']));
  }
  const stats: DriftStats = {
    ...computed,
    skus: computed.skus.map((s) => {
      const own = ownOrigins.get(s.sku);
      return own !== undefined && (s.forecastOrigin === null || s.forecastOrigin < own) ? { ...s, forecastOrigin: own } : s;
    }),
  };
  const evaluation = evaluateDrift({ ...stats, recentWindowStart: windows.recentStart, thresholds });
  return { windows, stats, evaluation };
}

/**
 * The drift activity: assesses drift, writes the events to Gold `drift_events` (this run's
 * partition, replaced so a retry is idempotent) and the `driftevents` entity table, and returns the
 * SKUs to re-forecast and whether drift is fleet-wide (the orchestrator acts on both).
 */
export async function checkDrift(input: DriftCheckInput, services: PipelineServices): Promise<DriftCheckOutput> {
  const { evaluation, stats, windows } = await assessDrift(input, services);
  const def = lakeTables.drift_events;
  const rows: DeltaRow[] = evaluation.findings.map((f) => ({
    run_id: input.runId,
    detected_at: input.startedAt,
    sku: f.sku,
    kind: f.kind,
    value: f.value,
    threshold: f.threshold,
    action: f.action,
  }));
  await openLakeTable(services.lake, def).write(rows, {
    schema: def.schema,
    partitionBy: def.partitionBy,
    mode: 'overwritePartitions',
    partitions: [{ run_id: input.runId }],
    commitInfo: { runId: input.runId, operation: 'checkDrift' },
    ...signalOf(services),
  });
  // One partition per run, written in one batch: the cost does not grow with earlier runs' events.
  const table = await services.entities.table(driftEventsTableName);
  await upsertAll(
    table,
    evaluation.findings.map((f) => ({
      partitionKey: entityKey(input.runId),
      rowKey: entityKey(`${f.kind}:${f.sku ?? '*'}`),
      runId: input.runId,
      detectedAt: input.startedAt,
      sku: f.sku,
      kind: f.kind,
      value: f.value,
      threshold: f.threshold,
      action: f.action,
    })),
  );
  const due = evaluation.fleetDrift && (await challengerDue(services));
  services.log(
    `drift: ${evaluation.findings.length} events over ${stats.skus.length} SKUs` +
      (windows ? ` (recent ${windows.recentStart}..${windows.recentEnd} vs ${windows.referenceStart}..${windows.referenceEnd})` : '') +
      `; flagged ${(evaluation.driftShare * 100).toFixed(1)}% of SKUs; re-forecast ${evaluation.driftedSkus.length}; fleet drift ${evaluation.fleetDrift}` +
      `${due ? ' (challenger due)' : ''}; overall PSI ${stats.overallPsi?.toFixed(3) ?? 'n/a'}`,
  );
  return {
    events: evaluation.findings.length,
    driftedSkus: evaluation.driftedSkus,
    fleetDrift: evaluation.fleetDrift,
    psiOverall: stats.overallPsi,
    skusChecked: stats.skus.length,
    driftShare: evaluation.driftShare,
    challengerDue: due,
  };
}
