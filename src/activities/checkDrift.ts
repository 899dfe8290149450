import { openLakeTable } from '../lib/delta';
import type { DeltaRow } from '../lib/delta/types';
import {
  assessDriftFromLake,
  defaultDriftStatsOptions,
  type DriftEvaluation,
  type DriftStats,
  type DriftWindows,
  type LakeDriftOptions,
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
export { referenceWindowMultiple } from '../lib/drift';

export interface DriftAssessment {
  windows: DriftWindows | null;
  stats: DriftStats;
  evaluation: DriftEvaluation;
}

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

/** What the lake check needs of the run, the settings and the services. */
async function lakeDriftOptions(input: DriftCheckInput, services: PipelineServices, keepSkuStats: boolean): Promise<LakeDriftOptions> {
  const { settings, abortSignal } = services;
  return {
    runId: input.runId,
    runDate: input.runDate,
    inEffectRuns: await forecastRunsInEffect(services, input.runId),
    // The run's horizon and season when the orchestrator carried them (older messages: the settings').
    horizonDays: input.horizonDays ?? settings.DEMAND_FORECAST_HORIZON_DAYS,
    stats: { ...defaultDriftStatsOptions, season: input.season ?? settings.DEMAND_FORECAST_SEASON },
    thresholds: {
      psi: settings.DEMAND_DRIFT_PSI_THRESHOLD,
      accuracyRatio: settings.DEMAND_DRIFT_ACCURACY_RATIO,
      fleetShare: settings.DEMAND_DRIFT_FLEET_SHARE,
      stockoutDelta: settings.DEMAND_DRIFT_STOCKOUT_DELTA,
      maxReforecasts: settings.DEMAND_DRIFT_MAX_REFORECASTS,
    },
    keepSkuStats,
    scratchDir: settings.DEMAND_SCRATCH_DIR,
    ...(abortSignal ? { abortSignal } : {}),
    log: services.log,
  };
}

/**
 * Reads Silver daily_demand (only the days the windows need), Gold forecasts of earlier runs and
 * their backtest metrics, and evaluates drift, keeping every SKU's figures. Exposed apart from the
 * activity so tests and the CLI can see the per-SKU figures behind the events; the activity
 * streams the same assessment without keeping them (assessDriftFromLake).
 */
export async function assessDrift(input: DriftCheckInput, services: PipelineServices): Promise<DriftAssessment> {
  const result = await assessDriftFromLake(services.lake, await lakeDriftOptions(input, services, true));
  return { windows: result.windows, stats: result.stats!, evaluation: result.evaluation };
}

/**
 * The drift activity: assesses drift, writes the events to Gold `drift_events` (this run's
 * partition, replaced so a retry is idempotent) and the `driftevents` entity table, and returns the
 * SKUs to re-forecast and whether drift is fleet-wide (the orchestrator acts on both).
 */
export async function checkDrift(input: DriftCheckInput, services: PipelineServices): Promise<DriftCheckOutput> {
  const { evaluation, fleet, windows } = await assessDriftFromLake(services.lake, await lakeDriftOptions(input, services, false));
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
    `drift: ${evaluation.findings.length} events over ${fleet.skuCount} SKUs` +
      (windows ? ` (recent ${windows.recentStart}..${windows.recentEnd} vs ${windows.referenceStart}..${windows.referenceEnd})` : '') +
      `; flagged ${(evaluation.driftShare * 100).toFixed(1)}% of SKUs; re-forecast ${evaluation.driftedSkus.length}; fleet drift ${evaluation.fleetDrift}` +
      `${due ? ' (challenger due)' : ''}; overall PSI ${fleet.overallPsi?.toFixed(3) ?? 'n/a'}`,
  );
  return {
    events: evaluation.findings.length,
    driftedSkus: evaluation.driftedSkus,
    fleetDrift: evaluation.fleetDrift,
    psiOverall: fleet.overallPsi,
    skusChecked: fleet.skuCount,
    driftShare: evaluation.driftShare,
    challengerDue: due,
  };
}
