/**
 * Column data → Parquet through Apache Arrow and parquet-wasm (arrow-rs compiled to WebAssembly,
 * the Parquet writer delta-rs itself uses): the Silver build's bulk writer until stop 30, kept here
 * only so bench/parquet.ts can compare it with hyparquet-writer from the same columns. Columns
 * become Arrow buffers without a JS object per value (text as one UTF-8 buffer with offsets,
 * 64-bit integers as word pairs), and arrow-rs encodes them. It left src because every Silver
 * worker isolate paid for the Arrow modules, its own compiled wasm and a linear memory that never
 * shrinks (docs/sizing.md, issue 16 stop 30).
 */
import {
  Bool,
  DateDay,
  Dictionary,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMicrosecond,
  Utf8,
  tableToIPC,
  type Data,
  type DataType,
} from 'apache-arrow';
import * as parquetWasm from 'parquet-wasm';
import { ValidationError } from '../src/lib/errors';
import type { DeltaField } from '../src/lib/delta/types';

/** Text as indexes into a dictionary (-1 for null). */
export interface TextDictionary {
  dictionary: ReadonlyArray<string | null>;
  indexes: Int32Array;
}

const asciiOnly = /^[\x00-\x7f]*$/;
const twoTo32 = 4_294_967_296;

/** Strings as Arrow Utf8 buffers: one UTF-8 buffer and the offsets into it. */
function utf8Buffers(values: ArrayLike<unknown>, length: number): { offsets: Int32Array; data: Uint8Array } {
  // join() writes null and undefined as empty text, which is what a null slot holds.
  const joined = Array.prototype.join.call(values, '');
  const offsets = new Int32Array(length + 1);
  const ascii = asciiOnly.test(joined);
  const bytes = Buffer.from(joined, ascii ? 'latin1' : 'utf8');
  let offset = 0;
  for (let i = 0; i < length; i++) {
    const v = values[i];
    if (typeof v === 'string') offset += ascii ? v.length : Buffer.byteLength(v, 'utf8');
    offsets[i + 1] = offset;
  }
  return { offsets, data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/** Validity bitmap (bit set = value present) and null count; none when nothing is null. */
function validity(isNull: (i: number) => boolean, length: number): { nullCount: number; nullBitmap?: Uint8Array } {
  let nullCount = 0;
  const bitmap = new Uint8Array((length + 7) >> 3);
  for (let i = 0; i < length; i++) {
    if (isNull(i)) nullCount++;
    else bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
  }
  return nullCount > 0 ? { nullCount, nullBitmap: bitmap } : { nullCount: 0 };
}

/** Safe integers (times `scale`) as little-endian int64 word pairs, without a BigInt per value. */
function int64Words(values: ArrayLike<unknown>, length: number, scale: number): Int32Array {
  const words = new Int32Array(2 * length);
  for (let i = 0; i < length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    const x = (v as number) * scale;
    const hi = Math.floor(x / twoTo32);
    words[2 * i] = (x - hi * twoTo32) | 0;
    words[2 * i + 1] = hi | 0;
  }
  return words;
}

/** The values as a typed array of the given kind (as they are when they already are one); null → 0. */
function typed<T extends Int32Array | Float64Array>(kind: { new (n: number): T }, values: ArrayLike<unknown>, length: number): T {
  if (values instanceof kind) return values;
  const out = new kind(length);
  for (let i = 0; i < length; i++) out[i] = (values[i] as number | null | undefined) ?? 0;
  return out;
}

function isTextDictionary(column: unknown): column is TextDictionary {
  return typeof column === 'object' && column !== null && (column as TextDictionary).indexes instanceof Int32Array;
}

function columnData(field: DeltaField, column: ArrayLike<unknown> | TextDictionary, length: number): Data<DataType> {
  if (isTextDictionary(column)) {
    const { offsets, data } = utf8Buffers(column.dictionary, column.dictionary.length);
    const dictionary = makeVector(
      makeData({ type: new Utf8(), length: column.dictionary.length, nullCount: 0, valueOffsets: offsets, data }),
    );
    const indexes = column.indexes;
    const valid = validity((i) => (indexes[i] as number) < 0, length);
    const safe = valid.nullCount > 0 ? indexes.map((j) => (j < 0 ? 0 : j)) : indexes;
    return makeData({
      type: new Dictionary(new Utf8(), new Int32(), 0, false),
      length,
      ...valid,
      data: safe,
      dictionary,
    }) as Data<DataType>;
  }
  const values = column;
  const valid = field.nullable ? validity((i) => values[i] === null || values[i] === undefined, length) : { nullCount: 0 };
  switch (field.type) {
    case 'string': {
      const { offsets, data } = utf8Buffers(values, length);
      return makeData({ type: new Utf8(), length, ...valid, valueOffsets: offsets, data }) as Data<DataType>;
    }
    case 'long':
      return makeData({ type: new Int64(), length, ...valid, data: int64Words(values, length, 1) }) as Data<DataType>;
    case 'timestamp':
      return makeData({
        type: new TimestampMicrosecond('UTC'),
        length,
        ...valid,
        data: int64Words(values, length, 1000),
      }) as Data<DataType>;
    case 'integer':
      return makeData({ type: new Int32(), length, ...valid, data: typed(Int32Array, values, length) }) as Data<DataType>;
    case 'date':
      return makeData({ type: new DateDay(), length, ...valid, data: typed(Int32Array, values, length) }) as Data<DataType>;
    case 'double':
      return makeData({ type: new Float64(), length, ...valid, data: typed(Float64Array, values, length) }) as Data<DataType>;
    case 'short':
      return makeData({ type: new Int16(), length, ...valid, data: Int16Array.from(typed(Int32Array, values, length)) }) as Data<DataType>;
    case 'byte':
      return makeData({ type: new Int8(), length, ...valid, data: Int8Array.from(typed(Int32Array, values, length)) }) as Data<DataType>;
    case 'float':
      return makeData({
        type: new Float32(),
        length,
        ...valid,
        data: Float32Array.from(typed(Float64Array, values, length)),
      }) as Data<DataType>;
    case 'boolean': {
      const bits = new Uint8Array((length + 7) >> 3);
      for (let i = 0; i < length; i++) if (values[i] === true) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
      return makeData({ type: new Bool(), length, ...valid, data: bits }) as Data<DataType>;
    }
    default:
      // The bulk path serves the Silver build's fixed schemas; row writes (DeltaTable.write) take these.
      throw new ValidationError(
        'fields',
        `column "${field.name}": the column-wise writer does not encode ${field.type}; write such rows with DeltaTable.write`,
      );
  }
}

/** True when an evenly spread sample of a text column is nearly all distinct (ids, not categories). */
function nearlyUnique(column: ArrayLike<unknown> | TextDictionary, length: number): boolean {
  if (isTextDictionary(column)) return column.dictionary.length > length >> 1;
  const sample = Math.min(length, 1000);
  if (sample < 100) return false;
  const seen = new Set<unknown>();
  for (let k = 0; k < sample; k++) seen.add(column[Math.floor((k * (length - 1)) / (sample - 1))]);
  return seen.size > sample * 0.9;
}

/**
 * Encodes columns (in `fields` order; see dataFile.ts for the value forms) as one Snappy Parquet
 * file: INT64 for long, INT64 TIMESTAMP(MICROS, UTC) for timestamp, INT32 DATE, DOUBLE, BOOLEAN,
 * BYTE_ARRAY STRING, REQUIRED or OPTIONAL as the field's nullability says.
 */
export function encodeArrowParquet(
  fields: readonly DeltaField[],
  columns: ReadonlyArray<ArrayLike<unknown> | TextDictionary>,
  length: number,
): Uint8Array {
  const children = fields.map((field, i) => columnData(field, columns[i] as ArrayLike<unknown> | TextDictionary, length));
  const schema = new Schema(fields.map((field, i) => new Field(field.name, (children[i] as Data<DataType>).type, field.nullable)));
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }));
  let builder = new parquetWasm.WriterPropertiesBuilder()
    .setCompression(parquetWasm.Compression.SNAPPY)
    .setStatisticsEnabled(parquetWasm.EnabledStatistics.Chunk)
    .setMaxRowGroupSize(Math.max(1, length))
    .setCreatedBy('azure-demand-forecast delta module (parquet-wasm)');
  // Unique text (order line ids) skips arrow-rs's dictionary attempt and its fallback.
  fields.forEach((field, i) => {
    if (field.type === 'string' && nearlyUnique(columns[i] as ArrayLike<unknown> | TextDictionary, length)) {
      builder = builder.setColumnDictionaryEnabled(field.name, false);
    }
  });
  const table = parquetWasm.Table.fromIPCStream(tableToIPC(new Table(schema, batch), 'stream'));
  return parquetWasm.writeParquet(table, builder.build());
}
