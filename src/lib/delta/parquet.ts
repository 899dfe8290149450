/**
 * Parquet encoding of Delta data files (and decoding of data files and Parquet checkpoints).
 *
 * Library choice: hyparquet reads every file and hyparquet-writer writes every file: row batches
 * (DeltaTable.write: forecasts, products, quarantine...) and the Silver build's bulk files from
 * columns (dataFile.ts), so a Silver worker loads no other Parquet library. Until stop 30 the bulk
 * files went through parquet-wasm + apache-arrow (now bench/arrowParquet.ts, for the comparison
 * only): 2.4-2.7x faster from columns, but every worker isolate paid for the Arrow modules, its
 * own compiled wasm and a wasm memory that never shrinks (docs/sizing.md, issue 16 stop 30).
 * From rows, measured with
 * `npm run build && node dist/bench/parquet.js` (bench/parquet.ts) on 1,000,000 daily_demand-shaped
 * rows, Snappy, on a shared 2-core machine (absolute times inflated by load, the ratios are the point):
 *   hyparquet-writer + hyparquet: 0.76 MB, write 9.7 s, read 11.6 s
 *   parquet-wasm (+ apache-arrow): 1.66 MB, write 23.0 s, read 144 s (row objects via Arrow vectors)
 * i.e. hyparquet files are 0.46x the size (it dictionary-encodes the repetitive sku/date columns),
 * writes take 0.42x and reads 0.08x the time, starting from and ending at plain JS rows as the pipeline
 * holds them. It is also pure JavaScript (no WASM blob in every Functions worker, no Arrow IPC round
 * trip), lets us give explicit Parquet schema elements (REQUIRED/OPTIONAL, DATE, TIMESTAMP(MICROS, UTC)),
 * and reads nested structs and maps, which Delta's Parquet checkpoints need. It is maintained (MIT).
 *
 * Codec: SNAPPY (built into hyparquet-writer; standard, readable by Spark/Databricks/DuckDB).
 * Type mapping (Delta → Parquet): long→INT64, integer→INT32, double→DOUBLE, boolean→BOOLEAN,
 * string→BYTE_ARRAY UTF8, date→INT32 DATE, timestamp→INT64 TIMESTAMP(MICROS, isAdjustedToUTC=true).
 */
import { parquetMetadata, parquetRead, parquetReadObjects, type ParquetParsers, type SchemaElement } from 'hyparquet';
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';
import { decimalToUnscaled, parseDecimalType, physicalToDecimal, unscaledToDecimal } from './decimal';
import { isoToMicros, microsToIso, nanosToIso } from './timestamp';
import type { DeltaField, DeltaRow, DeltaValue } from './types';
import { valueText } from '../errors/valueText';

const dayInMs = 86_400_000;

/** 'YYYY-MM-DD' → days since the epoch. The caller has validated the string. */
export function dateToDays(value: string): number {
  return Math.round(Date.parse(`${value}T00:00:00Z`) / dayInMs);
}

export function daysToDate(days: number): string {
  return new Date(days * dayInMs).toISOString().slice(0, 10);
}

/** ISO-8601 → microseconds since the epoch (JS dates carry milliseconds). */
export function timestampToMicros(value: string): bigint {
  return isoToMicros(value) ?? BigInt(Date.parse(value)) * 1000n;
}

/** Bytes a FIXED_LEN_BYTE_ARRAY needs for a decimal of this precision (as Spark sizes it). */
function decimalBytes(precision: number): number {
  let bytes = 1;
  while (10n ** BigInt(precision) > 1n << BigInt(8 * bytes - 1)) bytes++;
  return bytes;
}

function schemaElement(field: DeltaField): SchemaElement {
  const repetition_type = field.nullable ? 'OPTIONAL' : 'REQUIRED';
  switch (field.type) {
    case 'string':
      return { name: field.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type };
    case 'long':
      return { name: field.name, type: 'INT64', repetition_type };
    case 'integer':
      return { name: field.name, type: 'INT32', repetition_type };
    case 'double':
      return { name: field.name, type: 'DOUBLE', repetition_type };
    case 'boolean':
      return { name: field.name, type: 'BOOLEAN', repetition_type };
    case 'date':
      return { name: field.name, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' }, repetition_type };
    case 'timestamp':
      return {
        name: field.name,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MICROS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
        repetition_type,
      };
    // Converted type only: hyparquet-writer 0.17 encodes the INTEGER logical type so that DuckDB
    // rejects the footer (TProtocolException), and readers take INT_8/INT_16 alone (Spark writes both).
    case 'timestamp_ntz':
      return {
        name: field.name,
        type: 'INT64',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' },
        repetition_type,
      };
    case 'short':
      return { name: field.name, type: 'INT32', converted_type: 'INT_16', repetition_type };
    case 'byte':
      return { name: field.name, type: 'INT32', converted_type: 'INT_8', repetition_type };
    case 'float':
      return { name: field.name, type: 'FLOAT', repetition_type };
    case 'binary':
      return { name: field.name, type: 'BYTE_ARRAY', repetition_type };
    default: {
      // Spark's layout: INT32 up to 9 digits, INT64 up to 18, fixed-length bytes beyond.
      const { precision, scale } = parseDecimalType(field.type) ?? { precision: 38, scale: 0 };
      const physical =
        precision <= 9
          ? { type: 'INT32' as const }
          : precision <= 18
            ? { type: 'INT64' as const }
            : { type: 'FIXED_LEN_BYTE_ARRAY' as const, type_length: decimalBytes(precision) };
      return {
        name: field.name,
        ...physical,
        converted_type: 'DECIMAL',
        logical_type: { type: 'DECIMAL', precision, scale },
        precision,
        scale,
        repetition_type,
      };
    }
  }
}

/** Column values in the physical representation hyparquet-writer expects. */
function physicalColumn(field: DeltaField, rows: readonly DeltaRow[]): unknown[] {
  const out = new Array<unknown>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const value = (rows[i] as DeltaRow)[field.name];
    if (value === null || value === undefined) {
      out[i] = null;
      continue;
    }
    switch (field.type) {
      case 'long':
        out[i] = BigInt(value as number);
        break;
      case 'date':
        out[i] = dateToDays(value as string);
        break;
      case 'timestamp':
        out[i] = timestampToMicros(value as string);
        break;
      case 'timestamp_ntz':
        out[i] = timestampToMicros(`${value as string}Z`);
        break;
      case 'string':
      case 'integer':
      case 'short':
      case 'byte':
      case 'double':
      case 'float':
      case 'boolean':
      case 'binary':
        out[i] = value;
        break;
      default:
        out[i] = decimalToUnscaled(value as string, parseDecimalType(field.type)?.scale ?? 0);
    }
  }
  return out;
}

export interface ParquetEncodeOptions {
  /** Rows per row group (default 100,000). */
  rowGroupSize?: number;
}

/** Encodes validated rows (only `fields` are written) as one Snappy-compressed Parquet file. */
export function encodeParquet(fields: readonly DeltaField[], rows: readonly DeltaRow[], options: ParquetEncodeOptions = {}): Uint8Array {
  return encodeParquetColumns(
    fields,
    fields.map((field) => physicalColumn(field, rows)),
    options,
  );
}

/** Encodes columns already in the physical form (INT64 as bigint, DATE as days, TIMESTAMP as micros). */
export function encodeParquetColumns(
  fields: readonly DeltaField[],
  columns: ReadonlyArray<ArrayLike<unknown>>,
  options: ParquetEncodeOptions = {},
): Uint8Array {
  const schema: SchemaElement[] = [{ name: 'spark_schema', num_children: fields.length }, ...fields.map(schemaElement)];
  // No footer min/max: Delta readers skip files by the stats in the log (add.stats), which the
  // writers compute anyway; the footer copy cost a tenth of the encoding time.
  const columnData: ColumnSource[] = fields.map((field, i) => ({
    name: field.name,
    data: columns[i] as ColumnSource['data'],
    nullable: field.nullable,
    statistics: false,
  }));
  const buffer = parquetWriteBuffer({
    columnData,
    schema,
    codec: 'SNAPPY',
    rowGroupSize: options.rowGroupSize ?? 100_000,
    createdBy: 'azure-demand-forecast delta module (hyparquet-writer)',
  });
  return new Uint8Array(buffer);
}

/** Parsers that decode straight to the module's value conventions (no intermediate Date objects). */
const deltaParsers: Partial<ParquetParsers> = {
  dateFromDays: (days: number) => daysToDate(days),
  timestampFromMilliseconds: (millis: bigint) => new Date(Number(millis)).toISOString(),
  timestampFromMicroseconds: (micros: bigint) => microsToIso(BigInt(micros)),
  // INT96 (Spark's legacy timestamps) and NANOS: Delta's precision is microseconds.
  timestampFromNanoseconds: (nanos: bigint) => nanosToIso(BigInt(nanos)),
};

/** bigint → number (INT64 columns), recursively for nested checkpoint structs. */
function normalize(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = normalize(v);
    return out;
  }
  return value;
}

function asyncBuffer(data: Uint8Array): { byteLength: number; slice(start: number, end?: number): ArrayBuffer } {
  const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  return { byteLength: buffer.byteLength, slice: (start: number, end?: number) => buffer.slice(start, end) };
}

/** Indexes of the top-level columns in a flat Parquet schema (root, then each column and its descendants). */
function topLevelIndexes(schema: readonly SchemaElement[]): Set<number> {
  const out = new Set<number>();
  const skip = (i: number): number => {
    let next = i + 1;
    for (let c = 0; c < (schema[i]?.num_children ?? 0); c++) next = skip(next);
    return next;
  };
  for (let index = 1; index < schema.length; index = skip(index)) out.add(index);
  return out;
}

/** Top-level column names stored in a Parquet file. */
export function parquetColumnNames(data: Uint8Array): string[] {
  const metadata = parquetMetadata(asyncBuffer(data).slice(0));
  return [...topLevelIndexes(metadata.schema)].map((i) => metadata.schema[i]?.name ?? '');
}

/**
 * Decodes a Parquet file into plain rows: INT64 → number, DATE → 'YYYY-MM-DD', timestamps → ISO
 * strings, strings → strings. Requested columns absent from the file are left out (the caller fills
 * nulls, as Delta readers do for columns added after a file was written).
 *
 * With `raw` (data files): values keep their exact form for the caller's typed conversion: INT64 as
 * bigint, unannotated BYTE_ARRAY as Uint8Array, decimals as exact text at the file's scale
 * (hyparquet would scale them through a float), timestamps as ISO text with microseconds.
 */
export async function decodeParquet(
  data: Uint8Array,
  options: { columns?: string[]; raw?: boolean; fieldIds?: ReadonlyMap<string, number> } = {},
): Promise<Array<Record<string, unknown>>> {
  const file = asyncBuffer(data);
  let columns = options.columns;
  // Column mapping id mode: a requested column is the file's top-level column with its field id.
  const renames = new Map<string, string>();
  if (columns && options.fieldIds && options.fieldIds.size > 0) {
    const metadata = parquetMetadata(file.slice(0));
    const byId = new Map<number, string>();
    for (const i of topLevelIndexes(metadata.schema)) {
      const element = metadata.schema[i];
      if (element?.field_id !== undefined) byId.set(element.field_id, element.name);
    }
    columns = columns.map((c) => {
      const id = options.fieldIds?.get(c);
      const inFile = id === undefined ? undefined : byId.get(id);
      if (inFile === undefined || inFile === c) return c;
      renames.set(inFile, c);
      return inFile;
    });
  }
  if (columns) {
    const present = new Set(parquetColumnNames(data));
    columns = columns.filter((c) => present.has(c));
    if (columns.length === 0) {
      const metadata = parquetMetadata(file.slice(0));
      return Array.from({ length: Number(metadata.num_rows) }, () => ({}));
    }
  }
  if (!options.raw) {
    const rows = await parquetReadObjects({ file, ...(columns ? { columns } : {}), parsers: deltaParsers });
    return rows.map((row) => normalize(row) as Record<string, unknown>);
  }
  const metadata = parquetMetadata(file.slice(0));
  const decimalScales = new Map<string, number>();
  const topLevel = topLevelIndexes(metadata.schema);
  const schema = metadata.schema.map((element, i) => {
    const isDecimal = element.converted_type === 'DECIMAL' || element.logical_type?.type === 'DECIMAL';
    if (!isDecimal) return element;
    // Only top-level columns are read as rows (nested types are refused before any file is read).
    if (topLevel.has(i))
      decimalScales.set(element.name, element.scale ?? (element.logical_type?.type === 'DECIMAL' ? element.logical_type.scale : 0));
    const { converted_type: _c, logical_type: _l, ...plain } = element;
    return plain;
  });
  const rows: Record<string, unknown>[] = await parquetReadObjects({
    file,
    metadata: { ...metadata, schema },
    ...(columns ? { columns } : {}),
    parsers: deltaParsers,
    utf8: false,
  });
  if (decimalScales.size > 0) {
    for (const row of rows) for (const [name, scale] of decimalScales) if (name in row) row[name] = physicalToDecimal(row[name], scale);
  }
  if (renames.size > 0) {
    for (const row of rows) {
      for (const [inFile, wanted] of renames) {
        row[wanted] = row[inFile];
        delete row[inFile];
      }
    }
  }
  return rows;
}

/**
 * decodeParquet with `raw`, by columns: each requested column's raw values (the values decodeParquet
 * puts in its rows, from the same decoder and parsers) in row order, one row group at a time, without an object per row; a
 * requested column the file lacks is absent. Undefined where the row decode must do it: decimal
 * columns (rescaled exactly there) and field-id renames; the caller then uses decodeParquet.
 */
export async function decodeParquetColumns(
  data: Uint8Array,
  columns: readonly string[],
): Promise<AsyncIterable<{ length: number; columns: Map<string, unknown[]> }> | undefined> {
  const file = asyncBuffer(data);
  const metadata = parquetMetadata(file.slice(0));
  const byName = new Map<string, SchemaElement>();
  for (const i of topLevelIndexes(metadata.schema)) {
    const element = metadata.schema[i];
    if (element) byName.set(element.name, element);
  }
  const present = columns.filter((c) => byName.has(c));
  const isDecimal = (e: SchemaElement) => e.converted_type === 'DECIMAL' || e.logical_type?.type === 'DECIMAL';
  if (present.some((c) => isDecimal(byName.get(c)!) || (byName.get(c)!.num_children ?? 0) > 0)) return undefined;
  return columnGroups(file, metadata, present);
}

/**
 * The file's rows one row group at a time (at most the writer's row group size, 100,000 rows here),
 * so a caller never holds a whole large file's columns: their size would follow the fleet.
 */
async function* columnGroups(
  file: ReturnType<typeof asyncBuffer>,
  metadata: ReturnType<typeof parquetMetadata>,
  present: string[],
): AsyncIterable<{ length: number; columns: Map<string, unknown[]> }> {
  const total = Number(metadata.num_rows);
  if (present.length === 0 || total === 0) {
    yield { length: total, columns: new Map(present.map((c) => [c, []])) };
    return;
  }
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const length = Number(group.num_rows);
    if (length === 0) continue;
    const start = groupStart;
    groupStart += length;
    const chunks = new Map<string, Array<{ data: ArrayLike<unknown>; rowStart: number }>>(present.map((c) => [c, []]));
    await parquetRead({
      file,
      metadata,
      columns: present,
      parsers: deltaParsers,
      utf8: false,
      rowStart: start,
      rowEnd: start + length,
      onChunk: ({ columnName, columnData, rowStart }) => chunks.get(columnName)?.push({ data: columnData, rowStart }),
    });
    const out = new Map<string, unknown[]>();
    for (const [name, parts] of chunks) {
      const only = parts.length === 1 ? parts[0] : undefined;
      // The decoder's own array when it is exactly the group (a plain array, decoded for this call only):
      // a second group-sized array per column would be one more large-object allocation per row group.
      if (only && Array.isArray(only.data) && only.rowStart === start && only.data.length === length) {
        out.set(name, only.data as unknown[]);
        continue;
      }
      const values = new Array<unknown>(length);
      for (const { data, rowStart } of parts) {
        for (let i = 0; i < data.length; i++) {
          const at = rowStart + i - start;
          if (at >= 0 && at < length) values[at] = data[i];
        }
      }
      out.set(name, values);
    }
    yield { length, columns: out };
  }
}

const utf8Decoder = new TextDecoder();

/**
 * A raw decoded value (decodeParquet with `raw`) → the column's DeltaValue, exactly, or the reason
 * it cannot be (thrown by the caller as an error naming the table and column).
 */
export function fromParquetValue(field: DeltaField, raw: unknown): DeltaValue | { problem: string } {
  if (raw === null || raw === undefined) return null;
  switch (field.type) {
    case 'string':
      if (typeof raw === 'string') return raw;
      return raw instanceof Uint8Array ? utf8Decoder.decode(raw) : { problem: `a ${typeof raw} in a string column` };
    case 'long':
    case 'integer':
    case 'short':
    case 'byte':
      if (typeof raw === 'number') return raw;
      if (typeof raw === 'bigint') {
        return Number.isSafeInteger(Number(raw)) ? Number(raw) : { problem: `${raw} is beyond JavaScript's exact integers (±2^53)` };
      }
      return { problem: `a ${typeof raw} in an integer column` };
    case 'double':
    case 'float':
      return typeof raw === 'number' ? raw : { problem: `a ${typeof raw} in a ${field.type} column` };
    case 'boolean':
      return typeof raw === 'boolean' ? raw : { problem: `a ${typeof raw} in a boolean column` };
    case 'binary':
      if (raw instanceof Uint8Array) return raw;
      return typeof raw === 'string' ? new TextEncoder().encode(raw) : { problem: `a ${typeof raw} in a binary column` };
    case 'date':
      if (typeof raw === 'string') return raw;
      return typeof raw === 'number' ? daysToDate(raw) : { problem: `a ${typeof raw} in a date column` };
    case 'timestamp':
      if (typeof raw === 'string') return raw;
      return typeof raw === 'bigint' ? microsToIso(raw) : { problem: `a ${typeof raw} in a timestamp column` };
    case 'timestamp_ntz':
      // The parsers give UTC text; a timestamp without zone is the same wall-clock text without the Z.
      if (typeof raw === 'string') return raw.endsWith('Z') ? raw.slice(0, -1) : raw;
      return typeof raw === 'bigint' ? microsToIso(raw).slice(0, -1) : { problem: `a ${typeof raw} in a timestamp_ntz column` };
    default: {
      // Decimal text at the file's scale, rescaled to the column's (type widening may raise it).
      const scale = parseDecimalType(field.type)?.scale ?? 0;
      const text = typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'bigint' ? String(raw) : undefined;
      const unscaled = text === undefined ? undefined : decimalToUnscaled(text, scale);
      return unscaled === undefined ? { problem: `${valueText(raw)} is not a ${field.type}` } : unscaledToDecimal(unscaled, scale);
    }
  }
}
