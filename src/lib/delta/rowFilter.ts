/**
 * A small, safe filter language for reading lake tables (`demand export --where`):
 *   sku=85123A and date>=2011-01-01 and on_hand!=null and description='WHITE HANGING'
 * Comparisons: = != > >= < <=; values bare or quoted ('…' / "…", doubled quote to escape);
 * `null` (bare) matches missing values with = / !=. Conditions are joined by `and`.
 * The text is tokenised and checked against the schema, never evaluated as code.
 */
import { ValidationError } from '../errors';
import { decimalToUnscaled, normalizeDecimal, parseDecimalType } from './decimal';
import { partitionValueFromString } from './schema';
import { isoToMicros, microsToIso } from './timestamp';
import type { DeltaField, DeltaRow, DeltaSchema, DeltaValue } from './types';

export type ComparisonOperator = '=' | '!=' | '>' | '>=' | '<' | '<=';

export interface RowCondition {
  column: string;
  operator: ComparisonOperator;
  /** Typed per the column (null for the bare `null` literal). */
  value: DeltaValue;
}

export interface RowFilter {
  conditions: RowCondition[];
  /** Keeps a row when every condition holds. */
  matches(row: DeltaRow): boolean;
  /** Keeps a file when its partition values can satisfy the conditions on partition columns. */
  matchesPartition(partitionValues: Record<string, string | null>): boolean;
}

const conditionPattern = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|!=|=|>|<)\s*('(?:[^']|'')*'|"(?:[^"]|"")*"|[^\s'"]+)\s*/;

function typedValue(field: DeltaField, raw: string, quoted: boolean, where: string): DeltaValue {
  if (!quoted && raw.toLowerCase() === 'null') return null;
  const bad = (expected: string): ValidationError =>
    new ValidationError(
      'where',
      `--where: column "${field.name}" is ${field.type}; ${JSON.stringify(raw)} is not ${expected} (in "${where}")`,
    );
  switch (field.type) {
    case 'long':
    case 'integer':
    case 'short':
    case 'byte':
    case 'double':
    case 'float': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw bad('a number');
      return field.type === 'float' ? Math.fround(n) : n;
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw bad('true or false');
      return raw === 'true';
    case 'date':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) throw bad("a date 'YYYY-MM-DD'");
      return raw;
    case 'timestamp': {
      const ms = Date.parse(raw);
      if (Number.isNaN(ms)) throw bad('a timestamp');
      return new Date(ms).toISOString();
    }
    case 'string':
      return raw;
    case 'timestamp_ntz':
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/.test(raw)) throw bad("a timestamp without zone 'YYYY-MM-DDTHH:MM:SS'");
      // The read form: milliseconds always, microseconds when present.
      return microsToIso(isoToMicros(`${raw}Z`) ?? 0n).slice(0, -1);
    case 'binary':
      throw new ValidationError('where', `--where: column "${field.name}" is binary, which cannot be compared (in "${where}")`);
    default: {
      const text = normalizeDecimal(raw, parseDecimalType(field.type)?.scale ?? 0);
      if (text === undefined) throw bad(`a ${field.type} value`);
      return text;
    }
  }
}

/** Decimal text compares by value (as unscaled integers), not as text. */
function compareDecimals(field: DeltaField, left: DeltaValue, operator: ComparisonOperator, right: DeltaValue): boolean {
  const scale = parseDecimalType(field.type)?.scale ?? 0;
  const l = decimalToUnscaled(String(left), scale);
  const r = decimalToUnscaled(String(right), scale);
  if (l === undefined || r === undefined) return false;
  const order = l < r ? -1 : l > r ? 1 : 0;
  return { '=': order === 0, '!=': order !== 0, '>': order > 0, '>=': order >= 0, '<': order < 0, '<=': order <= 0 }[operator];
}

function compare(field: DeltaField, left: DeltaValue, operator: ComparisonOperator, right: DeltaValue): boolean {
  if (right === null) {
    if (operator === '=') return left === null;
    if (operator === '!=') return left !== null;
    return false;
  }
  if (left === null) return false;
  if (field.type.startsWith('decimal')) return compareDecimals(field, left, operator, right);
  const l = field.type === 'timestamp' && typeof left === 'string' ? new Date(Date.parse(left)).toISOString() : left;
  switch (operator) {
    case '=':
      return l === right;
    case '!=':
      return l !== right;
    case '>':
      return l > right;
    case '>=':
      return l >= right;
    case '<':
      return l < right;
    case '<=':
      return l <= right;
  }
}

/** Parses `where` against the table schema; unknown columns are named with the valid ones. */
export function parseRowFilter(where: string, schema: DeltaSchema, partitionColumns: readonly string[] = []): RowFilter {
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  const conditions: RowCondition[] = [];
  let rest = where;
  while (rest.trim().length > 0) {
    const m = conditionPattern.exec(rest);
    if (!m) {
      throw new ValidationError(
        'where',
        `--where: cannot parse ${JSON.stringify(rest.trim())}; expected <column><op><value> joined by "and" (ops: = != > >= < <=)`,
      );
    }
    const [whole, column = '', operator = '=', token = ''] = m;
    const field = byName.get(column);
    if (!field) {
      throw new ValidationError('where', `--where: unknown column "${column}"; columns: ${schema.fields.map((f) => f.name).join(', ')}`);
    }
    const quoted = token.startsWith("'") || token.startsWith('"');
    const raw = quoted ? token.slice(1, -1).replace(token.startsWith("'") ? /''/g : /""/g, token[0] ?? '') : token;
    conditions.push({ column, operator: operator as ComparisonOperator, value: typedValue(field, raw, quoted, where) });
    rest = rest.slice(whole.length);
    const and = /^and\b\s*/i.exec(rest);
    if (and) {
      rest = rest.slice(and[0].length);
      if (rest.trim().length === 0) throw new ValidationError('where', `--where: dangling "and" at the end of "${where}"`);
    } else if (rest.trim().length > 0) {
      throw new ValidationError('where', `--where: expected "and" before ${JSON.stringify(rest.trim())}`);
    }
  }
  const fieldOf = (c: RowCondition): DeltaField => byName.get(c.column) as DeltaField;
  const partitionConditions = conditions.filter((c) => partitionColumns.includes(c.column));
  return {
    conditions,
    matches: (row) => conditions.every((c) => compare(fieldOf(c), row[c.column] ?? null, c.operator, c.value)),
    matchesPartition: (values) =>
      partitionConditions.every((c) => compare(fieldOf(c), partitionValueFromString(fieldOf(c), values[c.column]), c.operator, c.value)),
  };
}
