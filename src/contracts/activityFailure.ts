import { DemandError, errorText, isRetryable, toError } from '../lib/errors';

/**
 * What an activity returns instead of throwing when its failure cannot succeed on retry.
 * durable-functions for JavaScript retries by policy only (RetryOptions has no predicate, unlike
 * .NET's retry handlers), so a thrown error is always retried. A completed activity whose result is
 * this envelope is not: the orchestrator sees it and fails at once (see orchestrators/calls.ts).
 * Small by construction: a name, a code and a short message.
 */
export interface ActivityFailure {
  activityFailure: {
    activity: string;
    /** Error class name, e.g. ValidationError. */
    name: string;
    code: string;
    /** errorText of the error: short, names the SKU/table/field when the error did. */
    message: string;
  };
}

export function isActivityFailure(value: unknown): value is ActivityFailure {
  return (
    typeof value === 'object' &&
    value !== null &&
    'activityFailure' in value &&
    typeof (value as ActivityFailure).activityFailure === 'object'
  );
}

/** A thrown activity error, re-thrown with the activity's name in front (Durable retries these). */
export class ActivityError extends DemandError {
  readonly activity: string;
  constructor(activity: string, cause: unknown) {
    super(cause instanceof DemandError ? cause.code : 'activity_failed', `activity ${activity}: ${errorText(cause)}`, { cause });
    this.activity = activity;
  }
}

/**
 * The one place an activity's failure is classified: a non-retryable error becomes an
 * ActivityFailure result; anything else is thrown again, named by activity, for Durable to retry.
 */
export function failureOf(activity: string, err: unknown): ActivityFailure {
  const e = toError(err);
  if (isRetryable(e)) throw new ActivityError(activity, e);
  return {
    activityFailure: {
      activity,
      name: e.name,
      code: e instanceof DemandError ? e.code : 'unknown',
      message: `activity ${activity}: ${errorText(e)}`,
    },
  };
}
