/**
 * The cleansing rules the Silver build applies: classifyRecord (stateless: demand line,
 * cancellation, rejected by a rule, invalid), run by the scan pass on each record, and SeenLines
 * (re-deliveries and exact copies, by fingerprint), run by the month pass.
 */
import { FingerprintSet } from './fingerprintSet';
import { isCanonicalOrderRecord, isUnmappedOrderRecord } from '../orders/canonicalOrderLine';
import { checkCanonicalRecord } from './canonicalRecord';
import { checkOrderRecord, toOrderLine, type OrderLine } from './orderRecord';
import type { CompiledRule, RuleField } from './ruleSet';
import type { FieldBounds } from '../validation/fields';

function ruleValue(line: OrderLine, field: RuleField, status: string | null): string | number | null {
  switch (field) {
    case 'Status':
      return status;
    case 'InvoiceNo':
      return line.invoiceNo;
    case 'StockCode':
      return line.sku;
    case 'Description':
      return line.description;
    case 'Quantity':
      return line.quantity;
    case 'UnitPrice':
      return line.unitPrice;
    case 'CustomerID':
      return line.customerId;
    case 'Country':
      return line.country;
  }
}

/** The identity of an exact duplicate: every value of the line except its id, after normalisation. */
export function duplicateKey(line: OrderLine): string {
  // One template instead of an array and join per line (same text).
  return `${line.invoiceNo}\u0001${line.sku}\u0001${line.description ?? ''}\u0001${line.quantity}\u0001${line.orderTs}\u0001${line.unitPrice}\u0001${line.customerId ?? ''}\u0001${line.country ?? ''}`;
}

/** What the stateless rules say of one record (de-duplication is the caller's, it needs history). */
export type RecordVerdict =
  | { kind: 'demand' | 'cancellation'; line: OrderLine }
  /** A well-formed line a rule rejects (still a re-delivery if its id was seen). */
  | { kind: 'rejected'; line: OrderLine; reason: string; detail: string }
  /** Not a valid order record: no line, no id to trust. */
  | { kind: 'invalid'; reason: string; detail: string };

/**
 * Two Bronze shapes reach Silver: canonical order lines (every definition-based source, with a
 * status) and the Online Retail API's records (the default source, no status).
 */
function lineOf(
  raw: unknown,
  bounds?: Readonly<FieldBounds>,
): { ok: true; line: OrderLine; status: string | null } | { ok: false; reason: string; detail: string } {
  if (isUnmappedOrderRecord(raw) || isCanonicalOrderRecord(raw)) return checkCanonicalRecord(raw, bounds);
  const checked = checkOrderRecord(raw, bounds);
  if (!checked.ok) return { ok: false, reason: `schema_invalid:${checked.field}`, detail: checked.detail };
  return { ok: true, line: toOrderLine(checked.record), status: null };
}

export function classifyRecord(raw: unknown, rules: readonly CompiledRule[], bounds?: Readonly<FieldBounds>): RecordVerdict {
  const checked = lineOf(raw, bounds);
  if (!checked.ok) return { kind: 'invalid', reason: checked.reason, detail: checked.detail };
  const { line, status } = checked;
  for (const rule of rules) {
    const value = ruleValue(line, rule.field, status);
    if (!rule.test(value)) continue;
    if (rule.action === 'cancellation') return { kind: 'cancellation', line };
    return { kind: 'rejected', line, reason: rule.id, detail: `${rule.field}=${JSON.stringify(value)}` };
  }
  return { kind: 'demand', line };
}

export function duplicateDetail(line: Pick<OrderLine, 'invoiceNo' | 'sku' | 'quantity'>): string {
  return `exact copy of an earlier line of invoice ${line.invoiceNo} (sku ${line.sku}, quantity ${line.quantity})`;
}

/**
 * The stateful half of the rules: which line ids and exact copies were seen, checked in the order
 * the rule set applies them (rule 2, a re-delivery, before the line's own rule verdict; rule 8, an
 * exact copy, after it). The Silver build's month pass keeps one per month.
 */
export class SeenLines {
  private readonly ids: FingerprintSet;
  private readonly exact: FingerprintSet;

  constructor(
    expectedLines: number,
    private readonly quarantineDuplicates: boolean,
  ) {
    this.ids = FingerprintSet.withCapacity(expectedLines);
    this.exact = FingerprintSet.withCapacity(expectedLines);
  }

  /** Remembers a stored line (fingerprints of its id and of its duplicateKey). */
  remember(idHi: number, idLo: number, dupHi: number, dupLo: number): void {
    this.ids.addFingerprint(idHi, idLo);
    this.exact.addFingerprint(dupHi, dupLo);
  }

  /** A line of another SKU bucket: only its id counts here (a later line with that id is a re-delivery). */
  rememberId(idHi: number, idLo: number): void {
    this.ids.addFingerprint(idHi, idLo);
  }

  /** The verdict for the next line; `rejected` says a stateless rule already rejected it. */
  check(idHi: number, idLo: number, dupHi: number, dupLo: number, rejected: boolean): 'redelivered' | 'rejected' | 'duplicate' | 'new' {
    if (!this.ids.addFingerprint(idHi, idLo)) return 'redelivered';
    if (rejected) return 'rejected';
    if (!this.exact.addFingerprint(dupHi, dupLo) && this.quarantineDuplicates) return 'duplicate';
    return 'new';
  }
}
