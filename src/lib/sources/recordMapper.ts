/**
 * A source record (an order with line items, or one flat line) to the Bronze records of a
 * definition-based source: canonical order lines, and for what cannot be mapped an "unmapped"
 * record that keeps the source data and names every problem, so Silver quarantines it with a reason.
 */
import { isUnmappedOrderRecord, type CanonicalOrderLine, type UnmappedOrderRecord } from '../orders/canonicalOrderLine';
import { checkCanonicalLineBounds, checkLineTimes } from '../orders/canonicalLineBounds';
import type { FieldBounds } from '../validation/fields';
import type { OrdersSourceDefinition } from './definition';
import { compileOrderMapping, valueAtPath, type FieldProblem } from './fieldMapping';

export type BronzeOrderRecord = CanonicalOrderLine | UnmappedOrderRecord;

export interface RecordMapper {
  /** One source record to its lines (a line-item order gives one per item). */
  map(raw: unknown): BronzeOrderRecord[];
}

export function createRecordMapper(definition: OrdersSourceDefinition, shopTimeZone: string): RecordMapper {
  const mapLine = compileOrderMapping(definition.fields, { timeZone: definition.timeZone, shopTimeZone });
  const lineItems = definition.kind === 'rest' ? definition.lineItems : undefined;
  const unmapped = (raw: unknown, problems: FieldProblem[]): UnmappedOrderRecord => ({ $unmapped: raw, problems });
  return {
    map(raw) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        return [unmapped(raw, [{ field: 'record', detail: `${JSON.stringify(raw)?.slice(0, 80)}: not an object` }])];
      if (lineItems === undefined) {
        const mapped = mapLine({ record: raw });
        return [mapped.ok ? mapped.line : unmapped(raw, mapped.problems)];
      }
      const items = valueAtPath({ record: raw }, lineItems);
      if (!Array.isArray(items))
        return [
          unmapped(raw, [
            {
              field: 'lineItems',
              detail: `"${lineItems}" is ${items === undefined ? 'missing' : JSON.stringify(items).slice(0, 60)}: expected an array of line items`,
            },
          ]),
        ];
      return items.map((item) => {
        const mapped = mapLine({ record: item, order: raw });
        // The order is kept once per bad line (without its other items), so the quarantine row is self-contained.
        return mapped.ok ? mapped.line : unmapped({ ...(raw as Record<string, unknown>), [lineItems]: [item] }, mapped.problems);
      });
    },
  };
}

export interface BronzeRecordFactsOptions {
  /** The DEMAND_MAX_* / DEMAND_EARLIEST_DATE bounds (defaults when absent). */
  bounds?: Readonly<FieldBounds>;
  /** The clock the future tolerance counts from. */
  now?: () => Date;
}

/**
 * What a Bronze record of a definition source says for the manifest. Only a line whose order and
 * update times are real instants within the floor and now plus the tolerance gives a watermark
 * timestamp: a year-9999 `updated_at` is counted as a problem (Silver quarantines the line) and
 * never moves the watermark. Lines breaking another bound are counted with Silver's reason.
 */
export function bronzeRecordFactsWith(
  options: BronzeRecordFactsOptions = {},
): (record: unknown) => { problems: string[]; quantity: number | undefined; timestamp: string | undefined } {
  return (record) => {
    if (isUnmappedOrderRecord(record))
      return { problems: [...new Set(record.problems.map((p) => `unmapped:${p.field}`))], quantity: undefined, timestamp: undefined };
    const line = record as CanonicalOrderLine;
    const checkOptions = { ...(options.bounds ? { bounds: options.bounds } : {}), now: (options.now?.() ?? new Date()).getTime() };
    const times = checkLineTimes(line, checkOptions);
    if (!times.ok) return { problems: [`impossible_or_out_of_range:${times.field}`], quantity: line.quantity, timestamp: undefined };
    const bounded = checkCanonicalLineBounds(line, checkOptions);
    return {
      problems: bounded.ok ? [] : [`schema_invalid:${bounded.field}`],
      quantity: line.quantity,
      timestamp: times.updatedAt ?? times.orderedAt,
    };
  };
}

/** bronzeRecordFactsWith the default bounds and the wall clock. */
export const bronzeRecordFacts = bronzeRecordFactsWith();
