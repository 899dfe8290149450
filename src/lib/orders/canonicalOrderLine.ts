/**
 * The canonical order line: what every orders source (a shop platform's REST API, an exported
 * file, the UCI Online Retail API) is mapped to before Silver sees it. Independent of any source:
 * field names speak the domain, the order time is an instant, the status is one of three words.
 */
import { z } from 'zod';

export const orderLineStatuses = ['placed', 'cancelled', 'returned'] as const;
export type OrderLineStatus = (typeof orderLineStatuses)[number];

/** RFC 3339 instant with `Z` or an offset, e.g. 2017-10-02T13:56:33.000Z or 2017-10-02T10:56:33-03:00. */
const instantPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
/** Shop-local wall time, no zone: 2017-10-02T10:56:33. */
const localPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

const text = z.string().trim().min(1);
const optionalText = z.string().nullable().default(null);

export const canonicalOrderLineSchema = z.object({
  /** The order (invoice) the line belongs to. */
  orderId: text,
  /** The line within its order; with orderId it identifies the line at the source. */
  lineId: text,
  sku: text,
  quantity: z.number().int(),
  unitPrice: z.number().refine(Number.isFinite, 'not finite'),
  /** ISO 4217 code when the source says it. */
  currency: optionalText,
  orderedAt: z.string().regex(instantPattern, 'expected an RFC 3339 instant with Z or an offset'),
  /** The same instant on the shop's wall clock (its time zone): demand days are these days. */
  orderedAtLocal: z.string().regex(localPattern, 'expected YYYY-MM-DDTHH:MM:SS'),
  status: z.enum(orderLineStatuses),
  customerId: optionalText,
  description: optionalText,
  category: optionalText,
  /** Where the order was placed or shipped from (a country, a store, a warehouse). */
  location: optionalText,
  /** When the source last changed the order (the incremental watermark of REST sources). */
  updatedAt: z.string().regex(instantPattern, 'expected an RFC 3339 instant').nullable().default(null),
});

export type CanonicalOrderLine = z.infer<typeof canonicalOrderLineSchema>;

/**
 * A source record that could not be mapped to a canonical line. Bronze keeps it (with what came),
 * and Silver quarantines it with the first problem as reason: nothing is dropped silently.
 */
export interface UnmappedOrderRecord {
  $unmapped: unknown;
  problems: Array<{ field: string; detail: string }>;
}

export function isUnmappedOrderRecord(value: unknown): value is UnmappedOrderRecord {
  return typeof value === 'object' && value !== null && '$unmapped' in value && Array.isArray((value as { problems?: unknown }).problems);
}

/** A Bronze record in the canonical shape (as opposed to the legacy Online Retail API shape). */
export function isCanonicalOrderRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'orderId' in value && 'orderedAtLocal' in value;
}

/** The line's key at the source: the Silver line id of a canonical line. */
export function canonicalLineKey(line: Pick<CanonicalOrderLine, 'orderId' | 'lineId'>): string {
  return `${line.orderId}/${line.lineId}`;
}
