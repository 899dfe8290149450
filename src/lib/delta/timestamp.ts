/**
 * Delta timestamps are microseconds since the epoch (UTC). Rows carry them as ISO-8601 text; JS
 * dates hold milliseconds, so the microseconds are kept by hand: a value with whole milliseconds
 * reads as '2011-01-04T10:11:12.345Z' (Date.toISOString's form), one with microseconds as
 * '2011-01-04T10:11:12.345678Z'. Nothing is rounded on the way in or out.
 */

const fractionPattern = /^(.*T\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(.*)$/;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export function microsToIso(micros: bigint): string {
  const ms = floorDiv(micros, 1000n);
  const rest = micros - ms * 1000n;
  const iso = new Date(Number(ms)).toISOString();
  return rest === 0n ? iso : `${iso.slice(0, -1)}${rest.toString().padStart(3, '0')}Z`;
}

export function nanosToIso(nanos: bigint): string {
  return microsToIso(floorDiv(nanos, 1000n));
}

/**
 * ISO-8601 text (any zone form Date.parse takes; 'T' or ' ' between date and time) → microseconds.
 * Digits past the sixth are dropped (Delta's precision is microseconds). NaN-like input → undefined.
 */
export function isoToMicros(text: string): bigint | undefined {
  const m = fractionPattern.exec(text.replace(' ', 'T'));
  if (!m) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : BigInt(ms) * 1000n;
  }
  const [, head = '', fraction = '', zone = ''] = m;
  const ms = Date.parse(`${head}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  const micros = BigInt(fraction.padEnd(6, '0').slice(0, 6) || '0');
  return BigInt(ms) * 1000n + micros;
}
