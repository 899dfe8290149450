import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { z } from 'zod';
import type { ForecastBatchInput, ForecastBatchOutput, RunContext } from '../contracts/messages';
import { skuBatchRef } from '../contracts/skuBatches';
import { all } from './calls';
import { pipelineOptionsSchema, parseOrchestrationInput } from './input';
import { activityNames } from '../contracts/names';
import { activityRetry } from './retry';
import { sumForecastBatches } from './summary';

const inputSchema = z.object({
  run: z.object({ runId: z.string(), runDate: z.string(), startedAt: z.string() }),
  chunkId: z.string(),
  /** Batch indexes firstBatch … firstBatch + batchCount − 1 of the plan. */
  firstBatch: z.number().int().min(0),
  batchCount: z.number().int().min(0).max(1000),
  skuCount: z.number().int().min(0),
  batchSize: z.number().int().min(1),
  dailyDemandVersion: z.number().int(),
  options: pipelineOptionsSchema,
});
export type ForecastFanOutInput = z.infer<typeof inputSchema>;

/**
 * Forecasts up to ~1,000 SKU batches in parallel, one activity each, and returns their totals as
 * one ForecastBatchOutput, so the parent's history holds one small result per chunk, not per batch.
 */
export const forecastFanOut: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = parseOrchestrationInput(inputSchema, context.df.getInput());
  const run: RunContext = input.run;
  const retry = activityRetry(input.options);
  const tasks = Array.from({ length: input.batchCount }, (_, k) => {
    const batch = skuBatchRef(run.runId, input.firstBatch + k, input.skuCount, input.batchSize);
    const activityInput: ForecastBatchInput = {
      ...run,
      batch,
      dailyDemandVersion: input.dailyDemandVersion,
      horizonDays: input.options.horizonDays,
      season: input.options.season,
      policy: input.options.policy,
    };
    return context.df.callActivityWithRetry(activityNames.forecastBatch, retry, activityInput);
  });
  const results: ForecastBatchOutput[] = yield* all<ForecastBatchOutput>(context, tasks);
  const totals = sumForecastBatches(results);
  const output: ForecastBatchOutput = {
    batchId: input.chunkId,
    skus: totals.skus,
    forecastRows: totals.forecastRows,
    models: totals.models,
    fallbacks: totals.fallbacks,
    backtest: totals.backtest,
  };
  return output;
};
