/**
 * Delta schemas: conversion to/from the Spark StructType JSON kept in metaData.schemaString, and
 * schema enforcement (comparing a write's schema with the table's, and checking every row's values).
 */
import { DeltaProtocolError, DeltaSchemaMismatchError, DeltaUnsupportedTypeError } from '../errors';
import { decimalToUnscaled, fitsPrecision, normalizeDecimal, parseDecimalType } from './decimal';
import { isoToMicros, microsToIso } from './timestamp';
import type { DeltaField, DeltaPrimitiveType, DeltaRow, DeltaSchema, DeltaValue } from './types';
import { valueText } from '../errors/valueText';

export interface SparkStructField {
  name: string;
  type: unknown;
  nullable: boolean;
  metadata: Record<string, unknown>;
}

export interface SparkStructType {
  type: 'struct';
  fields: SparkStructField[];
}

const simpleTypes: readonly string[] = [
  'string',
  'long',
  'integer',
  'short',
  'byte',
  'double',
  'float',
  'boolean',
  'binary',
  'date',
  'timestamp',
  'timestamp_ntz',
];
const supportedTypesText = `${simpleTypes.join(', ')}, decimal(p,s)`;

export function toSchemaString(schema: DeltaSchema): string {
  const struct: SparkStructType = {
    type: 'struct',
    fields: schema.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable, metadata: {} })),
  };
  return JSON.stringify(struct);
}

/** A schema type the module reads and writes, in its canonical form ('decimal(10,2)'), or undefined. */
export function primitiveTypeOf(type: unknown): DeltaPrimitiveType | undefined {
  if (typeof type !== 'string') return undefined;
  if (simpleTypes.includes(type)) return type as DeltaPrimitiveType;
  const decimal = parseDecimalType(type);
  return decimal ? `decimal(${decimal.precision},${decimal.scale})` : undefined;
}

/** A short readable name for any Spark schema type: 'array<integer>', 'map<string,long>', 'struct<a:int>'. */
export function describeType(type: unknown): string {
  if (typeof type === 'string') return type;
  if (type === null || typeof type !== 'object') return JSON.stringify(type) ?? String(type);
  const t = type as Record<string, unknown>;
  if (t.type === 'array') return `array<${describeType(t.elementType)}>`;
  if (t.type === 'map') return `map<${describeType(t.keyType)},${describeType(t.valueType)}>`;
  if (t.type === 'struct' && Array.isArray(t.fields)) {
    const fields = (t.fields as Array<{ name?: unknown; type?: unknown }>).map((f) => `${String(f.name)}:${describeType(f.type)}`);
    const text = `struct<${fields.join(',')}>`;
    return text.length > 120 ? `${text.slice(0, 117)}...>` : text;
  }
  return JSON.stringify(type).slice(0, 120);
}

/** A schema as a reader sees it: the readable columns, and the others with their type named. */
export interface ReadSchema {
  /** Every column in schema order; `field` is undefined for a column of an unsupported type. */
  columns: Array<{
    name: string;
    typeName: string;
    field: DeltaField | undefined;
    /** Column mapping (name/id mode): the column's name in data files and partitionValues, and its Parquet field id. */
    physicalName?: string;
    fieldId?: number;
  }>;
}

function parseStruct(table: string, schemaString: string | null | undefined): SparkStructField[] {
  // Delta's own Metadata() without a schema writes none: that is the empty schema.
  if (schemaString === null || schemaString === undefined) return [];
  if (typeof schemaString !== 'string') {
    throw new DeltaProtocolError(table, `metaData.schemaString is not a string: ${JSON.stringify(schemaString).slice(0, 200)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(schemaString);
  } catch (err) {
    throw new DeltaProtocolError(table, `metaData.schemaString is not JSON: ${schemaString.slice(0, 200)}`, { cause: err });
  }
  const struct = parsed as Partial<SparkStructType> | null;
  if (!struct || struct.type !== 'struct' || !Array.isArray(struct.fields)) {
    throw new DeltaProtocolError(table, `metaData.schemaString is not a struct type: ${schemaString.slice(0, 200)}`);
  }
  for (const f of struct.fields) {
    if (!f || typeof f !== 'object' || typeof f.name !== 'string') {
      throw new DeltaProtocolError(table, `metaData.schemaString has a field without a name: ${JSON.stringify(f).slice(0, 200)}`);
    }
  }
  return struct.fields;
}

/** Parses metaData.schemaString for reading: columns of unsupported types are kept, marked, not refused. */
export function readSchemaString(table: string, schemaString: string | null | undefined): ReadSchema {
  return {
    columns: parseStruct(table, schemaString).map((f) => {
      const type = primitiveTypeOf(f.type);
      const metadata = f.metadata ?? {};
      const physicalName = metadata['delta.columnMapping.physicalName'];
      const fieldId = metadata['delta.columnMapping.id'];
      return {
        name: f.name,
        typeName: describeType(f.type),
        field: type ? { name: f.name, type, nullable: f.nullable !== false } : undefined,
        ...(typeof physicalName === 'string' ? { physicalName } : {}),
        ...(typeof fieldId === 'number' ? { fieldId } : {}),
      };
    }),
  };
}

/** The error for a column whose type the module does not read. */
export function unsupportedColumn(table: string, column: { name: string; typeName: string }): DeltaUnsupportedTypeError {
  const nested = /^(array|map|struct)</.test(column.typeName);
  return new DeltaUnsupportedTypeError(
    table,
    column.name,
    column.typeName,
    `${nested ? 'nested types are not read' : 'not a type this module reads'} (supported: ${supportedTypesText})`,
  );
}

/** Parses metaData.schemaString; types outside the module's primitive set are refused by name. */
export function fromSchemaString(table: string, schemaString: string | null | undefined): DeltaSchema {
  const fields: DeltaField[] = [];
  for (const column of readSchemaString(table, schemaString).columns) {
    if (!column.field) throw unsupportedColumn(table, column);
    fields.push(column.field);
  }
  return { fields };
}

function describe(field: DeltaField): string {
  return `${field.type}${field.nullable ? '' : ' not null'}`;
}

/** Refuses a write whose declared schema differs from the table's (missing, extra or retyped column). */
export function assertSameSchema(table: string, tableSchema: DeltaSchema, writeSchema: DeltaSchema): void {
  const writeByName = new Map(writeSchema.fields.map((f) => [f.name, f]));
  for (const field of tableSchema.fields) {
    const other = writeByName.get(field.name);
    if (!other) {
      throw new DeltaSchemaMismatchError(table, field.name, `missing from the write schema (table has ${describe(field)})`);
    }
    if (other.type !== field.type) {
      throw new DeltaSchemaMismatchError(table, field.name, `write schema has type ${other.type}, table has ${field.type}`);
    }
    if (other.nullable && !field.nullable) {
      throw new DeltaSchemaMismatchError(table, field.name, 'write schema is nullable, table column is not null');
    }
  }
  const tableNames = new Set(tableSchema.fields.map((f) => f.name));
  for (const field of writeSchema.fields) {
    if (!tableNames.has(field.name)) {
      throw new DeltaSchemaMismatchError(table, field.name, `not in the table schema (table columns: ${[...tableNames].join(', ')})`);
    }
  }
}

/** Checks a schema is usable for a new table: unique names, known types, valid partition columns. */
export function assertValidSchema(table: string, schema: DeltaSchema, partitionBy: readonly string[]): void {
  const seen = new Set<string>();
  for (const field of schema.fields) {
    if (!field.name || seen.has(field.name.toLowerCase())) {
      throw new DeltaSchemaMismatchError(table, field.name, 'column names must be non-empty and unique (case-insensitive)');
    }
    seen.add(field.name.toLowerCase());
    if (primitiveTypeOf(field.type) !== field.type) {
      throw new DeltaSchemaMismatchError(
        table,
        field.name,
        `unknown type ${JSON.stringify(field.type)} (supported: ${supportedTypesText})`,
      );
    }
  }
  for (const column of partitionBy) {
    const field = schema.fields.find((f) => f.name === column);
    if (!field) {
      throw new DeltaSchemaMismatchError(table, column, 'partition column is not in the schema');
    }
    if (field.type === 'binary') {
      throw new DeltaSchemaMismatchError(table, column, 'a binary column cannot be a partition column');
    }
  }
  for (const field of schema.fields) {
    if (field.type === 'timestamp_ntz') {
      throw new DeltaSchemaMismatchError(
        table,
        field.name,
        'timestamp_ntz is read only: writing it needs the timestampNtz table feature (reader 3 / writer 7), and this module writes reader 1 / writer 2',
      );
    }
  }
  if (partitionBy.length > 0 && partitionBy.length === schema.fields.length) {
    throw new DeltaSchemaMismatchError(table, partitionBy[0] ?? '', 'a table needs at least one non-partition column');
  }
}

const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const localTimestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;
const timestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? valueText(value);
  } catch {
    return valueText(value);
  }
}

function integerProblem(value: unknown, min: number, max: number, name: string): string | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? undefined : `expected a ${name}`;
}

function decimalProblem(type: string, value: unknown): string | undefined {
  const decimal = parseDecimalType(type);
  if (!decimal) return `unknown type ${type}`;
  const expected = `expected decimal text with at most ${decimal.precision - decimal.scale} integer and ${decimal.scale} fraction digits (e.g. '12.50')`;
  if (typeof value !== 'string') return expected;
  const unscaled = decimalToUnscaled(value, decimal.scale);
  return unscaled !== undefined && fitsPrecision(unscaled, decimal.precision) ? undefined : expected;
}

function valueProblem(field: DeltaField, value: unknown): string | undefined {
  switch (field.type) {
    case 'string':
      return typeof value === 'string' ? undefined : 'expected a string';
    case 'long':
      return typeof value === 'number' && Number.isSafeInteger(value) ? undefined : 'expected a safe integer (long)';
    case 'integer':
      return integerProblem(value, -2147483648, 2147483647, '32-bit integer');
    case 'short':
      return integerProblem(value, -32768, 32767, '16-bit integer (short)');
    case 'byte':
      return integerProblem(value, -128, 127, '8-bit integer (byte)');
    case 'double':
      return typeof value === 'number' ? undefined : 'expected a number (double)';
    case 'float':
      // A float column stores float32: a number it cannot hold exactly would silently change.
      return typeof value === 'number' && (Number.isNaN(value) || Math.fround(value) === value)
        ? undefined
        : 'expected a number that float32 holds exactly (use Math.fround)';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'expected a boolean';
    case 'binary':
      return value instanceof Uint8Array ? undefined : 'expected a Uint8Array (binary)';
    case 'date':
      return typeof value === 'string' &&
        datePattern.test(value) &&
        !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
        new Date(`${value}T00:00:00Z`).toISOString().startsWith(value)
        ? undefined
        : "expected a date 'YYYY-MM-DD'";
    case 'timestamp':
      return typeof value === 'string' && timestampPattern.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : 'expected an ISO-8601 timestamp with zone (e.g. 2011-01-04T10:11:12.345678Z)';
    case 'timestamp_ntz':
      return typeof value === 'string' && localTimestampPattern.test(value) && !Number.isNaN(Date.parse(`${value}Z`))
        ? undefined
        : 'expected a timestamp without zone (e.g. 2011-01-04T10:11:12.345678)';
    default:
      return decimalProblem(field.type, value);
  }
}

/** A type check compiled once per column (no per-value dispatch on the type name). */
type ValueCheck = (value: unknown) => boolean;

const maxCachedValues = 100_000;

/** Dates and timestamps repeat heavily (a few hundred days, one time per invoice): cache the verdicts. */
function cachedCheck(field: DeltaField): ValueCheck {
  const valid = new Set<string>();
  let last = '';
  return (value) => {
    if (typeof value !== 'string') return false;
    if (value === last || valid.has(value)) return true;
    if (valueProblem(field, value) !== undefined) return false;
    last = value;
    if (valid.size >= maxCachedValues) valid.clear();
    valid.add(value);
    return true;
  };
}

function compileCheck(field: DeltaField): ValueCheck {
  switch (field.type) {
    case 'string':
      return (v) => typeof v === 'string';
    case 'long':
      return (v) => typeof v === 'number' && Number.isSafeInteger(v);
    case 'integer':
      return (v) => typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
    case 'double':
      return (v) => typeof v === 'number';
    case 'boolean':
      return (v) => typeof v === 'boolean';
    case 'date':
    case 'timestamp':
      return cachedCheck(field);
    default:
      return (v) => valueProblem(field, v) === undefined;
  }
}

/**
 * Returns a checker that validates one row against the schema (every column present with a value of
 * the right JS type, null only where nullable, no extra keys) and throws a DeltaSchemaMismatchError
 * naming the column, the value and the row number.
 */
/** " (sku X)" when the row has a SKU column, so a bad value names the SKU it belongs to. */
function skuOfRow(row: object): string {
  const sku = (row as Record<string, unknown>)['sku'];
  return typeof sku === 'string' ? ` (sku ${sku})` : '';
}

export function rowValidator(table: string, schema: DeltaSchema): (row: DeltaRow, rowNumber: number) => void {
  const fields = schema.fields;
  const names = new Set(fields.map((f) => f.name));
  const checks = fields.map(compileCheck);
  const fieldCount = fields.length;
  return (row, rowNumber) => {
    if (row === null || typeof row !== 'object') {
      throw new DeltaSchemaMismatchError(table, '(row)', `row ${rowNumber} is not an object: ${show(row)}`);
    }
    for (let i = 0; i < fieldCount; i++) {
      const field = fields[i] as DeltaField;
      const value: unknown = (row as Record<string, unknown>)[field.name];
      if (value === undefined) {
        if (!(field.name in row)) {
          throw new DeltaSchemaMismatchError(table, field.name, `missing in row ${rowNumber}`);
        }
      }
      if (value === null || value === undefined) {
        if (!field.nullable) {
          throw new DeltaSchemaMismatchError(table, field.name, `null in a not-null column (row ${rowNumber})`);
        }
        continue;
      }
      if (!(checks[i] as ValueCheck)(value)) {
        const problem = valueProblem(field, value) ?? 'invalid value';
        throw new DeltaSchemaMismatchError(
          table,
          field.name,
          `${problem}, got ${show(value)} (${typeof value}) in row ${rowNumber}${skuOfRow(row)}`,
        );
      }
    }
    // Counting keys without allocating an array (every column is present, so more keys means extras).
    let keys = 0;
    for (const key in row) if (Object.prototype.hasOwnProperty.call(row, key)) keys++;
    if (keys !== fieldCount) {
      for (const key of Object.keys(row)) {
        if (!names.has(key)) {
          throw new DeltaSchemaMismatchError(
            table,
            key,
            `not in the table schema (row ${rowNumber}, value ${show(row[key])}; table columns: ${[...names].join(', ')})`,
          );
        }
      }
    }
  };
}

/** The shortest decimal text that reads back as the same float32 (how Spark prints a float). */
function floatText(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  for (let digits = 1; digits <= 9; digits++) {
    const text = String(Number(value.toPrecision(digits)));
    if (Math.fround(Number(text)) === value) return text;
  }
  return String(value);
}

/** Serialises a partition value for add.partitionValues (Delta's string form; null stays null). */
export function partitionValueString(field: DeltaField, value: DeltaValue): string | null {
  // Spark stores an empty string partition value as null (__HIVE_DEFAULT_PARTITION__).
  if (value === null || value === '') return null;
  if (field.type === 'timestamp') {
    // Delta's partition-value form for timestamps: 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC).
    const iso = microsToIso(isoToMicros(value as string) ?? 0n);
    const fraction = /\.(\d+)Z$/.exec(iso)?.[1] ?? '';
    return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${fraction.padEnd(6, '0')}`;
  }
  if (field.type === 'float') return floatText(value as number);
  if (field.type === 'timestamp_ntz') return (value as string).replace('T', ' ');
  if (field.type.startsWith('decimal')) {
    return normalizeDecimal(value as string, parseDecimalType(field.type)?.scale ?? 0) ?? String(value);
  }
  return String(value);
}

/** Parses a partition value string back to the module's JS value convention. */
export function partitionValueFromString(field: DeltaField, value: string | null | undefined): DeltaValue {
  if (value === null || value === undefined) return null;
  if (value === '' && field.type !== 'string') return null;
  switch (field.type) {
    case 'string':
      return value;
    case 'long':
    case 'integer':
    case 'short':
    case 'byte':
    case 'double':
      return Number(value);
    case 'float':
      return Math.fround(Number(value));
    case 'boolean':
      return value.toLowerCase() === 'true';
    case 'binary':
      // Delta writes a binary partition value as one character per byte.
      return Uint8Array.from(value, (c) => c.charCodeAt(0) & 0xff);
    case 'date':
      return value.slice(0, 10);
    case 'timestamp': {
      // 'YYYY-MM-DD HH:MM:SS[.ffffff]' without a zone is UTC (as Delta Kernel reads it); ISO-8601 with a zone as given.
      const text = value.replace(' ', 'T');
      const micros = isoToMicros(/[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? text : `${text}Z`);
      return micros === undefined ? value : microsToIso(micros);
    }
    case 'timestamp_ntz': {
      const micros = isoToMicros(`${value.replace(' ', 'T')}Z`);
      return micros === undefined ? value : microsToIso(micros).slice(0, -1);
    }
    default:
      return normalizeDecimal(value, parseDecimalType(field.type)?.scale ?? 0) ?? value;
  }
}
