import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { z } from 'zod';
import { triggerKindSchema } from '../lib/runs/triggerKind';
import { forecastRunInputSchema, pipelineOptionsSchema, type ForecastRunInput, parseOrchestrationInput } from './input';
import { forecastRunSteps } from './forecastRun';

const inputSchema = z.object({
  skus: z.array(z.string().min(1)).min(1).max(10000),
  /** The trigger the re-forecast is tracked under: the HTTP endpoint or the drift check. */
  reason: triggerKindSchema.extract(['http', 'drift'], {
    error: (issue) => `reason must be http or drift; got ${JSON.stringify(issue.input)}`,
  }),
  options: pipelineOptionsSchema,
});
export type ReforecastSkusInput = z.infer<typeof inputSchema>;

/**
 * Re-forecasts a few SKUs from the latest Silver: the path shared by the HTTP on-demand endpoint
 * and drift monitoring. It runs the forecast run's steps inline, so a single SKU costs one plan,
 * one batch and a streaming publish.
 */
export const reforecastSkus: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = parseOrchestrationInput(inputSchema, context.df.getInput());
  const runInput: ForecastRunInput = forecastRunInputSchema.parse({
    trigger: input.reason,
    dailyDemandVersion: -1,
    tableVersions: {},
    skus: input.skus,
    publishMode: input.skus.length === 1 ? 'single' : 'batch',
    options: input.options,
  });
  return yield* forecastRunSteps(context, runInput);
};
