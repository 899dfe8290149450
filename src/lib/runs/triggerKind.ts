import { z } from 'zod';
import { ValidationError, valueText } from '../errors';

/**
 * What started a run: a person (`manual`, the CLI), the timer (`scheduled`), Azure Data Factory's
 * WebHook (`adf`), a full pipeline run started through the HTTP API (`api`), an on-demand SKU
 * re-forecast over HTTP (`http`), the drift check (`drift`) or the drift monitor's challenger (`challenger`).
 */
export const triggerKinds = ['manual', 'scheduled', 'adf', 'api', 'http', 'drift', 'challenger'] as const;
export type TriggerKind = (typeof triggerKinds)[number];

/** The schema orchestration inputs use; its error names the kinds and the value it got. */
export const triggerKindSchema = z.enum(triggerKinds, { error: (issue) => triggerKindMessage('trigger', issue.input) });

function triggerKindMessage(field: string, value: unknown): string {
  return `${field} must be one of ${triggerKinds.join(', ')}; got ${JSON.stringify(valueText(value))}`;
}

/**
 * Runs that re-forecast a subset of SKUs are tracked but register no policy version: their
 * metrics cover a few SKUs and are not comparable with a full run's.
 */
export const partialRunTriggers: readonly TriggerKind[] = ['drift', 'http'];

/** True for a partial run's trigger; a stored value that is no TriggerKind (another version's) is not one. */
export function isPartialRunTrigger(value: unknown): boolean {
  return isTriggerKind(value) && partialRunTriggers.includes(value);
}

export function isTriggerKind(value: unknown): value is TriggerKind {
  return (triggerKinds as readonly unknown[]).includes(value);
}

/** `value` as a TriggerKind, or a ValidationError naming the field and the value. */
export function parseTriggerKind(value: unknown, field = 'trigger'): TriggerKind {
  if (isTriggerKind(value)) return value;
  throw new ValidationError(field, triggerKindMessage(field, value));
}
