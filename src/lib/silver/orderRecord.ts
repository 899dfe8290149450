/**
 * The boundary between Bronze (which keeps whatever arrived) and Silver: a zod schema for an
 * order record, and the normalisation of its values (SKU, customer id, description, timestamp).
 */
import { z } from 'zod';
import {
  capDescription,
  checkBoundedInteger,
  checkBoundedNumber,
  checkSku,
  checkWallClock,
  defaultFieldBounds,
  type FieldBounds,
} from '../validation/fields';
import { valueText } from '../errors/valueText';

const nullableText = z
  .union([z.string(), z.null()])
  .optional()
  .transform((v) => v ?? null);

export const orderRecordSchema = z.object({
  orderLineId: z.string().min(1),
  InvoiceNo: z.string().min(1),
  StockCode: z.string().refine((s) => s.trim().length > 0, 'empty'),
  Description: nullableText,
  Quantity: z.number().int(),
  InvoiceDate: z.string().regex(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$/, 'expected YYYY-MM-DD HH:MM:SS'),
  UnitPrice: z.number().refine(Number.isFinite, 'not finite'),
  CustomerID: z
    .union([z.string(), z.number(), z.null()])
    .optional()
    .transform((v) => v ?? null),
  Country: nullableText,
});

/**
 * A received order record that passed the schema, before normalisation. Not the orders API's
 * `OrderRecord` (src/lib/ingest/orderRecord.ts, CustomerID a string): sources also send the
 * customer id as a number, which this accepts and `toOrderLine` turns into text.
 */
export type ValidatedOrderRecord = z.infer<typeof orderRecordSchema>;

/** An order line after validation and normalisation (the shape written to order_lines). */
export interface OrderLine {
  orderLineId: string;
  invoiceNo: string;
  sku: string;
  description: string | null;
  quantity: number;
  unitPrice: number;
  customerId: string | null;
  country: string | null;
  /** Shop-local time as written in the source, ISO form with Z (no time zone conversion). */
  orderTs: string;
  orderDate: string;
}

export type OrderRecordCheck = { ok: true; record: ValidatedOrderRecord } | { ok: false; field: string; detail: string };

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? valueText(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const invoiceDatePattern = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$/;

function isNullableText(v: unknown): v is string | null | undefined {
  return v === undefined || v === null || typeof v === 'string';
}

/**
 * The schema's verdict for the common, well-formed record without zod's generic machinery (a third
 * of the Silver pass on a million lines). It accepts only what orderRecordSchema accepts and returns
 * the same output; anything else (and every failure's message) goes through zod itself.
 */
function wellFormed(raw: unknown): ValidatedOrderRecord | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const { orderLineId, InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country } = r;
  if (typeof orderLineId !== 'string' || orderLineId.length === 0) return undefined;
  if (typeof InvoiceNo !== 'string' || InvoiceNo.length === 0) return undefined;
  if (typeof StockCode !== 'string' || StockCode.trim().length === 0) return undefined;
  if (!isNullableText(Description) || !isNullableText(Country)) return undefined;
  if (typeof Quantity !== 'number' || !Number.isSafeInteger(Quantity)) return undefined;
  if (typeof InvoiceDate !== 'string' || !invoiceDatePattern.test(InvoiceDate)) return undefined;
  if (typeof UnitPrice !== 'number' || !Number.isFinite(UnitPrice)) return undefined;
  if (!(
    CustomerID === undefined ||
    CustomerID === null ||
    typeof CustomerID === 'string' ||
    (typeof CustomerID === 'number' && Number.isFinite(CustomerID))
  )) {
    return undefined;
  }
  return {
    orderLineId,
    InvoiceNo,
    StockCode,
    Description: Description ?? null,
    Quantity,
    InvoiceDate,
    UnitPrice,
    CustomerID: CustomerID ?? null,
    Country: Country ?? null,
  };
}

/** Validates one Bronze record; on failure names the first bad field and its value. */
export function checkOrderRecord(raw: unknown, bounds: Readonly<FieldBounds> = defaultFieldBounds): OrderRecordCheck {
  const fast = wellFormed(raw);
  if (fast) return checkBounds(fast, bounds);
  const parsed = orderRecordSchema.safeParse(raw);
  if (parsed.success) return checkBounds(parsed.data, bounds);
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? String(issue.path[0]) : 'record';
  const value = field === 'record' ? raw : typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[field] : undefined;
  return { ok: false, field, detail: `${field}=${describeValue(value)}: ${issue?.message ?? 'invalid'}` };
}

/**
 * What the schema cannot say: a real calendar time within the floor and now + tolerance, a bounded
 * quantity and price (a 2^31 quantity or 1e308 price never reaches a Delta write), a SKU of the
 * documented length and character set (see src/lib/validation/fields.ts for the bounds).
 */
function checkBounds(record: ValidatedOrderRecord, bounds: Readonly<FieldBounds>): OrderRecordCheck {
  const at = checkWallClock('InvoiceDate', record.InvoiceDate, { bounds });
  if (!at.ok) return { ok: false, field: 'InvoiceDate', detail: at.detail };
  const quantity = checkBoundedInteger('Quantity', record.Quantity, bounds.maxOrderQuantity);
  if (!quantity.ok) return { ok: false, field: 'Quantity', detail: quantity.detail };
  const price = checkBoundedNumber('UnitPrice', record.UnitPrice, -bounds.maxUnitPrice, bounds.maxUnitPrice);
  if (!price.ok) return { ok: false, field: 'UnitPrice', detail: price.detail };
  const sku = checkSku('StockCode', record.StockCode, bounds);
  if (!sku.ok) return { ok: false, field: 'StockCode', detail: sku.detail };
  return { ok: true, record };
}

const dayMs = 86_400_000;

// Date conversions are cached: a million lines fall on a few hundred distinct days.
const validDays = new Map<string, boolean>();
const dayNumbers = new Map<string, number>();
const dayTexts = new Map<number, string>();

export function isValidCalendarDate(day: string): boolean {
  let valid = validDays.get(day);
  if (valid === undefined) {
    const t = Date.parse(`${day}T00:00:00Z`);
    valid = Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === day;
    if (validDays.size < 100_000) validDays.set(day, valid);
  }
  return valid;
}

/** Days since 1970-01-01 for a 'YYYY-MM-DD' date. */
export function dayNumber(day: string): number {
  let n = dayNumbers.get(day);
  if (n === undefined) {
    n = Math.round(Date.parse(`${day}T00:00:00Z`) / dayMs);
    if (dayNumbers.size < 100_000) dayNumbers.set(day, n);
  }
  return n;
}

export function dayFromNumber(n: number): string {
  let text = dayTexts.get(n);
  if (text === undefined) {
    text = new Date(n * dayMs).toISOString().slice(0, 10);
    if (dayTexts.size < 100_000) dayTexts.set(n, text);
  }
  return text;
}

/** Trim, upper-case, collapse inner whitespace: ' 85123a ' → '85123A'. */
export function normaliseSku(stockCode: string): string {
  return stockCode.trim().replace(/\s+/g, ' ').toUpperCase();
}

/** '17850.0' → '17850'; empty → null; other text is kept trimmed. */
export function normaliseCustomerId(value: string | number | null): string | null {
  if (value === null) return null;
  const text = String(value).trim();
  if (text === '' || /^nan$/i.test(text)) return null;
  const m = /^(\d+)\.0*$/.exec(text);
  return m ? (m[1] as string) : text;
}

// Descriptions repeat with their SKU: a bounded cache saves the regular expressions per line.
const descriptions = new Map<string, string | null>();

/** Trim and collapse whitespace; empty or 'nan' → null. */
export function normaliseDescription(value: string | null): string | null {
  if (value === null) return null;
  let normal = descriptions.get(value);
  if (normal === undefined) {
    const text = value.trim().replace(/\s+/g, ' ');
    normal = text === '' || /^nan$/i.test(text) ? null : text;
    if (descriptions.size >= 100_000) descriptions.clear();
    descriptions.set(value, normal);
  }
  return normal;
}

export function normaliseText(value: string | null): string | null {
  if (value === null) return null;
  const text = value.trim();
  return text === '' ? null : text;
}

/** The validated record as a Silver order line (revenue and partition columns are derived later). */
export function toOrderLine(record: ValidatedOrderRecord): OrderLine {
  const date = record.InvoiceDate.slice(0, 10);
  const time = record.InvoiceDate.slice(11);
  return {
    orderLineId: record.orderLineId,
    invoiceNo: record.InvoiceNo.trim().toUpperCase(),
    sku: normaliseSku(record.StockCode),
    description: capDescription(normaliseDescription(record.Description)),
    quantity: record.Quantity,
    unitPrice: record.UnitPrice,
    customerId: normaliseCustomerId(record.CustomerID),
    country: normaliseText(record.Country),
    orderTs: `${date}T${time.length === 5 ? `${time}:00` : time}.000Z`,
    orderDate: date,
  };
}
