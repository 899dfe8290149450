import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import type {
  FinalizeForecastInput,
  FinalizeForecastOutput,
  ForecastBatchOutput,
  PlanForecastInput,
  PlanForecastOutput,
  PlanInventoryOutput,
  PublishInput,
  PublishOutput,
  RunContext,
} from '../contracts/messages';
import { all, callActivity, callSubOrchestrator } from './calls';
import type { ForecastFanOutInput } from './forecastFanOut';
import { forecastRunInputSchema, type ForecastRunInput, parseOrchestrationInput } from './input';
import { activityNames, orchestratorNames } from '../contracts/names';
import { activityRetry } from './retry';
import { sumForecastBatches, type ForecastRunOutput } from './summary';

export function runContextOf(context: OrchestrationContext): RunContext {
  // The orchestration's own clock: the same on every replay.
  const startedAt = context.df.currentUtcDateTime.toISOString();
  return { runId: context.df.instanceId, runDate: startedAt.slice(0, 10), startedAt };
}

/**
 * One forecast run over Silver: plan SKU batches, fan them out through sub-orchestrations of at
 * most `maxActivitiesPerSubOrchestration` activities, then track, plan inventory and publish.
 * Used by the daily pipeline, by on-demand/drift re-forecasts (a few SKUs) and by challenger runs.
 */
export const forecastRun: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = parseOrchestrationInput(forecastRunInputSchema, context.df.getInput());
  return yield* forecastRunSteps(context, input);
};

/** The forecast run's steps, shared by forecastRun and reforecastSkus (no extra sub-orchestration hop). */
export function* forecastRunSteps(context: OrchestrationContext, input: ForecastRunInput): Generator<Task, ForecastRunOutput, unknown> {
  const run = input.run ?? runContextOf(context);
  const retry = activityRetry(input.options);

  context.df.setCustomStatus({ stage: 'planForecast' });
  const planInput: PlanForecastInput = {
    ...run,
    dailyDemandVersion: input.dailyDemandVersion,
    batchSize: input.options.batchSize,
    ...(input.skus ? { skus: input.skus } : {}),
  };
  const plan: PlanForecastOutput = yield* callActivity<PlanForecastOutput>(context, activityNames.planForecast, retry, planInput);

  context.df.setCustomStatus({ stage: 'forecast', batches: plan.batchCount, skus: plan.skuCount });
  const chunkSize = input.options.maxActivitiesPerSubOrchestration;
  const subTasks = [];
  for (let start = 0, chunk = 0; start < plan.batchCount; start += chunkSize, chunk++) {
    // A chunk is a range of batch indexes: batch paths follow from the run id and the index.
    const fanOutInput: ForecastFanOutInput = {
      run,
      chunkId: `chunk-${String(chunk).padStart(4, '0')}`,
      firstBatch: start,
      batchCount: Math.min(chunkSize, plan.batchCount - start),
      skuCount: plan.skuCount,
      batchSize: plan.batchSize,
      dailyDemandVersion: plan.dailyDemandVersion,
      options: input.options,
    };
    // Deterministic child ids: a replay or a re-run of the same run finds the same children.
    subTasks.push(
      context.df.callSubOrchestratorWithRetry(orchestratorNames.forecastFanOut, retry, fanOutInput, `${run.runId}:forecast:${chunk}`),
    );
  }
  const chunks: ForecastBatchOutput[] = yield* all<ForecastBatchOutput>(context, subTasks);

  context.df.setCustomStatus({ stage: 'finalizeForecast' });
  const finalizeInput: FinalizeForecastInput = {
    ...run,
    batches: chunks,
    batchCount: plan.batchCount,
    tableVersions: input.tableVersions,
    trigger: input.trigger,
    policy: input.options.policy,
    horizonDays: input.options.horizonDays,
    season: input.options.season,
  };
  const tracking = yield* callActivity<FinalizeForecastOutput>(context, activityNames.finalizeForecast, retry, finalizeInput);
  const output: ForecastRunOutput = { forecast: sumForecastBatches(chunks), tracking };

  if (input.publishMode !== 'none') {
    context.df.setCustomStatus({ stage: 'planInventory' });
    output.inventory = yield* callActivity<PlanInventoryOutput>(context, activityNames.planInventory, retry, { ...run });
    context.df.setCustomStatus({ stage: 'publish' });
    const publishInput: PublishInput = { ...run, mode: input.publishMode, ...(input.skus ? { skus: input.skus } : {}) };
    output.publish = yield* callActivity<PublishOutput>(context, activityNames.publish, retry, publishInput);
  }
  output.forecast.batches = plan.batchCount;
  output.forecast.inactiveSkus = plan.inactiveSkus;
  return output;
}

/** Runs forecastRun as a child and fails fast when it returned an ActivityFailure. */
export function* callForecastRun(
  context: OrchestrationContext,
  retry: ReturnType<typeof activityRetry>,
  input: ForecastRunInput,
  instanceId: string,
): Generator<Task, ForecastRunOutput, unknown> {
  return yield* callSubOrchestrator<ForecastRunOutput>(context, orchestratorNames.forecastRun, retry, input, instanceId);
}
