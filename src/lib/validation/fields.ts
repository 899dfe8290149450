/**
 * Field validators that protect state: every value that reaches Silver, a watermark or a Delta
 * write passes one of these first. Each returns the normalised value or a reason code and a
 * detail naming the field and the value, so callers quarantine with a reason instead of crashing.
 * Shared by the current order/inventory record path and by source definitions (canonical lines).
 */
import { valueText } from '../errors/valueText';

export type FieldCheck<T> = { ok: true; value: T } | { ok: false; reason: string; detail: string };

/** Documented bounds; the defaults are what DEMAND_MAX_* settings default to. */
export interface FieldBounds {
  /** Largest |quantity| of one order line. */
  maxOrderQuantity: number;
  /** Largest unit price. */
  maxUnitPrice: number;
  /** Largest stock figure (on hand, on order); stock is never negative. */
  maxStockUnits: number;
  /** How far past now a timestamp may lie (shop-local clocks run up to 14 h ahead of UTC). */
  futureToleranceInMs: number;
  /** No timestamp before this day (YYYY-MM-DD). */
  floorDate: string;
  /** Longest SKU, in characters, after normalisation. */
  maxSkuLength: number;
  /** Longest description kept; longer ones are cut to this length. */
  maxDescriptionLength: number;
}

export const defaultFieldBounds: Readonly<FieldBounds> = Object.freeze({
  maxOrderQuantity: 1_000_000,
  maxUnitPrice: 1_000_000,
  maxStockUnits: 1_000_000_000,
  futureToleranceInMs: 24 * 3_600_000,
  floorDate: '1990-01-01',
  maxSkuLength: 64,
  maxDescriptionLength: 500,
});

function shown(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = typeof value === 'bigint' ? `${value}` : (JSON.stringify(value) ?? valueText(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const fail = <T>(reason: string, field: string, value: unknown, why: string): FieldCheck<T> => ({
  ok: false,
  reason,
  detail: `${field}=${shown(value)}: ${why}`,
});

const wallClock = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * A shop-local wall-clock timestamp (`YYYY-MM-DD[ HH:MM[:SS]]`, no zone) that is a real calendar
 * instant: month 1-12, a day the month has, hours 0-23, minutes and seconds 0-59 (a leap second
 * `23:59:60` is not one), not before `floorDate` and not later than now plus the tolerance.
 * The value is the canonical `YYYY-MM-DD HH:MM:SS` text (what watermarks compare).
 */
export function checkWallClock(
  field: string,
  value: unknown,
  options: { now?: number; bounds?: Partial<FieldBounds> } = {},
): FieldCheck<string> {
  const bounds = { ...defaultFieldBounds, ...options.bounds };
  if (typeof value !== 'string') return fail('wrong_type', field, value, 'expected a YYYY-MM-DD HH:MM:SS string');
  const m = wallClock.exec(value);
  if (!m) return fail('bad_format', field, value, 'expected YYYY-MM-DD HH:MM:SS');
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? '00', m[5] ?? '00', m[6] ?? '00'].map(Number);
  const at = Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
  const back = new Date(at);
  if (
    !Number.isFinite(at) ||
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== (month as number) - 1 ||
    back.getUTCDate() !== day ||
    (hour as number) > 23 ||
    (minute as number) > 59 ||
    (second as number) > 59
  ) {
    return fail(
      'impossible_time',
      field,
      value,
      'not a real calendar time (month, day, hour, minute or second out of range; leap seconds are not kept)',
    );
  }
  const text = back.toISOString().slice(0, 19).replace('T', ' ');
  if (text.slice(0, 10) < bounds.floorDate) return fail('too_old', field, value, `before the floor ${bounds.floorDate}`);
  const now = options.now ?? Date.now();
  // A wall clock with no zone is compared as if UTC; the tolerance covers the zones ahead of it.
  if (at > now + bounds.futureToleranceInMs) {
    return fail(
      'in_future',
      field,
      value,
      `later than now (${new Date(now).toISOString()}) plus ${Math.round(bounds.futureToleranceInMs / 60_000)} min`,
    );
  }
  return { ok: true, value: text };
}

/** A calendar date `YYYY-MM-DD` within the same floor and future tolerance. */
export function checkCalendarDate(
  field: string,
  value: unknown,
  options: { now?: number; bounds?: Partial<FieldBounds> } = {},
): FieldCheck<string> {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value.trim()))
    return fail('bad_format', field, value, 'expected YYYY-MM-DD');
  const checked = checkWallClock(field, value.trim(), options);
  return checked.ok ? { ok: true, value: checked.value.slice(0, 10) } : checked;
}

/** An integer (a safe JS integer) with |value| ≤ max, and ≥ 0 when `nonNegative`. */
export function checkBoundedInteger(
  field: string,
  value: unknown,
  max: number,
  options: { nonNegative?: boolean } = {},
): FieldCheck<number> {
  if (typeof value !== 'number') return fail('wrong_type', field, value, 'expected a number');
  if (!Number.isFinite(value) || !Number.isInteger(value)) return fail('not_an_integer', field, value, 'expected a whole number');
  if (options.nonNegative && value < 0) return fail('negative', field, value, 'must not be negative');
  if (Math.abs(value) > max) return fail('out_of_bounds', field, value, `|value| must be at most ${max}`);
  return { ok: true, value };
}

/** A finite number in [min, max]. */
export function checkBoundedNumber(field: string, value: unknown, min: number, max: number): FieldCheck<number> {
  if (typeof value !== 'number') return fail('wrong_type', field, value, 'expected a number');
  if (!Number.isFinite(value)) return fail('not_finite', field, value, 'must be a finite number');
  if (value < min || value > max) return fail('out_of_bounds', field, value, `must be from ${min} to ${max}`);
  return { ok: true, value };
}

/**
 * SKU after normalisation (trimmed, inner white space collapsed, upper-case): 1 to maxSkuLength
 * characters, letters, digits, space and `_ . - # + &`, starting with a letter or digit; never a
 * path separator, a control character or `..`.
 */
const skuCharset = /^[A-Z0-9][A-Z0-9 _.#+&-]*$/;
export function checkSku(field: string, value: unknown, bounds: Partial<FieldBounds> = {}): FieldCheck<string> {
  const max = bounds.maxSkuLength ?? defaultFieldBounds.maxSkuLength;
  if (typeof value !== 'string' && typeof value !== 'number') return fail('wrong_type', field, value, 'expected a string');
  const raw = String(value);
  // Bounded before any regular expression runs over it (a 20 MB SKU costs nothing).
  if (raw.length > max * 4) return fail('too_long', field, value, `longer than ${max} characters`);
  const sku = raw.trim().replace(/\s+/g, ' ').toUpperCase();
  if (sku.length === 0) return fail('empty', field, value, 'empty');
  if (sku.length > max) return fail('too_long', field, value, `longer than ${max} characters`);
  if (!skuCharset.test(sku) || sku.includes('..'))
    return fail('bad_charset', field, value, 'letters, digits, space and "_.#+&-" only, starting with a letter or digit');
  return { ok: true, value: sku };
}

/** A description cut to maxDescriptionLength characters (never a reason to drop the line). */
export function capDescription(value: string | null, bounds: Partial<FieldBounds> = {}): string | null {
  const max = bounds.maxDescriptionLength ?? defaultFieldBounds.maxDescriptionLength;
  if (value === null || value.length <= max) return value;
  return value.slice(0, max);
}

/** The bounds from the DEMAND_MAX_* settings (any absent one keeps its default). */
export function fieldBoundsFromSettings(
  settings: Partial<
    Record<
      | 'DEMAND_MAX_ORDER_QUANTITY'
      | 'DEMAND_MAX_UNIT_PRICE'
      | 'DEMAND_MAX_STOCK_UNITS'
      | 'DEMAND_MAX_FUTURE_MINUTES'
      | 'DEMAND_EARLIEST_DATE',
      number | string
    >
  >,
): FieldBounds {
  const n = (v: number | string | undefined, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
  return {
    ...defaultFieldBounds,
    maxOrderQuantity: n(settings.DEMAND_MAX_ORDER_QUANTITY, defaultFieldBounds.maxOrderQuantity),
    maxUnitPrice: n(settings.DEMAND_MAX_UNIT_PRICE, defaultFieldBounds.maxUnitPrice),
    maxStockUnits: n(settings.DEMAND_MAX_STOCK_UNITS, defaultFieldBounds.maxStockUnits),
    futureToleranceInMs: n(settings.DEMAND_MAX_FUTURE_MINUTES, defaultFieldBounds.futureToleranceInMs / 60_000) * 60_000,
    floorDate: typeof settings.DEMAND_EARLIEST_DATE === 'string' ? settings.DEMAND_EARLIEST_DATE : defaultFieldBounds.floorDate,
  };
}
