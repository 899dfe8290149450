import { DemandError } from './errors';

/** The one place that turns an unknown thrown value into an Error. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}

/**
 * Error text that crosses a Durable Functions boundary is kept short: large exception payloads
 * bloat the history and can stall an orchestration.
 */
export const maxErrorTextLength = 2000;

export function errorText(value: unknown, maxLength = maxErrorTextLength): string {
  const err = toError(value);
  const code = err instanceof DemandError ? `[${err.code}] ` : '';
  const text = `${err.name}: ${code}${err.message}`;
  return text.length > maxLength ? `${text.slice(0, maxLength - 15)}… (truncated)` : text;
}
