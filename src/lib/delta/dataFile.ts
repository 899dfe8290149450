/**
 * A data file encoded from columns, with its Delta stats. This is what bulk writers (the Silver
 * build) hand to worker threads: typed arrays and string arrays go in, the file's bytes and
 * add.stats come out, and no row object is ever built.
 */
import { encodeArrowParquet } from './arrowParquet';
import { daysToDate } from './parquet';
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

/** Encodes one Snappy Parquet data file from columns (in `fields` order) and computes its stats. */
export function encodeDataFile(fields: readonly DeltaField[], physical: readonly PhysicalColumn[], numRecords: number): EncodedDataFile {
  for (let i = 0; i < fields.length; i++) {
    const column = physical[i];
    const length = column === undefined ? 0 : isDictionaryColumn(column) ? column.indexes.length : column.length;
    if (length !== numRecords) throw new RangeError(`column ${fields[i]?.name ?? i} has ${length} values, expected ${numRecords}`);
  }
  const stats = physicalColumnStats(fields, physical, numRecords);
  return { bytes: encodeArrowParquet(fields, physical, numRecords), stats };
}
