import { DemandError } from './errors';
import { isPermanentFailure } from './trackingErrors';

/**
 * Error codes no retry can fix: the same input, settings and data give the same failure. Durable
 * retries (by policy, for every failure) would only repeat them — 3 activity × 3 sub-orchestration
 * attempts with backoff before the run finally fails.
 */
export const nonRetryableCodes: ReadonlySet<string> = new Set([
  'validation',
  'settings',
  'scratch_space',
  'delta_schema_mismatch',
  'delta_protocol',
  'incomplete_silver_run',
  'bronze_integrity',
  'sku_failed',
  'data_quality',
]);

/**
 * Transient unless the error (or an error in its cause chain) carries a non-retryable code or
 * says `retryable: false` itself, or is a request an upstream refused for good (an MLflow 4xx
 * other than 408/429: the same request is refused again).
 */
export function isRetryable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { retryable?: unknown }).retryable === false) return false;
    if (e instanceof DemandError && nonRetryableCodes.has(e.code)) return false;
    if (isPermanentFailure(e)) return false;
  }
  return true;
}
