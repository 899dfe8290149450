import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { DataQualityError, ValidationError, errorText } from '../lib/errors';
import type { BuildSilverMessage, IngestInventoryMessage, IngestOrdersMessage } from '../contracts/bronzeReferences';
import type { BuildSilverOutput, DriftCheckInput, DriftCheckOutput, NotifyCallbackInput, PublishInput } from '../contracts/messages';
import { callActivity, callSubOrchestrator } from './calls';
import { callForecastRun, runContextOf } from './forecastRun';
import { demandPipelineInputSchema, type DemandPipelineInput, type ForecastRunInput } from './input';
import { activityNames, orchestratorNames } from '../contracts/names';
import { activityRetry } from './retry';
import { addCounts, type ForecastRunOutput, type RunSummary } from './summary';

/**
 * The daily pipeline: ingest orders → ingest inventory → cleanse/join/aggregate (Silver) →
 * forecast run (plan, fan-out, track, inventory actions, publish) → drift check (re-forecast drifted
 * SKUs) → ADF callback when ADF started it. Fleet-wide drift does not start a challenger here: it
 * would forecast the whole fleet a second time on the daily run's critical path. The drift check
 * reports it due; the drift monitor (its own orchestration, on its schedule) runs it.
 * Failures no retry can fix (ActivityFailure results) fail the run at once, without retries.
 * Deterministic: time only from context.df.currentUtcDateTime, no I/O; only references and counts
 * travel through the history.
 */
export const demandPipeline: OrchestrationHandler = function* (context: OrchestrationContext) {
  const raw = context.df.getInput<Partial<DemandPipelineInput> | undefined>();
  const parsed = demandPipelineInputSchema.safeParse(raw);
  // A malformed input still answers ADF's callback (with the failure), so ADF does not wait out its timeout.
  const callBackUri = parsed.success ? parsed.data.callBackUri : typeof raw?.callBackUri === 'string' ? raw.callBackUri : undefined;
  const run = runContextOf(context);
  const retry = activityRetry(parsed.success ? parsed.data.options : fallbackOptions);
  const summary: RunSummary = {
    runId: run.runId,
    trigger: parsed.success ? parsed.data.trigger : null,
    startedAt: run.startedAt,
    status: 'Completed',
    stages: {},
    quarantineReasons: {},
    outputs: {},
  };

  try {
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ValidationError(
        String(issue?.path.join('.') || 'input'),
        `Orchestration input is invalid at ${issue?.path.join('.') || 'input'}: ${issue?.message ?? 'bad value'}`,
      );
    }
    const input = parsed.data;
    context.df.setCustomStatus({ stage: 'ingestOrders' });
    const { manifestsPath: orderManifestsPath, ...orders } = yield* callActivity<IngestOrdersMessage>(
      context,
      activityNames.ingestOrders,
      retry,
      { ...run, source: 'orders' },
    );
    summary.stages.ingestOrders = orders;

    context.df.setCustomStatus({ stage: 'ingestInventory' });
    const { manifestsPath: inventoryManifestsPath, ...inventory } = yield* callActivity<IngestInventoryMessage>(
      context,
      activityNames.ingestInventory,
      retry,
      { ...run },
    );
    summary.stages.ingestInventory = inventory;

    context.df.setCustomStatus({ stage: 'buildSilver' });
    // The Bronze parts travel as lists in the lake: only their paths go through history.
    const silverInput: BuildSilverMessage = { ...run, orderManifestsPath, inventoryManifestsPath };
    const silver = yield* callActivity<BuildSilverOutput>(context, activityNames.buildSilver, retry, silverInput);
    summary.stages.silver = silver;
    addCounts(summary.quarantineReasons, silver.quarantineReasons);
    // Nothing usable is never "Completed": no forecast, no policy registered on such data.
    if (silver.quality?.failed)
      throw new DataQualityError(silver.quality.message ?? 'order records quarantined above DEMAND_QUARANTINE_MAX_SHARE');

    context.df.setCustomStatus({ stage: 'forecastRun' });
    const forecastInput: ForecastRunInput = {
      run,
      trigger: input.trigger,
      dailyDemandVersion: silver.tableVersions['daily_demand'] ?? -1,
      tableVersions: silver.tableVersions,
      publishMode: 'batch',
      options: input.options,
    };
    const forecast: ForecastRunOutput = yield* callForecastRun(context, retry, forecastInput, `${run.runId}:forecastRun`);
    summary.stages.forecast = forecast.forecast;
    summary.stages.tracking = forecast.tracking;
    if (forecast.inventory) summary.stages.inventory = forecast.inventory;
    if (forecast.publish) {
      summary.stages.publish = forecast.publish;
      Object.assign(summary.outputs, forecast.publish.outputs);
    }

    context.df.setCustomStatus({ stage: 'checkDrift' });
    const driftInput: DriftCheckInput = { ...run, horizonDays: input.options.horizonDays, season: input.options.season };
    const drift = yield* callActivity<DriftCheckOutput>(context, activityNames.checkDrift, retry, driftInput);
    if (drift.events > 0) {
      // The run's publish came before the drift check: publish its drift events now.
      const driftPublish: PublishInput = { ...run, mode: 'batch', tables: ['drift_events'] };
      yield* callActivity(context, activityNames.publish, retry, driftPublish);
    }
    const reforecast = drift.driftedSkus.slice(0, input.options.maxDriftReforecasts);
    if (reforecast.length > 0) {
      // Same path as the HTTP on-demand re-forecast.
      yield* callSubOrchestrator(
        context,
        orchestratorNames.reforecastSkus,
        retry,
        { skus: reforecast, reason: 'drift', options: input.options },
        `${run.runId}:drift-reforecast`,
      );
    }
    summary.stages.drift = { ...drift, reforecastSkus: reforecast.length, challengerStarted: false };
  } catch (err) {
    summary.status = 'Failed';
    summary.error = errorText(err);
  }

  if (callBackUri) {
    context.df.setCustomStatus({ stage: 'notifyCallback' });
    const callback: NotifyCallbackInput = {
      callBackUri,
      body:
        summary.status === 'Completed'
          ? { Output: callbackOutput(summary, raw), StatusCode: '200' }
          : {
              Output: callbackOutput(summary, raw),
              Error: { ErrorCode: 'DemandPipelineFailed', Message: summary.error ?? 'failed' },
              StatusCode: '500',
            },
    };
    yield* callActivity(context, activityNames.notifyCallback, retry, callback);
  }
  if (summary.status === 'Failed') {
    // The partial summary stays visible in the status (counts only: far below the 16 KB limit).
    context.df.setCustomStatus({ stage: 'failed', summary });
    // Fail the instance (so status endpoints and monitors see it) with a short message.
    throw new Error(summary.error);
  }
  context.df.setCustomStatus({ stage: 'done' });
  return summary;
};

/** Retry options for the callback when the input itself was invalid. */
const fallbackOptions = { firstRetryIntervalInMs: 5_000, maxAttempts: 3 } as DemandPipelineInput['options'];

function callbackOutput(summary: RunSummary, input: Partial<DemandPipelineInput> | undefined): Record<string, unknown> {
  return {
    runId: summary.runId,
    pipelineRunId: typeof input?.pipelineRunId === 'string' ? input.pipelineRunId : null,
    status: summary.status,
    skusForecast: summary.stages.forecast?.skus ?? 0,
    quarantined: summary.stages.silver?.quarantined ?? 0,
  };
}
