/**
 * The field validators of src/lib/validation/fields.ts applied to a canonical order line, so a
 * definition source (files or REST, every preset) is protected exactly like the Online Retail path:
 * order and update times that are real instants between DEMAND_EARLIEST_DATE and now plus
 * DEMAND_MAX_FUTURE_MINUTES, a bounded quantity and unit price, a SKU of the documented length and
 * character set, a capped description. Used at ingestion (which timestamps may move the watermark)
 * and by Silver (what is quarantined).
 */
import {
  capDescription,
  checkBoundedInteger,
  checkBoundedNumber,
  checkSku,
  checkWallClock,
  defaultFieldBounds,
  type FieldBounds,
} from '../validation/fields';
import type { CanonicalOrderLine } from './canonicalOrderLine';

export interface LineBoundsOptions {
  bounds?: Readonly<FieldBounds>;
  /** Epoch ms the future tolerance counts from (default Date.now()). */
  now?: number;
}

export type LineBoundsCheck = { ok: true; line: CanonicalOrderLine } | { ok: false; field: string; reason: string; detail: string };

/** An RFC 3339 instant as UTC `YYYY-MM-DD HH:MM:SS` (the watermark's form), or the text unchanged when it does not parse. */
function utcWallClock(instant: string): string {
  const ms = Date.parse(instant);
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 19).replace('T', ' ') : instant;
}

type TimeCheck = { ok: true; value: string } | { ok: false; field: string; reason: string; detail: string };

function checkInstant(
  field: 'orderedAt' | 'updatedAt',
  instant: string,
  options: { bounds: Readonly<FieldBounds>; now?: number },
): TimeCheck {
  const wall = utcWallClock(instant);
  const checked = checkWallClock(field, wall, options);
  if (checked.ok) return checked;
  // The detail names the value as the line holds it (the instant), then why.
  const prefix = `${field}=${JSON.stringify(wall)}: `;
  const why = checked.detail.startsWith(prefix) ? checked.detail.slice(prefix.length) : checked.detail;
  return { ok: false, field, reason: checked.reason, detail: `${field}=${JSON.stringify(instant)}: ${why}` };
}

/** orderedAt and updatedAt (when set) as checked UTC wall clocks; the first bad one fails. */
export function checkLineTimes(
  line: Pick<CanonicalOrderLine, 'orderedAt' | 'updatedAt'>,
  options: LineBoundsOptions = {},
): { ok: true; orderedAt: string; updatedAt: string | null } | { ok: false; field: string; reason: string; detail: string } {
  const timeOptions = { bounds: options.bounds ?? defaultFieldBounds, ...(options.now !== undefined ? { now: options.now } : {}) };
  const orderedAt = checkInstant('orderedAt', line.orderedAt, timeOptions);
  if (!orderedAt.ok) return orderedAt;
  if (line.updatedAt === null) return { ok: true, orderedAt: orderedAt.value, updatedAt: null };
  const updatedAt = checkInstant('updatedAt', line.updatedAt, timeOptions);
  if (!updatedAt.ok) return updatedAt;
  return { ok: true, orderedAt: orderedAt.value, updatedAt: updatedAt.value };
}

/** Every bound of a canonical line; on success the line with its description capped. */
export function checkCanonicalLineBounds(line: CanonicalOrderLine, options: LineBoundsOptions = {}): LineBoundsCheck {
  const bounds = options.bounds ?? defaultFieldBounds;
  const times = checkLineTimes(line, options);
  if (!times.ok) return times;
  const quantity = checkBoundedInteger('quantity', line.quantity, bounds.maxOrderQuantity);
  if (!quantity.ok) return { ok: false, field: 'quantity', reason: quantity.reason, detail: quantity.detail };
  const price = checkBoundedNumber('unitPrice', line.unitPrice, -bounds.maxUnitPrice, bounds.maxUnitPrice);
  if (!price.ok) return { ok: false, field: 'unitPrice', reason: price.reason, detail: price.detail };
  const sku = checkSku('sku', line.sku, bounds);
  if (!sku.ok) return { ok: false, field: 'sku', reason: sku.reason, detail: sku.detail };
  return { ok: true, line: { ...line, description: capDescription(line.description, bounds) } };
}
