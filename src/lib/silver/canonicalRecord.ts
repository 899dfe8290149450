/**
 * Bronze records of definition-based sources (canonical order lines) into Silver order lines.
 * Demand days are the shop's calendar days: `orderedAtLocal` (the instant on the shop's wall clock,
 * worked out at ingestion) is written as Silver's shop-local `orderTs`, as Online Retail times are.
 */
import { canonicalLineKey, canonicalOrderLineSchema, isUnmappedOrderRecord, type OrderLineStatus } from '../orders/canonicalOrderLine';
import { checkCanonicalLineBounds } from '../orders/canonicalLineBounds';
import { capDescription, defaultFieldBounds, type FieldBounds } from '../validation/fields';
import { normaliseCustomerId, normaliseDescription, normaliseSku, normaliseText, type OrderLine } from './orderRecord';

/** Silver line ids of returned canonical lines end with this (the returns count reads it). */
export const returnedLineSuffix = '#returned';

export type CanonicalRecordCheck = { ok: true; line: OrderLine; status: OrderLineStatus } | { ok: false; reason: string; detail: string };

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * A canonical Bronze record as a Silver line, or the reason it is quarantined: unmapped, not the
 * schema, or a value outside the field bounds (`schema_invalid:<field>`, as the Online Retail path
 * names them; the detail names the value and the bound).
 */
export function checkCanonicalRecord(raw: unknown, bounds: Readonly<FieldBounds> = defaultFieldBounds): CanonicalRecordCheck {
  if (isUnmappedOrderRecord(raw)) {
    const first = raw.problems[0];
    return {
      ok: false,
      reason: `unmapped:${first?.field ?? 'record'}`,
      detail: raw.problems.map((p) => `${p.field}=${p.detail}`).join('; ') || 'not mapped',
    };
  }
  const parsed = canonicalOrderLineSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? 'record');
    return {
      ok: false,
      reason: `schema_invalid:${field}`,
      detail: `${field}=${describe((raw as Record<string, unknown>)[field])}: ${issue?.message ?? 'invalid'}`,
    };
  }
  const bounded = checkCanonicalLineBounds(parsed.data, { bounds });
  if (!bounded.ok) return { ok: false, reason: `schema_invalid:${bounded.field}`, detail: bounded.detail };
  const c = bounded.line;
  return {
    ok: true,
    status: c.status,
    line: {
      // A later status of the same line (placed, then cancelled) is a record of its own, not a re-delivery.
      orderLineId: c.status === 'placed' ? canonicalLineKey(c) : `${canonicalLineKey(c)}#${c.status}`,
      invoiceNo: c.orderId,
      sku: normaliseSku(c.sku),
      description: capDescription(normaliseDescription(c.description), bounds),
      quantity: c.quantity,
      unitPrice: c.unitPrice,
      customerId: normaliseCustomerId(c.customerId),
      country: normaliseText(c.location),
      orderTs: `${c.orderedAtLocal}.000Z`,
      orderDate: c.orderedAtLocal.slice(0, 10),
    },
  };
}
