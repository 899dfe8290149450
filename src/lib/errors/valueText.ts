/**
 * A value as error-message text: primitives as `String` writes them, objects as JSON (never
 * '[object Object]'), and what JSON cannot write (cycles, functions, symbols) by its type.
 */
export function valueText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'symbol':
      return value.toString();
    case 'function':
      return `[function ${value.name || 'anonymous'}]`;
    default:
      if (value === null) return 'null';
      try {
        return (
          JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? Object.prototype.toString.call(value)
        );
      } catch {
        return Object.prototype.toString.call(value);
      }
  }
}
