/**
 * Delta schemas: conversion to/from the Spark StructType JSON kept in metaData.schemaString, and
 * schema enforcement (comparing a write's schema with the table's, and checking every row's values).
 */
import { DeltaProtocolError, DeltaSchemaMismatchError } from '../errors';
import type { DeltaField, DeltaPrimitiveType, DeltaRow, DeltaSchema, DeltaValue } from './types';

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

const primitiveTypes: readonly DeltaPrimitiveType[] = ['string', 'long', 'integer', 'double', 'boolean', 'date', 'timestamp'];

export function toSchemaString(schema: DeltaSchema): string {
  const struct: SparkStructType = {
    type: 'struct',
    fields: schema.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable, metadata: {} })),
  };
  return JSON.stringify(struct);
}

/** Parses metaData.schemaString; types outside the module's primitive set are refused by name. */
export function fromSchemaString(table: string, schemaString: string): DeltaSchema {
  let parsed: unknown;
  try {
    parsed = JSON.parse(schemaString);
  } catch (err) {
    throw new DeltaProtocolError(table, `metaData.schemaString is not JSON: ${schemaString.slice(0, 200)}`, { cause: err });
  }
  const struct = parsed as Partial<SparkStructType>;
  if (struct.type !== 'struct' || !Array.isArray(struct.fields)) {
    throw new DeltaProtocolError(table, `metaData.schemaString is not a struct type: ${schemaString.slice(0, 200)}`);
  }
  return {
    fields: struct.fields.map((f) => {
      const type = f.type;
      if (typeof type !== 'string' || !(primitiveTypes as readonly string[]).includes(type)) {
        throw new DeltaProtocolError(
          table,
          `column "${f.name}" has type ${JSON.stringify(type)}, which this module does not support (supported: ${primitiveTypes.join(', ')})`,
        );
      }
      return { name: f.name, type: type as DeltaPrimitiveType, nullable: f.nullable !== false };
    }),
  };
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
      throw new DeltaSchemaMismatchError(
        table,
        field.name,
        `not in the table schema (table columns: ${[...tableNames].join(', ')})`,
      );
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
    if (!(primitiveTypes as readonly string[]).includes(field.type)) {
      throw new DeltaSchemaMismatchError(table, field.name, `unknown type ${JSON.stringify(field.type)}`);
    }
  }
  for (const column of partitionBy) {
    if (!schema.fields.some((f) => f.name === column)) {
      throw new DeltaSchemaMismatchError(table, column, 'partition column is not in the schema');
    }
  }
  if (partitionBy.length > 0 && partitionBy.length === schema.fields.length) {
    throw new DeltaSchemaMismatchError(table, partitionBy[0] ?? '', 'a table needs at least one non-partition column');
  }
}

const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const timestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function valueProblem(field: DeltaField, value: unknown): string | undefined {
  switch (field.type) {
    case 'string':
      return typeof value === 'string' ? undefined : 'expected a string';
    case 'long':
      return typeof value === 'number' && Number.isSafeInteger(value) ? undefined : 'expected a safe integer (long)';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647
        ? undefined
        : 'expected a 32-bit integer';
    case 'double':
      return typeof value === 'number' ? undefined : 'expected a number (double)';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'expected a boolean';
    case 'date':
      return typeof value === 'string' && datePattern.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
        new Date(`${value}T00:00:00Z`).toISOString().startsWith(value)
        ? undefined
        : "expected a date 'YYYY-MM-DD'";
    case 'timestamp':
      return typeof value === 'string' && timestampPattern.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : 'expected an ISO-8601 timestamp with zone (e.g. 2011-01-04T10:00:00Z)';
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
  }
}

/**
 * Returns a checker that validates one row against the schema (every column present with a value of
 * the right JS type, null only where nullable, no extra keys) and throws a DeltaSchemaMismatchError
 * naming the column, the value and the row number.
 */
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
        throw new DeltaSchemaMismatchError(table, field.name, `${problem}, got ${show(value)} (${typeof value}) in row ${rowNumber}`);
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

/** Serialises a partition value for add.partitionValues (Delta's string form; null stays null). */
export function partitionValueString(field: DeltaField, value: DeltaValue): string | null {
  // Spark stores an empty string partition value as null (__HIVE_DEFAULT_PARTITION__).
  if (value === null || value === '') return null;
  if (field.type === 'timestamp') {
    // Delta's partition-value form for timestamps: 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC).
    const iso = new Date(Date.parse(value as string)).toISOString();
    return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
  }
  return String(value);
}

/** Parses a partition value string back to the module's JS value convention. */
export function partitionValueFromString(field: DeltaField, value: string | null | undefined): DeltaValue {
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case 'string':
      return value;
    case 'long':
    case 'integer':
    case 'double':
      return value === '' ? null : Number(value);
    case 'boolean':
      return value === '' ? null : value.toLowerCase() === 'true';
    case 'date':
      return value === '' ? null : value.slice(0, 10);
    case 'timestamp': {
      if (value === '') return null;
      const iso = /[zZ]|[+-]\d{2}:?\d{2}$/.test(value) ? value.replace(' ', 'T') : `${value.replace(' ', 'T')}Z`;
      const ms = Date.parse(iso);
      return Number.isNaN(ms) ? value : new Date(ms).toISOString();
    }
  }
}
