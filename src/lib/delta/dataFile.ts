/**
 * A data file encoded from columns, with its Delta stats. This is what bulk writers (the Silver
 * build) hand to worker threads: typed arrays and string arrays go in, the file's bytes and
 * add.stats come out, and no row object is ever built. The bytes come from hyparquet-writer, like
 * every other file the module writes (parquet.ts says why): a worker loads no other Parquet library.
 */
import { ValidationError } from '../errors';
import { valueText } from '../errors/valueText';
import { daysToDate, encodeParquetColumns } from './parquet';
import { boundedStats, compareUtf8, type ColumnSummary, type FileStats } from './stats';
import type { DeltaField } from './types';

/**
 * One column's values in a compact numeric form: long/integer/double → number, date → days since
 * the epoch, timestamp → epoch milliseconds, string → string, boolean → boolean; null for a missing
 * value (plain arrays only). Typed arrays are welcome (and are transferred, not copied, to workers).
 */
export type PhysicalColumn = ArrayLike<unknown> | DictionaryColumn;

/**
 * Repetitive text as indexes into a small dictionary (-1 for null): a worker thread receives a
 * typed array and a few distinct strings instead of one string per row.
 */
export interface DictionaryColumn {
  dictionary: Array<string | null>;
  indexes: Int32Array;
}

function isDictionaryColumn(column: PhysicalColumn): column is DictionaryColumn {
  return (column as DictionaryColumn).indexes instanceof Int32Array && Array.isArray((column as DictionaryColumn).dictionary);
}

/** A dictionary column as plain values (other columns as they are). */
function expand(column: PhysicalColumn): ArrayLike<unknown> {
  if (!isDictionaryColumn(column)) return column;
  const { dictionary, indexes } = column;
  const out = new Array<string | null>(indexes.length);
  for (let i = 0; i < indexes.length; i++) {
    const j = indexes[i] as number;
    out[i] = j < 0 ? null : (dictionary[j] ?? null);
  }
  return out;
}

export interface EncodedDataFile {
  bytes: Uint8Array;
  stats: FileStats;
}

function summarise(field: DeltaField, values: ArrayLike<unknown>, length: number): ColumnSummary {
  let nulls = 0;
  if (field.type === 'boolean') {
    for (let i = 0; i < length; i++) if (values[i] === null || values[i] === undefined) nulls++;
    return { field, nulls, bounds: undefined };
  }
  if (field.type === 'string') {
    let min: string | undefined;
    let max: string | undefined;
    for (let i = 0; i < length; i++) {
      const v = values[i] as string | null | undefined;
      if (v === null || v === undefined) {
        nulls++;
        continue;
      }
      if (min === undefined || max === undefined) min = max = v;
      else if (v !== min && v !== max) {
        if (compareUtf8(v, min) < 0) min = v;
        else if (compareUtf8(v, max) > 0) max = v;
      }
    }
    return { field, nulls, bounds: min === undefined || max === undefined ? undefined : { min, max } };
  }
  // Numbers, days and epoch milliseconds.
  let min = Infinity;
  let max = -Infinity;
  let nonFinite = false;
  for (let i = 0; i < length; i++) {
    const v = values[i] as number | null | undefined;
    if (v === null || v === undefined) {
      nulls++;
      continue;
    }
    const n = v;
    if (!Number.isFinite(n)) nonFinite = true;
    else {
      if (n < min) min = n;
      if (n > max) max = n;
    }
  }
  if (nonFinite || min > max) return { field, nulls, bounds: undefined };
  if (field.type === 'date') return { field, nulls, bounds: { min: daysToDate(min), max: daysToDate(max) } };
  if (field.type === 'timestamp') {
    return { field, nulls, bounds: { min: new Date(min).toISOString(), max: new Date(max).toISOString() } };
  }
  return { field, nulls, bounds: { min, max } };
}

/** Physical stats of columns (the same add.stats a row-by-row ColumnBuffer gives). */
export function physicalColumnStats(fields: readonly DeltaField[], columns: readonly PhysicalColumn[], numRecords: number): FileStats {
  return boundedStats(
    numRecords,
    fields.map((field, i) => summarise(field, expand(columns[i] as PhysicalColumn), numRecords)),
  );
}

/**
 * Safe integers (times `scale`) as the bigints hyparquet-writer takes for INT64: one typed array
 * when nothing is null, else an array with nulls.
 */
function int64Values(field: DeltaField, values: ArrayLike<unknown>, length: number, scale: number): ArrayLike<bigint | null> {
  // A timestamp's milliseconds are rounded, then scaled as a bigint: its microseconds pass 2^53
  // after 2255. A long is taken as it is: rounding 2.5 in the file while its stats keep 2.5 would
  // make the two disagree, so a fraction is refused like any other non-integer.
  const factor = BigInt(scale);
  const toBigInt = (v: unknown): bigint => {
    const x = typeof v !== 'number' ? NaN : scale === 1 ? v : Math.round(v);
    if (!Number.isSafeInteger(x))
      throw new ValidationError(field.name, `column "${field.name}": ${valueText(v)} is not a safe ${field.type} value`);
    return scale === 1 ? BigInt(x) : BigInt(x) * factor;
  };
  let nulls = false;
  for (let i = 0; i < length && !nulls; i++) nulls = values[i] === null || values[i] === undefined;
  if (!nulls) {
    const out = new BigInt64Array(length);
    for (let i = 0; i < length; i++) out[i] = toBigInt(values[i]);
    return out;
  }
  const out = new Array<bigint | null>(length);
  for (let i = 0; i < length; i++) out[i] = values[i] === null || values[i] === undefined ? null : toBigInt(values[i]);
  return out;
}

/** The range of each 32-bit-or-smaller integer type (a date is days since the epoch, an INT32 too). */
const int32Ranges: Record<string, readonly [number, number]> = {
  integer: [-(2 ** 31), 2 ** 31 - 1],
  date: [-(2 ** 31), 2 ** 31 - 1],
  short: [-(2 ** 15), 2 ** 15 - 1],
  byte: [-(2 ** 7), 2 ** 7 - 1],
};

/**
 * INT32 columns as they are, once every value is checked: the writer would truncate 2.5 to 2 (or
 * wrap 2^31) while the file's stats keep the value given, so a reader pruning by stats and one
 * reading the values would disagree.
 */
function checkedIntegers(field: DeltaField, values: ArrayLike<unknown>, length: number): ArrayLike<unknown> {
  const [min, max] = int32Ranges[field.type] as readonly [number, number];
  for (let i = 0; i < length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new ValidationError(
        field.name,
        `column "${field.name}": ${valueText(v)} is not a whole number in the ${field.type} range ${min}..${max}`,
      );
  }
  return values;
}

const asciiOnly = /^[\x00-\x7f]*$/;

/** ES2024 string methods (Node 20 has them; the compiler's lib here is older). */
interface WellFormedText {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * Text as UTF-8 views into one buffer encoded at once, one view per distinct value. hyparquet-writer
 * would otherwise encode each string apart (a TextEncoder call and an ArrayBuffer per value: most of
 * its time on order lines), and a repeated value being the same view lets its dictionary find it by
 * identity.
 */
function utf8Values(field: DeltaField, column: ArrayLike<unknown>, length: number): Array<Uint8Array | null> {
  let wellFormed = true;
  for (let i = 0; i < length; i++) {
    const v = column[i];
    if (typeof v === 'string') wellFormed &&= (v as unknown as WellFormedText).isWellFormed();
    else if (v !== null && v !== undefined)
      throw new ValidationError(field.name, `column "${field.name}": ${valueText(v)} is not a string value`);
  }
  // A lone surrogate is written as U+FFFD (as UTF-8 encoding does), replaced per value first: two
  // halves in neighbouring values would otherwise join into one character and shift the offsets.
  const values = wellFormed
    ? column
    : Array.from({ length }, (_, i) => {
        const v = column[i];
        return typeof v === 'string' ? (v as unknown as WellFormedText).toWellFormed() : v;
      });
  // join() writes null and undefined as empty text, which is what a null slot holds.
  const joined = Array.prototype.join.call(values, '');
  const ascii = asciiOnly.test(joined);
  const bytes = Buffer.from(joined, ascii ? 'latin1' : 'utf8');
  const views = new Map<string, Uint8Array>();
  const out = new Array<Uint8Array | null>(length);
  let offset = 0;
  for (let i = 0; i < length; i++) {
    const v = values[i];
    if (typeof v !== 'string') {
      out[i] = null;
      continue;
    }
    const size = ascii ? v.length : Buffer.byteLength(v, 'utf8');
    let view = views.get(v);
    if (view === undefined) {
      view = bytes.subarray(offset, offset + size);
      views.set(v, view);
    }
    out[i] = view;
    offset += size;
  }
  return out;
}

/**
 * One column as hyparquet-writer's physical values (encodeParquetColumns): INT64 as bigint,
 * timestamps as microseconds; text as UTF-8 bytes (dictionary columns come expanded: the writer
 * dictionary-encodes repetitive text itself); days, numbers and booleans as they are.
 */
function writerColumn(field: DeltaField, values: ArrayLike<unknown>, length: number): ArrayLike<unknown> {
  switch (field.type) {
    case 'long':
      return int64Values(field, values, length, 1);
    case 'timestamp':
      return int64Values(field, values, length, 1000);
    case 'string':
      return utf8Values(field, values, length);
    case 'integer':
    case 'short':
    case 'byte':
    case 'date':
      return checkedIntegers(field, values, length);
    case 'double':
    case 'float':
    case 'boolean':
      return values;
    default:
      // The bulk path serves the Silver build's fixed schemas; row writes (DeltaTable.write) take these.
      throw new ValidationError(
        'fields',
        `column "${field.name}": the column-wise writer does not encode ${field.type}; write such rows with DeltaTable.write`,
      );
  }
}

/** Encodes one Snappy Parquet data file from columns (in `fields` order) and computes its stats. */
export function encodeDataFile(fields: readonly DeltaField[], physical: readonly PhysicalColumn[], numRecords: number): EncodedDataFile {
  for (let i = 0; i < fields.length; i++) {
    const column = physical[i];
    const length = column === undefined ? 0 : isDictionaryColumn(column) ? column.indexes.length : column.length;
    if (length !== numRecords) throw new RangeError(`column ${fields[i]?.name ?? i} has ${length} values, expected ${numRecords}`);
  }
  // Dictionary columns expanded once, for the stats and the writer alike.
  const values = physical.map(expand);
  const stats = boundedStats(
    numRecords,
    fields.map((field, i) => summarise(field, values[i] as ArrayLike<unknown>, numRecords)),
  );
  const columns = fields.map((field, i) => writerColumn(field, values[i] as ArrayLike<unknown>, numRecords));
  // One row group per file, as Spark and delta-rs write files of this size.
  return { bytes: encodeParquetColumns(fields, columns, { rowGroupSize: Math.max(1, numRecords) }), stats };
}
