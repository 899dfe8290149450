import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { z } from 'zod';
import { callForecastRun, runContextOf } from './forecastRun';
import { pipelineOptionsSchema, type ForecastRunInput, parseOrchestrationInput } from './input';
import { activityRetry } from './retry';
import type { ForecastRunOutput } from './summary';

const inputSchema = z.object({
  options: pipelineOptionsSchema,
  /** Why it runs: fleet-wide drift seen by the drift monitor, or a schedule / an operator. */
  reason: z.enum(['fleet_drift', 'schedule', 'manual']),
});
export type ChallengerRunInput = z.infer<typeof inputSchema>;

/**
 * A challenger run in its own orchestration: the wide policy over the latest Silver, tracked and
 * registered (the promotion gate decides) but never published, so dashboards keep showing
 * production. It is never part of the daily run: it forecasts the whole fleet with more candidate
 * models (about 5× the daily run's CPU per SKU), so it runs on fleet drift or on a schedule.
 */
export const challengerRun: OrchestrationHandler = function* (context: OrchestrationContext) {
  const { options } = parseOrchestrationInput(inputSchema, context.df.getInput());
  const run = runContextOf(context);
  const input: ForecastRunInput = {
    run,
    trigger: 'challenger',
    dailyDemandVersion: -1,
    tableVersions: {},
    publishMode: 'none',
    options: { ...options, policy: 'wide' },
  };
  const output: ForecastRunOutput = yield* callForecastRun(context, activityRetry(options), input, `${run.runId}:forecastRun`);
  return output;
};
