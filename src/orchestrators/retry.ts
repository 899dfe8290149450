import * as df from 'durable-functions';
import type { PipelineOptions } from './input';

/** Exponential backoff for activities: first interval from settings, doubling, capped at 5 minutes. */
export function activityRetry(options: PipelineOptions): df.RetryOptions {
  const retry = new df.RetryOptions(options.firstRetryIntervalInMs, options.maxAttempts);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 300_000;
  return retry;
}
