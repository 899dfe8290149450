import { ValidationError } from '../errors';
import { assertTrackingKey, assertTrackingValue } from './trackingKeys';
import type { RunBatch } from './tracker';

/** Checks every key and value of a batch the way a real MLflow server does, before anything is sent or stored. */
export function assertRunBatch(batch: RunBatch): void {
  for (const [key, value] of Object.entries(batch.params ?? {})) {
    assertTrackingKey('param', key);
    assertTrackingValue('param', key, value);
  }
  for (const [key, value] of Object.entries(batch.tags ?? {})) {
    assertTrackingKey('tag', key);
    assertTrackingValue('tag', key, value);
  }
  for (const metric of batch.metrics ?? []) {
    assertTrackingKey('metric', metric.key);
    if (!Number.isFinite(metric.value))
      throw new ValidationError(`metrics.${metric.key}`, `Metric ${metric.key} must be a finite number, got ${metric.value}`);
  }
}
