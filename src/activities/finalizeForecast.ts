import packageJson from '../../package.json';
import { DeltaTableNotFoundError, openLakeTable } from '../lib/delta';
import { runParamNames, silverVersionParamKey } from '../lib/registry/policyMetrics';
import { promotePolicy } from '../lib/registry/promotion';
import {
  addBacktestRow,
  backtestRowOf,
  emptySegmentedSums,
  isSegmentedSums,
  mergeSegmentedSums,
  metricsFromSums,
  type SegmentedBacktestSums,
} from '../lib/registry/backtestSums';
import { breakdownMetrics, breakdownTags, sumBreakdowns, type RunBreakdowns } from '../lib/registry/runMetrics';
import { modelParamsUri, policyVersionSource } from '../lib/registry/versionSource';
import { experimentNameFor } from '../lib/tracking/mlflowSettings';
import { isEmptyBatch, openRun, unloggedPart } from '../lib/tracking/runLog';
import { entityKey } from '../lib/tables/entityKey';
import { challengerAlias, productionAlias, type MetricPoint, type TrackedRun, type Tracker } from '../lib/tracking/tracker';
import type { FinalizeForecastInput, FinalizeForecastOutput } from '../contracts/messages';
import type { PipelineServices } from '../lib/pipelineServices';
import { lakeTables } from '../lib/lakeTables';
import { mergeCounts } from '../contracts/breakdown';
import { batchBreakdownPath, batchIdOf, readSkuBatch, runBreakdownPath, skuBatchPath } from '../contracts/skuBatches';
import type { ReasonCounts } from '../contracts/messages';
import { LakeNotFoundError } from '../lib/errors';
import { forecastRunsTableName } from '../lib/runs/forecastRunIndex';
import { isPartialRunTrigger, parseTriggerKind } from '../lib/runs/triggerKind';
import { signalOf } from '../lib/pipelineServices';
import { commitRunGold } from './goldStaging';
import { releaseIdleForecastWorkers } from './forecastPool';

/** package.json version, plus DEMAND_CODE_VERSION (e.g. the git sha) when set: 0.1.0+3f2a9c1. */
export function codeVersion(extra: string | undefined): string {
  return extra ? `${packageJson.version}+${extra}` : packageJson.version;
}

/** Where a run's figures came from (the `metrics.source` param). */
type MetricsSource = 'batch_summaries' | 'gold.forecast_metrics' | 'batch_sums';

interface RunFigures {
  metrics: Record<string, number>;
  breakdowns: RunBreakdowns;
  /** Backtest windows of the run (0 when unknown). */
  windows: number;
  source: MetricsSource;
}

/** A batch's summary file (forecastBatch): its full breakdown and, since coverage50, its backtest sums. */
interface BatchSummary {
  models: ReasonCounts;
  fallbacks: ReasonCounts;
  backtest?: unknown;
}

/** Figures from the batch outputs alone, when neither batch summaries nor Gold rows have the run. */
function metricsFromBatches(input: FinalizeForecastInput): Record<string, number> {
  const sum = input.batches.reduce(
    (a, b) => ({
      absError: a.absError + b.backtest.absError,
      absActual: a.absActual + b.backtest.absActual,
      maseSum: a.maseSum + b.backtest.maseSum,
      maseCount: a.maseCount + b.backtest.maseCount,
    }),
    { absError: 0, absActual: 0, maseSum: 0, maseCount: 0 },
  );
  const out: Record<string, number> = { skus: input.batches.reduce((a, b) => a + b.skus, 0) };
  if (sum.absActual > 0) out['wape'] = sum.absError / sum.absActual;
  if (sum.maseCount > 0) out['mase'] = sum.maseSum / sum.maseCount;
  return out;
}

/**
 * The run's full breakdown and backtest sums, merged from each batch's summary file in the lake one
 * file at a time when the plan's batch count is known (what history carries is capped to the top
 * counts), else the breakdown from the batch outputs. Sums are undefined when a batch file has none
 * (written before batches summed their backtest).
 */
async function readBatchSummaries(
  input: FinalizeForecastInput,
  services: PipelineServices,
): Promise<{ breakdowns: RunBreakdowns; sums: SegmentedBacktestSums | undefined }> {
  if (input.batchCount === undefined) return { breakdowns: sumBreakdowns(input.batches), sums: undefined };
  const counts = { models: {} as ReasonCounts, fallbacks: {} as ReasonCounts };
  let sums: SegmentedBacktestSums | undefined = emptySegmentedSums();
  for (let i = 0; i < input.batchCount; i++) {
    let text: string;
    try {
      text = (await services.lake.read(batchBreakdownPath(input.runId, batchIdOf(i)), signalOf(services))).toString('utf8');
    } catch (err) {
      if (err instanceof LakeNotFoundError) continue; // a batch with no SKUs writes none
      throw err;
    }
    const b = JSON.parse(text) as BatchSummary;
    mergeCounts(counts.models, b.models);
    mergeCounts(counts.fallbacks, b.fallbacks);
    sums = sums && isSegmentedSums(b.backtest) ? mergeSegmentedSums(sums, b.backtest) : undefined;
  }
  return { breakdowns: sumBreakdowns([counts]), sums };
}

/** The run's Gold forecast_metrics rows added up as they stream (one data file at a time, never the fleet's rows). */
async function sumsFromGold(input: FinalizeForecastInput, services: PipelineServices): Promise<SegmentedBacktestSums> {
  const sums = emptySegmentedSums();
  try {
    const rows = openLakeTable(services.lake, lakeTables.forecast_metrics).read({
      ...signalOf(services),
      partitionFilter: (p) => p['run_id'] === input.runId,
    });
    for await (const row of rows) addBacktestRow(sums, backtestRowOf(row));
  } catch (err) {
    if (!(err instanceof DeltaTableNotFoundError)) throw err;
  }
  return sums;
}

/**
 * The run's tracked figures: from the batch summaries when every batch has its sums (coverage50
 * included), else from the Gold forecast_metrics rows, else from the batch outputs (no segments);
 * plus the breakdown counts and the Gold forecast row count.
 */
async function runFigures(input: FinalizeForecastInput, services: PipelineServices): Promise<RunFigures> {
  const { breakdowns, sums } = await readBatchSummaries(input, services);
  let figures: Omit<RunFigures, 'breakdowns'>;
  if (sums && sums.total.skus > 0) {
    figures = { metrics: metricsFromSums(sums), windows: sums.total.windows, source: 'batch_summaries' };
  } else {
    const gold = await sumsFromGold(input, services);
    figures =
      gold.total.skus > 0
        ? { metrics: metricsFromSums(gold), windows: gold.total.windows, source: 'gold.forecast_metrics' }
        : { metrics: metricsFromBatches(input), windows: 0, source: 'batch_sums' };
  }
  if (figures.source === 'batch_sums')
    services.log(`finalize: no Gold forecast_metrics rows for run ${input.runId}; metrics from batch sums (no segments)`);
  // Model and fallback names are free text: counts by name go to JSON tags, never into metric keys.
  Object.assign(figures.metrics, breakdownMetrics(breakdowns));
  figures.metrics['forecast_rows'] = input.batches.reduce((a, b) => a + b.forecastRows, 0);
  return { ...figures, breakdowns };
}

/**
 * The run's forecast origin: every batch of a plan shares the data's last day, so the first
 * batch file says it (one small read, not a scan of the run's forecast rows); without batch files
 * (a run finalized from outside an orchestration), the latest origin among its Gold forecasts.
 */
async function originOfRun(input: FinalizeForecastInput, services: PipelineServices): Promise<string> {
  const signal = signalOf(services);
  if (input.batchCount !== undefined && input.batchCount > 0) {
    try {
      return (await readSkuBatch(services.lake, skuBatchPath(input.runId, batchIdOf(0)), signal)).endDate;
    } catch (err) {
      if (!(err instanceof LakeNotFoundError)) throw err;
    }
  }
  let latest = '';
  try {
    const rows = openLakeTable(services.lake, lakeTables.forecasts).read({
      ...signal,
      columns: ['origin_date'],
      partitionFilter: (p) => p['run_id'] === input.runId,
    });
    for await (const r of rows) if (String(r['origin_date']) > latest) latest = String(r['origin_date']);
  } catch (err) {
    if (!(err instanceof DeltaTableNotFoundError)) throw err;
  }
  return latest;
}

/** Run params: pipeline identity, code and data versions, Gold paths, the policy and where the metrics came from. */
function runParams(
  input: FinalizeForecastInput,
  services: PipelineServices,
  run: { version: string; windowKey: string; modelParamsPath: string; source: MetricsSource; horizonDays: number; season: number },
): Record<string, string> {
  const { settings, lake } = services;
  const params: Record<string, string> = {
    [runParamNames.pipelineRunId]: input.runId,
    [runParamNames.codeVersion]: run.version,
    [runParamNames.modelParamsPath]: run.modelParamsPath,
    [runParamNames.backtestWindowKey]: run.windowKey,
    'run.date': input.runDate,
    'gold.forecasts': `${lakeTables.forecasts.path}/run_id=${input.runId}`,
    'gold.forecast_metrics': `${lakeTables.forecast_metrics.path}/run_id=${input.runId}`,
    'lake.location': lake.location,
    'policy.name': input.policy ?? 'default',
    'policy.selection':
      input.policy === 'wide'
        ? 'per-SKU model chosen by rolling-origin backtest over the wide candidate set (every model but ARIMA)'
        : 'per-SKU model chosen by rolling-origin backtest within its demand class',
    'policy.horizon_days': String(run.horizonDays),
    'policy.season': String(run.season),
    'policy.batch_size': String(settings.DEMAND_FORECAST_BATCH_SIZE),
    'policy.model_timeout_ms': String(settings.DEMAND_FORECAST_MODEL_TIMEOUT_MS),
    'metrics.source': run.source,
  };
  for (const [table, tableVersion] of Object.entries(input.tableVersions)) params[silverVersionParamKey(table)] = String(tableVersion);
  return params;
}

/** The version registered from this tracking run (a re-run with changed params is another run, so another version). */
async function findVersionOfRun(tracker: Tracker, modelName: string, trackingRunId: string) {
  const versions = await tracker.listModelVersions(modelName, { withAliases: false });
  return versions.find((v) => v.runId === trackingRunId);
}

/** What the catch of finalizeForecast needs to know: the run opened, and whether it is finished already. */
interface TrackingProgress {
  trackingRunId?: string;
  finished: boolean;
}

/**
 * Opens the tracking run (a retry reuses it; a re-run whose params changed gets a new one, params
 * being write-once), logs what it lacks and ends it FINISHED.
 */
async function logTrackingRun(
  tracker: Tracker,
  experimentId: string,
  input: FinalizeForecastInput,
  logged: { params: Record<string, string>; metrics: MetricPoint[]; tags: Record<string, string> },
  progress: TrackingProgress,
  signal: { abortSignal?: AbortSignal },
): Promise<TrackedRun> {
  const { run } = await openRun(
    tracker,
    experimentId,
    {
      runName: input.runId,
      startTimeInMs: Date.parse(input.startedAt) || Date.now(),
      params: logged.params,
      tags: { [runParamNames.trigger]: input.trigger },
    },
    signal,
  );
  progress.trackingRunId = run.runId;
  // Never turn a finished run (maybe behind a registered version) into a failed one.
  progress.finished = run.status === 'FINISHED';
  const missing = unloggedPart(run, logged);
  if (!isEmptyBatch(missing)) await tracker.logBatch(run.runId, missing, signal);
  if (!progress.finished) {
    await tracker.endRun(run.runId, 'FINISHED', signal);
    progress.finished = true;
  }
  return run;
}

/** Records the run in the forecast-runs index (the drift check's way to the forecasts in effect). */
async function indexRun(services: PipelineServices, input: FinalizeForecastInput, trackingRunId: string, modelVersion: string | null) {
  const runIndex = await services.entities.table(forecastRunsTableName);
  await runIndex.upsert({
    partitionKey: 'run',
    rowKey: entityKey(input.runId),
    runId: input.runId,
    trigger: input.trigger,
    runDate: input.runDate,
    startedAt: input.startedAt,
    trackingRunId,
    modelVersion,
  });
}

/** The policy version of this tracking run: found (a retry) or created, under the registered model. */
async function registerPolicyVersion(
  tracker: Tracker,
  services: PipelineServices,
  input: FinalizeForecastInput,
  run: { tracked: TrackedRun; version: string; modelParamsPath: string },
  signal: { abortSignal?: AbortSignal },
): Promise<string> {
  const { lake } = services;
  const modelName = services.settings.DEMAND_REGISTERED_MODEL_NAME;
  await tracker.ensureRegisteredModel(modelName, {
    ...signal,
    description: 'Demand forecasting policy: config + code version + training data version; per-SKU params in Gold model_params',
  });
  const found = await findVersionOfRun(tracker, modelName, run.tracked.runId);
  if (found) return found.version;
  const created = await tracker.createModelVersion(
    modelName,
    {
      source: policyVersionSource({ lakeLocation: lake.location, modelParamsPath: run.modelParamsPath, run: run.tracked, tracker }),
      runId: run.tracked.runId,
      tags: {
        [runParamNames.pipelineRunId]: input.runId,
        [runParamNames.modelParamsUri]: modelParamsUri(lake.location, run.modelParamsPath),
        [runParamNames.trigger]: input.trigger,
        [runParamNames.codeVersion]: run.version,
        'data.daily_demand.version': String(input.tableVersions['daily_demand'] ?? 'unknown'),
      },
      description: `Forecast run ${input.runId} of ${input.runDate}`,
    },
    signal,
  );
  return created.version;
}

/**
 * With no production version yet, the first one is promoted through the gate (which approves it);
 * otherwise a new version becomes the challenger. The log says which.
 */
async function promoteFirstOrChallenge(
  tracker: Tracker,
  services: PipelineServices,
  input: FinalizeForecastInput,
  version: string,
  signal: { abortSignal?: AbortSignal },
): Promise<void> {
  const { settings } = services;
  const modelName = settings.DEMAND_REGISTERED_MODEL_NAME;
  const production = await tracker.getVersionByAlias(modelName, productionAlias, signal);
  if (!production) {
    const outcome = await promotePolicy({
      tracker,
      entities: services.entities,
      modelName,
      version,
      to: productionAlias,
      margin: settings.DEMAND_PROMOTION_MARGIN,
      segmentTolerance: settings.DEMAND_PROMOTION_SEGMENT_TOLERANCE,
      decidedAt: input.startedAt,
      ...signal,
    });
    services.log(
      outcome.promoted
        ? `finalize: first policy version ${version} promoted to production automatically (no production version existed)`
        : `finalize: version ${version} not promoted: ${outcome.decision.reasons.join('; ')}`,
    );
  } else if (production.version !== version) {
    await tracker.setAlias(modelName, challengerAlias, version, signal);
    services.log(
      `finalize: version ${version} registered as challenger (production is version ${production.version}); promote with \`demand models promote --version ${version} --to production\``,
    );
  }
}

/**
 * Commits the run's staged Gold rows (every batch's files in one commit per table, goldStaging.ts),
 * then tracks the run (params, aggregate and per-segment backtest metrics, Gold paths) and
 * registers it as a new policy version with the `challenger` alias; with no production version
 * yet, the first one is promoted through the gate (which approves it) and the log says so.
 * Idempotent: a retry finds the run by name (a new one when params changed) and the version by its run.
 * Memory stays flat in the fleet: figures are sums merged batch by batch, never a row per SKU.
 */
export async function finalizeForecast(input: FinalizeForecastInput, services: PipelineServices): Promise<FinalizeForecastOutput> {
  const { settings, lake } = services;
  const trigger = parseTriggerKind(input.trigger);
  // The run's own horizon and season (an HTTP re-forecast may ask for its own), not the global settings.
  const horizonDays = input.horizonDays ?? settings.DEMAND_FORECAST_HORIZON_DAYS;
  const season = input.season ?? settings.DEMAND_FORECAST_SEASON;
  const run: FinalizeForecastInput = { ...input, trigger };
  const signal = signalOf(services);
  // The fan-out is over: its idle forecast workers go now, not after their idle timeout (a no-op while a worker task is in flight;
  // another run's fan-out between batches then starts new workers for its next batch: time, not data).
  await releaseIdleForecastWorkers();
  // Gold first: the figures' fallback, planInventory and publish read the run's committed rows.
  const gold = await commitRunGold(services, input.runId, input.batchCount);
  if (gold.orphansDeleted > 0)
    services.log(`finalize: ${gold.orphansDeleted} staged file(s) of earlier attempts deleted (never committed)`);
  const tracker = services.adapters.tracker(services);
  const experimentId = await tracker.getOrCreateExperiment(experimentNameFor(settings), signal);
  const progress: TrackingProgress = { finished: false };
  try {
    const figures = await runFigures(input, services);
    const { metrics, breakdowns } = figures;
    // The whole breakdown stays in the lake; the output carries its path, not the counts.
    const breakdownPath = runBreakdownPath(input.runId);
    await lake.put(breakdownPath, Buffer.from(JSON.stringify({ models: breakdowns.skusByModel, fallbacks: breakdowns.fallbacks })), signal);
    // The backtest windows end where the forecasts start: same origin + windows + horizon = comparable figures.
    const origin = (await originOfRun(input, services)) || 'unknown';
    const windowKey = `origin=${origin};windows=${figures.windows};horizon=${horizonDays}`;
    const version = codeVersion(settings.DEMAND_CODE_VERSION);
    const modelParamsPath = `${lakeTables.model_params.path}/run_id=${input.runId}`;
    const params = runParams(run, services, { version, windowKey, modelParamsPath, source: figures.source, horizonDays, season });
    const now = Date.now();
    const points: MetricPoint[] = Object.entries(metrics).map(([key, value]) => ({ key, value, timestampInMs: now, step: 0 }));
    const tags = { [runParamNames.trigger]: trigger, [runParamNames.codeVersion]: version, ...breakdownTags(breakdowns) };
    const tracked = await logTrackingRun(tracker, experimentId, run, { params, metrics: points, tags }, progress, signal);
    const output = { trackingRunId: tracked.runId, metrics, breakdownPath, ...fleetBiasOf(metrics) };

    if (isPartialRunTrigger(trigger)) {
      await indexRun(services, run, tracked.runId, null);
      services.log(
        `finalize: run ${input.runId} (trigger ${trigger}) tracked as ${tracked.runId}; partial re-forecast, no policy version registered`,
      );
      return { ...output, modelVersion: null };
    }
    const modelVersion = await registerPolicyVersion(tracker, services, run, { tracked, version, modelParamsPath }, signal);
    await promoteFirstOrChallenge(tracker, services, run, modelVersion, signal);
    await indexRun(services, run, tracked.runId, modelVersion);
    return { ...output, modelVersion };
  } catch (err) {
    if (progress.trackingRunId && !progress.finished) await tracker.endRun(progress.trackingRunId, 'FAILED', signal).catch(() => undefined);
    throw err;
  }
}

/** The fleet bias as a top-level number of the output, so run records (numbers one level deep) carry it. */
function fleetBiasOf(metrics: Record<string, number>): { fleetBias?: number } {
  const value = metrics['fleet_bias'];
  return value !== undefined && Number.isFinite(value) ? { fleetBias: value } : {};
}
