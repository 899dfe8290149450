import type { OrchestrationContext, OrchestrationHandler, RetryOptions, Task } from 'durable-functions';
import { DemandError, errorText, isRetryable } from '../lib/errors';
import { isActivityFailure, type ActivityFailure } from '../contracts/activityFailure';

/**
 * A failure no retry can fix, raised in an orchestrator from an ActivityFailure result (of an
 * activity or a child orchestration). Carries the original code; its message names the activity.
 */
export class NonRetryableFailureError extends DemandError {
  readonly activity: string;
  readonly retryable = false;
  constructor(failure: ActivityFailure['activityFailure'], instanceId: string) {
    super(failure.code, `${failure.message} (instance ${instanceId}; not retried: retrying cannot fix a ${failure.name})`);
    this.activity = failure.activity;
  }
}

function unwrap<T>(context: OrchestrationContext, result: unknown): T {
  if (isActivityFailure(result)) throw new NonRetryableFailureError(result.activityFailure, context.df.instanceId);
  return result as T;
}

/** callActivityWithRetry that fails fast on an ActivityFailure result. */
export function* callActivity<T>(
  context: OrchestrationContext,
  name: string,
  retry: RetryOptions,
  input: unknown,
): Generator<Task, T, unknown> {
  return unwrap<T>(context, yield context.df.callActivityWithRetry(name, retry, input));
}

/** callSubOrchestratorWithRetry that fails fast on an ActivityFailure result from the child. */
export function* callSubOrchestrator<T>(
  context: OrchestrationContext,
  name: string,
  retry: RetryOptions,
  input: unknown,
  instanceId: string,
): Generator<Task, T, unknown> {
  return unwrap<T>(context, yield context.df.callSubOrchestratorWithRetry(name, retry, input, instanceId));
}

/** Task.all over activities or children, failing fast if any of them returned an ActivityFailure. */
export function* all<T>(context: OrchestrationContext, tasks: Task[]): Generator<Task, T[], unknown> {
  if (tasks.length === 0) return [];
  const results = (yield context.df.Task.all(tasks)) as unknown[];
  return results.map((r) => unwrap<T>(context, r));
}

/**
 * A child orchestrator that, instead of failing (which the parent's retry policy would re-run in
 * full), completes with an ActivityFailure when it failed for a reason no retry can fix: a
 * NonRetryableFailureError from one of its calls, a non-retryable DemandError, or an invalid input.
 * Only when it has a parent: a top-level instance fails as any orchestration does.
 */
export function failFast(name: string, handler: OrchestrationHandler): OrchestrationHandler {
  return function* (context: OrchestrationContext) {
    try {
      return yield* handler(context) as Generator<Task, unknown, unknown>;
    } catch (err) {
      const invalidInput = err instanceof Error && err.name === 'ZodError';
      // Started on its own (an HTTP re-forecast, a timer), the instance fails as usual: no parent retries it.
      if (!context.df.parentInstanceId || (!invalidInput && isRetryable(err))) throw err;
      const e = err as Error;
      const failure: ActivityFailure = {
        activityFailure: {
          activity: e instanceof NonRetryableFailureError ? e.activity : name,
          name: invalidInput ? 'ValidationError' : e.name,
          code: invalidInput ? 'validation' : e instanceof DemandError ? e.code : 'unknown',
          message: e instanceof NonRetryableFailureError ? e.message : `orchestrator ${name}: ${errorText(e)}`,
        },
      };
      return failure;
    }
  };
}
