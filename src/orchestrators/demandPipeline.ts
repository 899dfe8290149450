import type { OrchestrationContext, OrchestrationHandler, RetryOptions, Task } from 'durable-functions';
import { DataQualityError, ValidationError, errorText } from '../lib/errors';
import type { BuildSilverMessage, IngestInventoryMessage, IngestOrdersMessage } from '../contracts/bronzeReferences';
import type {
  BuildSilverOutput,
  DriftCheckInput,
  DriftCheckOutput,
  NotifyCallbackInput,
  PublishInput,
  RunContext,
} from '../contracts/messages';
import { callActivity, callSubOrchestrator } from './calls';
import { callForecastRun, runContextOf } from './forecastRun';
import { demandPipelineInputSchema, type DemandPipelineInput, type ForecastRunInput } from './input';
import { activityNames, orchestratorNames } from '../contracts/names';
import { activityRetry } from './retry';
import type { TriggerKind } from '../lib/runs/triggerKind';
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
  const summary = newSummary(run, parsed.success ? parsed.data.trigger : null);
  try {
    if (!parsed.success) throw invalidInputError(parsed.error.issues[0]);
    yield* pipelineStages({ context, run, retry, summary, input: parsed.data });
  } catch (err) {
    summary.status = 'Failed';
    summary.error = errorText(err);
  }
  if (callBackUri) yield* notifyCallback(context, retry, callBackUri, summary, raw);
  return finish(context, summary);
};

/** What every stage of one pipeline run shares. */
interface PipelineRun {
  context: OrchestrationContext;
  run: RunContext;
  retry: RetryOptions;
  summary: RunSummary;
  input: DemandPipelineInput;
}

type Steps<T> = Generator<Task, T, unknown>;

function newSummary(run: RunContext, trigger: TriggerKind | null): RunSummary {
  return { runId: run.runId, trigger, startedAt: run.startedAt, status: 'Completed', stages: {}, quarantineReasons: {}, outputs: {} };
}

function invalidInputError(issue: { path: PropertyKey[]; message: string } | undefined): ValidationError {
  const at = issue?.path.join('.') || 'input';
  return new ValidationError(String(at), `Orchestration input is invalid at ${at}: ${issue?.message ?? 'bad value'}`);
}

/** The stages in order; a failing stage ends the run (the caller records it in the summary). */
function* pipelineStages(p: PipelineRun): Steps<void> {
  const bronze = yield* ingestStages(p);
  const silver = yield* silverStage(p, bronze);
  yield* forecastStage(p, silver);
  yield* driftStage(p);
}

/** Orders, then inventory, into Bronze: only the paths of their manifest lists go on. */
function* ingestStages(p: PipelineRun): Steps<Pick<BuildSilverMessage, 'orderManifestsPath' | 'inventoryManifestsPath'>> {
  const { context, run, retry, summary } = p;
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
  return { orderManifestsPath, inventoryManifestsPath };
}

/** Cleanse, join and aggregate into Silver; a run whose data quality failed stops here. */
function* silverStage(
  p: PipelineRun,
  bronze: Pick<BuildSilverMessage, 'orderManifestsPath' | 'inventoryManifestsPath'>,
): Steps<BuildSilverOutput> {
  const { context, run, retry, summary } = p;
  context.df.setCustomStatus({ stage: 'buildSilver' });
  // The Bronze parts travel as lists in the lake: only their paths go through history.
  const silverInput: BuildSilverMessage = { ...run, ...bronze };
  const silver = yield* callActivity<BuildSilverOutput>(context, activityNames.buildSilver, retry, silverInput);
  summary.stages.silver = silver;
  addCounts(summary.quarantineReasons, silver.quarantineReasons);
  // Nothing usable is never "Completed": no forecast, no policy registered on such data.
  if (silver.quality?.failed)
    throw new DataQualityError(silver.quality.message ?? 'order records quarantined above DEMAND_QUARANTINE_MAX_SHARE');
  return silver;
}

/** The forecast run as a child orchestration (plan, fan-out, track, inventory actions, publish). */
function* forecastStage(p: PipelineRun, silver: BuildSilverOutput): Steps<void> {
  const { context, run, retry, summary, input } = p;
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
}

/** The drift check; its events are published, drifted SKUs re-forecast (at most maxDriftReforecasts). */
function* driftStage(p: PipelineRun): Steps<void> {
  const { context, run, retry, summary, input } = p;
  context.df.setCustomStatus({ stage: 'checkDrift' });
  // The run's own horizon and season, not the global settings (an HTTP run may ask for its own).
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
}

/** Answers ADF's WebHook callback, with the failure when the run failed. */
function* notifyCallback(
  context: OrchestrationContext,
  retry: RetryOptions,
  callBackUri: string,
  summary: RunSummary,
  raw: Partial<DemandPipelineInput> | undefined,
): Steps<void> {
  context.df.setCustomStatus({ stage: 'notifyCallback' });
  const Output = callbackOutput(summary, raw);
  const callback: NotifyCallbackInput = {
    callBackUri,
    body:
      summary.status === 'Completed'
        ? { Output, StatusCode: '200' }
        : { Output, Error: { ErrorCode: 'DemandPipelineFailed', Message: summary.error ?? 'failed' }, StatusCode: '500' },
  };
  yield* callActivity(context, activityNames.notifyCallback, retry, callback);
}

function finish(context: OrchestrationContext, summary: RunSummary): RunSummary {
  if (summary.status === 'Failed') {
    // The partial summary stays visible in the status (counts only: far below the 16 KB limit).
    context.df.setCustomStatus({ stage: 'failed', summary });
    // Fail the instance (so status endpoints and monitors see it) with a short message.
    throw new Error(summary.error);
  }
  context.df.setCustomStatus({ stage: 'done' });
  return summary;
}

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
