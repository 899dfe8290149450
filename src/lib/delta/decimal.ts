/**
 * Delta `decimal(p,s)` values. Rows carry a decimal as its exact plain text with exactly `s`
 * fraction digits ('-12.50' for decimal(5,2)): JSON-safe, exact at any precision up to 38, equal
 * values compare equal as strings, and ADX/Kusto and CSV take it as it is. In Parquet it is the
 * unscaled integer (INT32, INT64 or big-endian two's-complement bytes) with the scale in the schema;
 * the conversion goes through bigint, never through a float.
 */
import { valueText } from '../errors/valueText';

export interface DecimalType {
  precision: number;
  scale: number;
}

const decimalTypePattern = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

/** 'decimal(10,2)' → {10, 2}; plain 'decimal' is Spark's decimal(10,0); undefined otherwise. */
export function parseDecimalType(type: string): DecimalType | undefined {
  if (type === 'decimal') return { precision: 10, scale: 0 };
  const m = decimalTypePattern.exec(type);
  if (!m) return undefined;
  const precision = Number(m[1]);
  const scale = Number(m[2]);
  if (precision < 1 || precision > 38 || scale > precision) return undefined;
  return { precision, scale };
}

/** The unscaled integer as the module's decimal text. */
export function unscaledToDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  if (scale === 0) return `${negative ? '-' : ''}${digits}`;
  const padded = digits.padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, padded.length - scale)}.${padded.slice(padded.length - scale)}`;
}

const decimalTextPattern = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Decimal text ('12.5', '-0.001', '1E+3', '.5') → the unscaled integer at `scale`, or undefined
 * when it is not a number or would need rounding (a value is never silently changed).
 */
export function decimalToUnscaled(text: string, scale: number): bigint | undefined {
  const m = decimalTextPattern.exec(text.trim());
  if (!m) return undefined;
  const [, sign, intPart = '', fracPart = '', exponentText] = m;
  if (intPart.length === 0 && fracPart.length === 0) return undefined;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 1000) return undefined;
  // digits × 10^(exponent − fracPart.length), rescaled to 10^-scale.
  let digits = `${intPart}${fracPart}`.replace(/^0+(?=\d)/, '');
  const shift = exponent - fracPart.length + scale;
  if (shift >= 0) digits += '0'.repeat(shift);
  else {
    const dropped = digits.slice(digits.length + shift);
    if (/[1-9]/.test(dropped)) return undefined;
    digits = digits.slice(0, Math.max(0, digits.length + shift)) || '0';
  }
  const unscaled = BigInt(digits);
  return sign === '-' ? -unscaled : unscaled;
}

/** Whether the unscaled value has at most `precision` digits. */
export function fitsPrecision(unscaled: bigint, precision: number): boolean {
  const abs = unscaled < 0n ? -unscaled : unscaled;
  return abs.toString().length <= precision;
}

/** Big-endian two's-complement bytes → bigint (Parquet FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY decimals). */
export function bytesToUnscaled(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  if (bytes.length > 0 && ((bytes[0] as number) & 0x80) !== 0) value -= 1n << BigInt(bytes.length * 8);
  return value;
}

/** A decoded Parquet decimal (INT32 number, INT64 bigint or bytes) → the module's decimal text. */
export function physicalToDecimal(value: unknown, scale: number): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return unscaledToDecimal(value, scale);
  if (typeof value === 'number') return unscaledToDecimal(BigInt(value), scale);
  if (value instanceof Uint8Array) return unscaledToDecimal(bytesToUnscaled(value), scale);
  throw new TypeError(`not a Parquet decimal value: ${valueText(value)}`);
}

/** Rewrites decimal text to exactly `scale` fraction digits (undefined when it would round). */
export function normalizeDecimal(text: string, scale: number): string | undefined {
  const unscaled = decimalToUnscaled(text, scale);
  return unscaled === undefined ? undefined : unscaledToDecimal(unscaled, scale);
}
