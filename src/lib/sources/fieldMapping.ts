/**
 * Maps one source record onto a canonical order line with the definition's `fields`: each field is
 * a column or dotted path, a constant, a value map, or alternatives. Every problem is reported by
 * canonical field with the value found, so `demand sources check` can show them all at once.
 */
import { canonicalOrderLineSchema, orderLineStatuses, type CanonicalOrderLine } from '../orders/canonicalOrderLine';
import type { FieldSpec, OrderFields, SingleFieldSpec } from './definition';
import { parseTimestamp } from './timestamps';
import { instantText, localDateTime } from './zonedTime';
import { valueText } from '../errors/valueText';

export interface FieldProblem {
  field: string;
  detail: string;
}

export type MappedRecord = { ok: true; line: CanonicalOrderLine } | { ok: false; problems: FieldProblem[] };

/** A record and, for a line item, the order it belongs to (reached by `order.<path>`). */
export interface RecordScope {
  record: unknown;
  order?: unknown;
}

export interface MappingOptions {
  /** Zone of timestamps written without an offset. */
  timeZone: string;
  /** Zone whose calendar days demand is counted in. */
  shopTimeZone: string;
}

function at(value: unknown, segments: readonly string[]): unknown {
  let current = value;
  for (const segment of segments) {
    if (current === null || current === undefined) return undefined;
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (typeof current === 'object') current = (current as Record<string, unknown>)[segment];
    else return undefined;
  }
  return current;
}

/** A column name first (CSV headers may hold dots), then a dotted path; `order.` reaches the order. */
export function valueAtPath(scope: RecordScope, path: string): unknown {
  const record = scope.record;
  if (typeof record === 'object' && record !== null && path in record) return (record as Record<string, unknown>)[path];
  if (scope.order !== undefined && path.startsWith('order.')) return at(scope.order, path.slice(6).split('.'));
  return at(record, path.split('.'));
}

const isEmpty = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

export function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? valueText(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export interface Resolved {
  value: unknown;
  /** What the source held (for messages). */
  found: unknown;
  spec: SingleFieldSpec;
}

function resolveSingle(spec: SingleFieldSpec, scope: RecordScope): Resolved {
  if (typeof spec === 'string') {
    const v = valueAtPath(scope, spec);
    return { value: v, found: v, spec };
  }
  if ('value' in spec) return { value: spec.value, found: spec.value, spec };
  const raw = valueAtPath(scope, spec.path);
  if (spec.whenPresent !== undefined) return { value: isEmpty(raw) ? spec.default : spec.whenPresent, found: raw, spec };
  if (spec.map) {
    const key = isEmpty(raw) ? undefined : String(raw).trim();
    if (key !== undefined) {
      if (Object.hasOwn(spec.map, key)) return { value: spec.map[key], found: raw, spec };
      const lower = key.toLowerCase();
      const hit = Object.keys(spec.map).find((k) => k.toLowerCase() === lower);
      if (hit !== undefined) return { value: spec.map[hit], found: raw, spec };
    }
    return { value: spec.default !== undefined ? spec.default : raw, found: raw, spec };
  }
  return { value: isEmpty(raw) && spec.default !== undefined ? spec.default : raw, found: raw, spec };
}

/** A field spec's value for a record (alternatives tried in order). */
export function resolve(spec: FieldSpec, scope: RecordScope): Resolved {
  if (!Array.isArray(spec)) return resolveSingle(spec, scope);
  let last: Resolved | undefined;
  for (const alternative of spec) {
    last = resolveSingle(alternative, scope);
    if (!isEmpty(last.value)) return last;
  }
  return last as Resolved;
}

export function text(value: unknown): string | null {
  if (isEmpty(value)) return null;
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return null;
}

/** Numbers and numeric strings ("199.00", " 3 "), nothing else. */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

const textFields = ['orderId', 'lineId', 'sku', 'customerId', 'currency', 'description', 'category', 'location'] as const;
const requiredText = new Set<string>(['orderId', 'lineId', 'sku']);

/** Compiles the definition's fields into a function from a source record to a canonical line. */
export function compileOrderMapping(fields: OrderFields, options: MappingOptions): (scope: RecordScope) => MappedRecord {
  const statusWords = new Set<string>(orderLineStatuses);
  return (scope) => {
    const problems: FieldProblem[] = [];
    const out: Record<string, unknown> = {};
    for (const field of textFields) {
      const spec = fields[field];
      if (spec === undefined) {
        out[field] = null;
        continue;
      }
      const r = resolve(spec, scope);
      const t = text(r.value);
      if (t === null && !isEmpty(r.value)) problems.push({ field, detail: `${describe(r.found)}: expected text or a number` });
      else if (t === null && requiredText.has(field)) problems.push({ field, detail: `${describe(r.found)}: required` });
      out[field] = t;
    }
    const quantity = resolve(fields.quantity, scope);
    const q = numberOf(quantity.value);
    if (q === undefined || !Number.isSafeInteger(q))
      problems.push({ field: 'quantity', detail: `${describe(quantity.found)}: expected a whole number` });
    out.quantity = q;
    const price = resolve(fields.unitPrice, scope);
    const p = numberOf(price.value);
    if (p === undefined) problems.push({ field: 'unitPrice', detail: `${describe(price.found)}: expected a number` });
    out.unitPrice = p;

    const timeOf = (field: 'orderedAt' | 'updatedAt', spec: FieldSpec): number | undefined => {
      const r = resolve(spec, scope);
      if (isEmpty(r.value)) {
        if (field === 'orderedAt') problems.push({ field, detail: `${describe(r.found)}: required` });
        return undefined;
      }
      const single = typeof r.spec === 'object' && 'path' in r.spec ? r.spec : undefined;
      const parsed = parseTimestamp(r.value, single?.format ?? 'auto', single?.timeZone ?? options.timeZone);
      if (!parsed.ok) {
        problems.push({ field, detail: `${describe(r.found)}: ${parsed.detail}` });
        return undefined;
      }
      return parsed.epochMs;
    };
    const orderedAt = timeOf('orderedAt', fields.orderedAt);
    if (orderedAt !== undefined) {
      out.orderedAt = instantText(orderedAt);
      out.orderedAtLocal = localDateTime(orderedAt, options.shopTimeZone);
    }
    const updatedAt = fields.updatedAt ? timeOf('updatedAt', fields.updatedAt) : undefined;
    out.updatedAt = updatedAt === undefined ? null : instantText(updatedAt);

    const status = resolve(fields.status, scope);
    const word = text(status.value)?.toLowerCase();
    if (word === undefined || !statusWords.has(word)) {
      problems.push({
        field: 'status',
        detail: `${describe(status.found)}: maps to ${describe(status.value)}, not one of ${orderLineStatuses.join(', ')} (add it to "map" or set "default")`,
      });
    }
    out.status = word;

    if (problems.length > 0) return { ok: false, problems };
    const parsed = canonicalOrderLineSchema.safeParse(out);
    if (!parsed.success) {
      return {
        ok: false,
        problems: parsed.error.issues.map((i) => ({
          field: String(i.path[0] ?? 'record'),
          detail: `${describe(out[String(i.path[0])])}: ${i.message}`,
        })),
      };
    }
    return { ok: true, line: parsed.data };
  };
}
