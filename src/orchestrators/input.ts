import { z } from 'zod';
import type { PipelineSettings } from '../lib/config/settings';
import { ValidationError } from '../lib/errors';
import { triggerKindSchema } from '../lib/runs/triggerKind';

/**
 * Orchestration inputs. Everything an orchestrator needs from settings travels in its input,
 * resolved once by the starter: orchestrators must not read the environment (it may change
 * between replays).
 */
export const pipelineOptionsSchema = z.object({
  horizonDays: z.number().int().min(1).max(365),
  season: z.number().int().min(1).max(366),
  batchSize: z.number().int().min(1).max(5000),
  maxActivitiesPerSubOrchestration: z.number().int().min(1).max(1000),
  firstRetryIntervalInMs: z.number().int().min(1),
  maxAttempts: z.number().int().min(1).max(20),
  maxDriftReforecasts: z.number().int().min(0),
  policy: z.enum(['default', 'wide']).default('default'),
});
export type PipelineOptions = z.infer<typeof pipelineOptionsSchema>;

export const demandPipelineInputSchema = z.object({
  trigger: triggerKindSchema,
  /** ADF WebHook activity's callback; the outcome is POSTed there, success or failure. */
  callBackUri: z.string().url().optional(),
  /** ADF pipeline run id, echoed in the callback output for correlation. */
  pipelineRunId: z.string().max(200).optional(),
  options: pipelineOptionsSchema,
});
export type DemandPipelineInput = z.infer<typeof demandPipelineInputSchema>;

const runContextSchema = z.object({ runId: z.string().min(1), runDate: z.string(), startedAt: z.string() });

export const forecastRunInputSchema = z.object({
  /** The parent pipeline's run (Gold partitions carry its id); absent when started on its own. */
  run: runContextSchema.optional(),
  trigger: triggerKindSchema,
  dailyDemandVersion: z.number().int().min(-1),
  tableVersions: z.record(z.string(), z.number()),
  skus: z.array(z.string()).optional(),
  /** 'none': a challenger run only forecasts and tracks; it must not become what dashboards show. */
  publishMode: z.enum(['batch', 'single', 'none']),
  options: pipelineOptionsSchema,
});
export type ForecastRunInput = z.infer<typeof forecastRunInputSchema>;

export function pipelineOptionsFromSettings(settings: PipelineSettings): PipelineOptions {
  return {
    horizonDays: settings.DEMAND_FORECAST_HORIZON_DAYS,
    season: settings.DEMAND_FORECAST_SEASON,
    batchSize: settings.DEMAND_FORECAST_BATCH_SIZE,
    maxActivitiesPerSubOrchestration: settings.DEMAND_FORECAST_MAX_ACTIVITIES_PER_SUBORCHESTRATION,
    firstRetryIntervalInMs: settings.DEMAND_ACTIVITY_FIRST_RETRY_MS,
    maxAttempts: settings.DEMAND_ACTIVITY_MAX_ATTEMPTS,
    maxDriftReforecasts: settings.DEMAND_DRIFT_MAX_REFORECASTS,
    policy: 'default',
  };
}

/**
 * An orchestration's input, parsed: a bad one is a ValidationError (no retry fixes it) naming the
 * field and, where the schema's message says it, the value, not a ZodError's JSON.
 */
export function parseOrchestrationInput<T>(schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') || 'input';
  throw new ValidationError(field, `Orchestration input is invalid at ${field}: ${issue?.message ?? 'bad value'}`);
}
