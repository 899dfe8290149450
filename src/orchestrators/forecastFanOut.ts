import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { z } from 'zod';
import type { ForecastBatchInput, ForecastBatchOutput, RunContext, SkuBatchRef } from '../lib/pipeline/contracts';
import { pipelineOptionsSchema } from './input';
import { activityNames } from './names';
import { activityRetry } from './retry';
import { sumForecastBatches } from './summary';

const inputSchema = z.object({
  run: z.object({ runId: z.string(), runDate: z.string(), startedAt: z.string() }),
  chunkId: z.string(),
  batches: z.array(z.object({ batchId: z.string(), path: z.string(), skus: z.number() })).max(1000),
  dailyDemandVersion: z.number().int(),
  options: pipelineOptionsSchema,
});
export type ForecastFanOutInput = z.infer<typeof inputSchema>;

/**
 * Forecasts up to ~1,000 SKU batches in parallel, one activity each, and returns their totals as
 * one ForecastBatchOutput, so the parent's history holds one small result per chunk, not per batch.
 */
export const forecastFanOut: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = inputSchema.parse(context.df.getInput());
  const run: RunContext = input.run;
  const retry = activityRetry(input.options);
  const tasks = input.batches.map((batch: SkuBatchRef) => {
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
  const results: ForecastBatchOutput[] = tasks.length > 0 ? yield context.df.Task.all(tasks) : [];
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
