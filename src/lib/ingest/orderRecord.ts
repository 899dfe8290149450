import type { ReasonCounts } from '../quality/reasonCounts';
import { checkWallClock } from '../validation/fields';

/**
 * One order line as the orders API serves it (the contract with real sources too). Field names
 * follow UCI Online Retail; Online Retail II's Invoice/Price/Customer ID map onto the same names.
 */
export interface OrderRecord {
  /** Stable id of the source line (`<InvoiceNo>-<line within invoice>`): the API's line key. */
  orderLineId: string;
  InvoiceNo: string;
  StockCode: string;
  Description: string | null;
  Quantity: number;
  /** `YYYY-MM-DD HH:MM:SS`, the shop's local time, no zone. */
  InvoiceDate: string;
  UnitPrice: number;
  /** As in the source, e.g. "17850.0"; null when unknown. */
  CustomerID: string | null;
  Country: string | null;
}

export const invoiceDatePattern = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

type FieldKind = 'string' | 'nullableString' | 'number' | 'invoiceDate';
const fieldKinds: ReadonlyArray<[keyof OrderRecord, FieldKind]> = [
  ['orderLineId', 'string'],
  ['InvoiceNo', 'string'],
  ['StockCode', 'string'],
  ['Description', 'nullableString'],
  ['Quantity', 'number'],
  ['InvoiceDate', 'invoiceDate'],
  ['UnitPrice', 'number'],
  ['CustomerID', 'nullableString'],
  ['Country', 'nullableString'],
];

/**
 * Problems of one received record, as reason codes (`missing:Quantity`, `wrong_type:UnitPrice`,
 * `bad_format:InvoiceDate`, `not_an_object`). Bronze stores the record anyway; these are counted.
 */
export function orderRecordProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['not_an_object'];
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const [field, kind] of fieldKinds) {
    const v = record[field];
    if (v === undefined) {
      problems.push(`missing:${field}`);
      continue;
    }
    switch (kind) {
      case 'string':
        if (typeof v !== 'string' || v.length === 0) problems.push(`wrong_type:${field}`);
        break;
      case 'nullableString':
        if (v !== null && typeof v !== 'string') problems.push(`wrong_type:${field}`);
        break;
      case 'number':
        if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`wrong_type:${field}`);
        break;
      case 'invoiceDate':
        if (typeof v !== 'string') problems.push(`wrong_type:${field}`);
        else if (!invoiceDatePattern.test(v)) problems.push(`bad_format:${field}`);
        else if (!checkWallClock(field, v).ok) problems.push(`impossible_or_out_of_range:${field}`);
        break;
    }
  }
  return problems;
}

/** Quantity when it is a finite number (the reconciliation figure), else undefined. */
export function numericQuantity(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const q = (value as { Quantity?: unknown }).Quantity;
  return typeof q === 'number' && Number.isFinite(q) ? q : undefined;
}

/**
 * InvoiceDate when it is a real calendar time within the floor and now + tolerance, else undefined:
 * a leap second, an impossible date or a year-9999 date never moves a watermark.
 */
export function wellFormedInvoiceDate(value: unknown, now: number = Date.now()): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const d = (value as { InvoiceDate?: unknown }).InvoiceDate;
  if (typeof d !== 'string' || !invoiceDatePattern.test(d)) return undefined;
  return checkWallClock('InvoiceDate', d, { now }).ok ? d : undefined;
}

export function addReasons(into: ReasonCounts, reasons: Iterable<string>): void {
  for (const reason of reasons) into[reason] = (into[reason] ?? 0) + 1;
}

export function mergeReasons(into: ReasonCounts, from: ReasonCounts): void {
  for (const [reason, count] of Object.entries(from)) into[reason] = (into[reason] ?? 0) + count;
}
