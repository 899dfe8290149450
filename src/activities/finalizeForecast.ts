import packageJson from '../../package.json';
import { openLakeTable, readOrEmpty } from '../lib/delta';
import type { DeltaRow } from '../lib/delta/types';
import { runParamNames, silverVersionParamKey } from '../lib/registry/policyMetrics';
import { promotePolicy } from '../lib/registry/promotion';
import {
  breakdownMetrics,
  breakdownTags,
  runMetricsFromBacktest,
  sumBreakdowns,
  type BacktestMetricRow,
  type RunBreakdowns,
} from '../lib/registry/runMetrics';
import { modelParamsUri, policyVersionSource } from '../lib/registry/versionSource';
import { experimentNameFor } from '../lib/tracking/mlflowSettings';
import { isEmptyBatch, openRun, unloggedPart } from '../lib/tracking/runLog';
import { entityKey } from '../lib/tables/entityKey';
import { challengerAlias, productionAlias, type MetricPoint, type Tracker } from '../lib/tracking/tracker';
import type { FinalizeForecastInput, FinalizeForecastOutput } from '../contracts/messages';
import type { PipelineServices } from '../lib/pipelineServices';
import { lakeTables } from '../lib/lakeTables';
import { mergeCounts } from '../contracts/breakdown';
import { batchBreakdownPath, batchIdOf, readSkuBatch, runBreakdownPath, skuBatchPath } from '../contracts/skuBatches';
import type { ReasonCounts } from '../contracts/messages';
import { LakeNotFoundError } from '../lib/errors';
import { forecastRunsTableName } from '../lib/runs/forecastRunIndex';
import { isPartialRunTrigger, parseTriggerKind } from '../lib/runs/triggerKind';
// Kept here while branches written against this module's former definition merge; its home is lib/runs/triggerKind.
export { partialRunTriggers } from '../lib/runs/triggerKind';

/** package.json version, plus DEMAND_CODE_VERSION (e.g. the git sha) when set: 0.1.0+3f2a9c1. */
export function codeVersion(extra: string | undefined): string {
  return extra ? `${packageJson.version}+${extra}` : packageJson.version;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toMetricRow(r: DeltaRow): BacktestMetricRow {
  return {
    sku: String(r['sku']),
    segment: String(r['segment']),
    mase: num(r['mase']),
    wape: num(r['wape']),
    bias: num(r['bias']),
    coverage90: num(r['coverage90']),
    pinball: num(r['pinball']),
    absError: Number(r['abs_err']),
    absActual: Number(r['abs_actual']),
    windows: Number(r['windows']),
  };
}

/** Figures from the batch outputs alone, when the Gold metrics table has nothing for the run. */
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
 * The run's full breakdown: merged from each batch's breakdown file in the lake when the plan's
 * batch count is known (what history carries is capped to the top counts), else from the batch
 * outputs themselves.
 */
async function runBreakdowns(input: FinalizeForecastInput, services: PipelineServices): Promise<RunBreakdowns> {
  if (input.batchCount === undefined) return sumBreakdowns(input.batches);
  const out = { models: {} as ReasonCounts, fallbacks: {} as ReasonCounts };
  const options = services.abortSignal ? { abortSignal: services.abortSignal } : {};
  for (let i = 0; i < input.batchCount; i++) {
    let text: string;
    try {
      text = (await services.lake.read(batchBreakdownPath(input.runId, batchIdOf(i)), options)).toString('utf8');
    } catch (err) {
      if (err instanceof LakeNotFoundError) continue; // a batch with no SKUs writes none
      throw err;
    }
    const b = JSON.parse(text) as { models: ReasonCounts; fallbacks: ReasonCounts };
    mergeCounts(out.models, b.models);
    mergeCounts(out.fallbacks, b.fallbacks);
  }
  return sumBreakdowns([out]);
}

/**
 * The run's forecast origin: every batch of a plan shares the data's last day, so the first
 * batch file says it (one small read, not a scan of the run's forecast rows); without batch files
 * (a run finalized from outside an orchestration), the latest origin among its Gold forecasts.
 */
async function originOfRun(input: FinalizeForecastInput, services: PipelineServices): Promise<string> {
  const signal = services.abortSignal ? { abortSignal: services.abortSignal } : {};
  if (input.batchCount !== undefined && input.batchCount > 0) {
    try {
      return (await readSkuBatch(services.lake, skuBatchPath(input.runId, batchIdOf(0)), signal)).endDate;
    } catch (err) {
      if (!(err instanceof LakeNotFoundError)) throw err;
    }
  }
  const origins = await readOrEmpty(() =>
    openLakeTable(services.lake, lakeTables.forecasts).readAll({
      ...signal,
      columns: ['origin_date'],
      partitionFilter: (p) => p['run_id'] === input.runId,
    }),
  );
  return origins.reduce((max, r) => (String(r['origin_date']) > max ? String(r['origin_date']) : max), '');
}

/** The version registered from this tracking run (a re-run with changed params is another run, so another version). */
async function findVersionOfRun(tracker: Tracker, modelName: string, trackingRunId: string) {
  const versions = await tracker.listModelVersions(modelName, { withAliases: false });
  return versions.find((v) => v.runId === trackingRunId);
}

/**
 * Tracks a forecast run (params, aggregate and per-segment backtest metrics, Gold paths) and
 * registers it as a new policy version with the `challenger` alias; with no production version
 * yet, the first one is promoted through the gate (which approves it) and the log says so.
 * Idempotent: a retry finds the run by name (a new one when params changed) and the version by its run.
 */
export async function finalizeForecast(input: FinalizeForecastInput, services: PipelineServices): Promise<FinalizeForecastOutput> {
  const { settings, lake } = services;
  const trigger = parseTriggerKind(input.trigger);
  // The run's own horizon and season (an HTTP re-forecast may ask for its own), not the global settings.
  const horizonDays = input.horizonDays ?? settings.DEMAND_FORECAST_HORIZON_DAYS;
  const season = input.season ?? settings.DEMAND_FORECAST_SEASON;
  const signal = services.abortSignal ? { abortSignal: services.abortSignal } : {};
  const tracker = services.adapters.tracker(services);
  const modelName = settings.DEMAND_REGISTERED_MODEL_NAME;
  const experimentId = await tracker.getOrCreateExperiment(experimentNameFor(settings), signal);
  let openedRunId: string | undefined;
  // Never turn a finished run (maybe behind a registered version) into a failed one.
  let finished = false;

  try {
    const metricRows = (
      await readOrEmpty(() =>
        openLakeTable(lake, lakeTables.forecast_metrics).readAll({ ...signal, partitionFilter: (p) => p['run_id'] === input.runId }),
      )
    ).map(toMetricRow);
    const fromTable = metricRows.length > 0;
    const metrics = fromTable ? runMetricsFromBacktest(metricRows) : metricsFromBatches(input);
    if (!fromTable) services.log(`finalize: no Gold forecast_metrics rows for run ${input.runId}; metrics from batch sums (no segments)`);
    // Model and fallback names are free text: counts by name go to JSON tags, never into metric keys.
    const breakdowns = await runBreakdowns(input, services);
    Object.assign(metrics, breakdownMetrics(breakdowns));
    metrics['forecast_rows'] = input.batches.reduce((a, b) => a + b.forecastRows, 0);
    // The whole breakdown stays in the lake; the output carries its path, not the counts.
    const breakdownPath = runBreakdownPath(input.runId);
    await lake.put(breakdownPath, Buffer.from(JSON.stringify({ models: breakdowns.skusByModel, fallbacks: breakdowns.fallbacks })), signal);

    // The backtest windows end where the forecasts start: same origin + windows + horizon = comparable figures.
    const origin = (await originOfRun(input, services)) || 'unknown';
    const windows = metricRows.reduce((max, r) => Math.max(max, r.windows), 0);
    const windowKey = `origin=${origin};windows=${windows};horizon=${horizonDays}`;

    const version = codeVersion(settings.DEMAND_CODE_VERSION);
    const modelParamsPath = `${lakeTables.model_params.path}/run_id=${input.runId}`;
    const params: Record<string, string> = {
      [runParamNames.pipelineRunId]: input.runId,
      [runParamNames.codeVersion]: version,
      [runParamNames.modelParamsPath]: modelParamsPath,
      [runParamNames.backtestWindowKey]: windowKey,
      'run.date': input.runDate,
      'gold.forecasts': `${lakeTables.forecasts.path}/run_id=${input.runId}`,
      'gold.forecast_metrics': `${lakeTables.forecast_metrics.path}/run_id=${input.runId}`,
      'lake.location': lake.location,
      'policy.name': input.policy ?? 'default',
      'policy.selection':
        input.policy === 'wide'
          ? 'per-SKU model chosen by rolling-origin backtest over the wide candidate set (every model but ARIMA)'
          : 'per-SKU model chosen by rolling-origin backtest within its demand class',
      'policy.horizon_days': String(horizonDays),
      'policy.season': String(season),
      'policy.batch_size': String(settings.DEMAND_FORECAST_BATCH_SIZE),
      'policy.model_timeout_ms': String(settings.DEMAND_FORECAST_MODEL_TIMEOUT_MS),
      'metrics.source': fromTable ? 'gold.forecast_metrics' : 'batch_sums',
    };
    for (const [table, tableVersion] of Object.entries(input.tableVersions)) params[silverVersionParamKey(table)] = String(tableVersion);
    const now = Date.now();
    const points: MetricPoint[] = Object.entries(metrics).map(([key, value]) => ({ key, value, timestampInMs: now, step: 0 }));
    const tags = { [runParamNames.trigger]: trigger, [runParamNames.codeVersion]: version, ...breakdownTags(breakdowns) };

    // A retry reuses the run; a re-run whose params changed gets a new one (params are write-once).
    const { run } = await openRun(
      tracker,
      experimentId,
      {
        runName: input.runId,
        startTimeInMs: Date.parse(input.startedAt) || Date.now(),
        params,
        tags: { [runParamNames.trigger]: trigger },
      },
      signal,
    );
    const trackingRunId = run.runId;
    openedRunId = trackingRunId;
    finished = run.status === 'FINISHED';
    const missing = unloggedPart(run, { params, metrics: points, tags });
    if (!isEmptyBatch(missing)) await tracker.logBatch(trackingRunId, missing, signal);
    if (!finished) {
      await tracker.endRun(trackingRunId, 'FINISHED', signal);
      finished = true;
    }

    const runIndex = await services.entities.table(forecastRunsTableName);
    const indexRun = (modelVersion: string | null) =>
      runIndex.upsert({
        partitionKey: 'run',
        rowKey: entityKey(input.runId),
        runId: input.runId,
        trigger,
        runDate: input.runDate,
        startedAt: input.startedAt,
        trackingRunId,
        modelVersion,
      });

    if (isPartialRunTrigger(trigger)) {
      await indexRun(null);
      services.log(
        `finalize: run ${input.runId} (trigger ${trigger}) tracked as ${trackingRunId}; partial re-forecast, no policy version registered`,
      );
      return { trackingRunId, modelVersion: null, metrics, breakdownPath };
    }

    await tracker.ensureRegisteredModel(modelName, {
      ...signal,
      description: 'Demand forecasting policy: config + code version + training data version; per-SKU params in Gold model_params',
    });
    const registered =
      (await findVersionOfRun(tracker, modelName, trackingRunId)) ??
      (await tracker.createModelVersion(
        modelName,
        {
          source: policyVersionSource({ lakeLocation: lake.location, modelParamsPath, run, tracker }),
          runId: trackingRunId,
          tags: {
            [runParamNames.pipelineRunId]: input.runId,
            [runParamNames.modelParamsUri]: modelParamsUri(lake.location, modelParamsPath),
            [runParamNames.trigger]: trigger,
            [runParamNames.codeVersion]: version,
            'data.daily_demand.version': String(input.tableVersions['daily_demand'] ?? 'unknown'),
          },
          description: `Forecast run ${input.runId} of ${input.runDate}`,
        },
        signal,
      ));
    const production = await tracker.getVersionByAlias(modelName, productionAlias, signal);
    if (!production) {
      const outcome = await promotePolicy({
        tracker,
        entities: services.entities,
        modelName,
        version: registered.version,
        to: productionAlias,
        margin: settings.DEMAND_PROMOTION_MARGIN,
        segmentTolerance: settings.DEMAND_PROMOTION_SEGMENT_TOLERANCE,
        decidedAt: input.startedAt,
        ...signal,
      });
      services.log(
        outcome.promoted
          ? `finalize: first policy version ${registered.version} promoted to production automatically (no production version existed)`
          : `finalize: version ${registered.version} not promoted: ${outcome.decision.reasons.join('; ')}`,
      );
    } else if (production.version !== registered.version) {
      await tracker.setAlias(modelName, challengerAlias, registered.version, signal);
      services.log(
        `finalize: version ${registered.version} registered as challenger (production is version ${production.version}); promote with \`demand models promote --version ${registered.version} --to production\``,
      );
    }
    await indexRun(registered.version);
    return { trackingRunId, modelVersion: registered.version, metrics, breakdownPath };
  } catch (err) {
    if (openedRunId && !finished) await tracker.endRun(openedRunId, 'FAILED', signal).catch(() => undefined);
    throw err;
  }
}
