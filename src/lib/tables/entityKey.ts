/**
 * Keys may not hold '/', '\\', '#', '?' or control characters in Azure Table storage, and '%'
 * breaks some of its URL-addressed operations, so anything outside [A-Za-z0-9._-] is escaped.
 */
export function entityKey(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, (c) => `~${c.codePointAt(0)!.toString(16)}~`);
}
