import { isRetryable } from '../../src/lib/errors';
import { MlflowApiError } from '../../src/lib/errors/trackingErrors';
import { failureOf } from '../../src/contracts/activityFailure';

describe('isRetryable', () => {
  it('refuses to retry an MLflow 4xx (the same request is refused again), also inside a cause chain', () => {
    const refused = new MlflowApiError('runs/log-batch', 400, 'INVALID_PARAMETER_VALUE', 'Invalid metric name');
    expect(isRetryable(refused)).toBe(false);
    expect(isRetryable(new Error('finalize failed', { cause: refused }))).toBe(false);
  });

  it('retries MLflow 408, 429 and 5xx answers', () => {
    for (const status of [408, 429, 500, 503]) expect(isRetryable(new MlflowApiError('runs/log-batch', status, 'X', 'busy'))).toBe(true);
  });

  it('turns a permanent MLflow failure into an ActivityFailure result instead of a thrown (retried) error', () => {
    const result = failureOf('finalizeForecast', new MlflowApiError('model-versions/create', 400, 'INVALID_PARAMETER_VALUE', 'bad source'));
    expect(result.activityFailure.activity).toBe('finalizeForecast');
    expect(result.activityFailure.message).toContain('model-versions/create');
    expect(() => failureOf('finalizeForecast', new MlflowApiError('runs/log-batch', 503, 'X', 'busy'))).toThrow(/finalizeForecast/);
  });
});
