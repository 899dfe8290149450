/**
 * Classifies each Bronze order record with the rule set: demand line, cancellation, quarantine
 * (with reason and detail) or a silent re-delivery. Keeps only fingerprints of what it has seen,
 * so a million lines cost ~32 MB here, not the lines themselves.
 */
import { FingerprintSet } from './fingerprintSet';
import { checkOrderRecord, toOrderLine, type OrderLine } from './orderRecord';
import type { CompiledRule, RuleField, RuleSet } from './ruleSet';

export type LineVerdict =
  | { kind: 'demand'; line: OrderLine }
  | { kind: 'cancellation'; line: OrderLine }
  | { kind: 'quarantine'; reason: string; detail: string }
  | { kind: 'redelivered' };

function ruleValue(line: OrderLine, field: RuleField): string | number | null {
  switch (field) {
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

export function classifyRecord(raw: unknown, rules: readonly CompiledRule[]): RecordVerdict {
  const checked = checkOrderRecord(raw);
  if (!checked.ok) return { kind: 'invalid', reason: `schema_invalid:${checked.field}`, detail: checked.detail };
  const line = toOrderLine(checked.record);
  for (const rule of rules) {
    const value = ruleValue(line, rule.field);
    if (!rule.test(value)) continue;
    if (rule.action === 'cancellation') return { kind: 'cancellation', line };
    return { kind: 'rejected', line, reason: rule.id, detail: `${rule.field}=${JSON.stringify(value)}` };
  }
  return { kind: 'demand', line };
}

export function duplicateDetail(line: Pick<OrderLine, 'invoiceNo' | 'sku' | 'quantity'>): string {
  return `exact copy of an earlier line of invoice ${line.invoiceNo} (sku ${line.sku}, quantity ${line.quantity})`;
}

export class OrderLineCleanser {
  private readonly ids: FingerprintSet;
  private readonly lines: FingerprintSet;
  private readonly rules: CompiledRule[];
  private readonly quarantineDuplicates: boolean;
  private readonly duplicateReason: string;

  constructor(ruleSet: RuleSet, options: { expectedLines?: number } = {}) {
    this.rules = ruleSet.rules;
    this.quarantineDuplicates = ruleSet.document.duplicates.policy === 'quarantine';
    this.duplicateReason = ruleSet.document.duplicates.reason;
    this.ids = FingerprintSet.withCapacity(options.expectedLines ?? 1024);
    this.lines = FingerprintSet.withCapacity(options.expectedLines ?? 1024);
  }

  /** Remembers a line stored by an earlier run, so its re-delivery or exact copy is recognised. */
  registerExisting(line: OrderLine): void {
    this.ids.add(line.orderLineId);
    this.lines.add(duplicateKey(line));
  }

  classify(raw: unknown): LineVerdict {
    const verdict = classifyRecord(raw, this.rules);
    if (verdict.kind === 'invalid') return { kind: 'quarantine', reason: verdict.reason, detail: verdict.detail };
    const line = verdict.line;
    if (!this.ids.add(line.orderLineId)) return { kind: 'redelivered' };
    if (verdict.kind === 'rejected') return { kind: 'quarantine', reason: verdict.reason, detail: verdict.detail };
    const kind = verdict.kind;
    if (!this.lines.add(duplicateKey(line)) && this.quarantineDuplicates) {
      return {
        kind: 'quarantine',
        reason: this.duplicateReason,
        detail: duplicateDetail(line),
      };
    }
    return { kind, line };
  }
}
