/**
 * What each Delta golden table (../shared/data/delta_golden, written by Delta Lake's own Spark code)
 * must read as. The rows are worked out by hand from the code that wrote each table,
 * connectors/golden-tables/src/test/scala/io/delta/golden/GoldenTables.scala in delta-io/delta
 * (and, where noted, the expected answers of Delta Kernel's DeltaTableReadsSuite / LogReplaySuite):
 * nothing here is derived from what our reader returns.
 *
 * Kinds:
 * - rows: readAll returns exactly these rows (any order); `columns` projects first.
 * - state: a log-only fixture (Delta's log tests write add actions for files that do not exist):
 *   the replayed file set must be exactly `files`; reading rows fails naming a missing file.
 * - refused: the table needs a feature or type this reader does not implement; the typed error
 *   must name it (`error`). `projection`, when given, is a read of the readable columns.
 * - negative: Delta itself refuses the table; the documented error.
 */
import { microsToIso } from '../../../src/lib/delta/timestamp';
import type { DeltaRow } from '../../../src/lib/delta/types';

export type Expectation =
  | { kind: 'rows'; rows: () => DeltaRow[]; columns?: string[]; version?: number; source: string }
  /** Many rows, each one a function of its key column: checked row by row, without sorting. */
  | { kind: 'keyed'; key: string; keys: number[]; row: (key: number) => DeltaRow; source: string }
  | { kind: 'state'; files: string[]; source: string }
  /** Random values: each column holds null, then the max and the min Spark wrote into add.stats. */
  | { kind: 'stats'; source: string }
  | { kind: 'refused'; error: RegExp; projection?: { columns: string[]; rows: () => DeltaRow[] }; source: string }
  | { kind: 'negative'; error: RegExp; source: string };

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
const f32 = Math.fround;
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const utf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
const ids = (values: number[], column = 'id'): DeltaRow[] => values.map((v) => ({ [column]: v }));
const iso = (ms: number): string => new Date(ms).toISOString();
const dayMs = 86_400_000;
const G = 'GoldenTables.scala';

/** Exact decimal text of a double (every double is a finite binary fraction), rounded HALF_UP to `scale`. */
export function doubleToDecimal(x: number, scale: number): string {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const exp = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  if (exp !== 0) mantissa |= 1n << 52n;
  const e2 = (exp === 0 ? 1 : exp) - 1075; // x = mantissa * 2^e2
  // value * 10^scale = mantissa * 2^e2 * 10^scale, rounded half up (away from zero for the magnitude).
  let num = mantissa * 10n ** BigInt(scale);
  let den = 1n;
  if (e2 >= 0) num <<= BigInt(e2);
  else den <<= BigInt(-e2);
  let q = num / den;
  if ((num % den) * 2n >= den) q += 1n;
  const digits = q.toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative && q !== 0n ? `-${text}` : text;
}

/** kernel-timestamp-*: Kernel's expected answer for the UTC-written tables (DeltaTableReadsSuite). */
function kernelTimestampRows(timeOffsetHours: number): DeltaRow[] {
  const t = (text: string | null): string | null => (text === null ? null : iso(Date.parse(text) + timeOffsetHours * 3_600_000));
  return [
    { id: 0, part: '2020-01-01T08:09:10.001Z', time: t('2020-02-01T08:09:10Z') },
    { id: 1, part: '2021-10-01T08:09:20.000Z', time: t('1999-01-01T09:00:00Z') },
    { id: 2, part: '2021-10-01T08:09:20.000Z', time: t('2000-01-01T09:00:00Z') },
    { id: 3, part: '1969-01-01T00:00:00.000Z', time: t('1969-01-01T00:00:00Z') },
    { id: 4, part: null, time: null },
  ];
}

const basicDecimalRows = (): DeltaRow[] => [
  { part: '234.00000', col1: '1.00', col2: '2.00000', col3: '3.0000000000' },
  { part: '2342222.23454', col1: '111.11', col2: '22222.22222', col3: '3333333333.3333333333' },
  // 0.001 in decimal(5,2) etc.: Spark rounds HALF_UP to the column's scale when it builds the rows.
  { part: '0.00004', col1: '0.00', col2: '0.00000', col3: '0.0000000000' },
  { part: '-2342342.23423', col1: '-999.99', col2: '-99999.99999', col3: '-9999999999.9999999999' },
];

const primitivesRow = (i: number): DeltaRow => ({
  as_int: i,
  as_long: i,
  as_byte: i,
  as_short: i,
  as_boolean: i % 2 === 0,
  as_float: f32(i),
  as_double: i,
  as_string: String(i),
  as_binary: bytes(i, i),
  as_big_decimal: String(i),
});

/** generateAllTypesTable, the primitive columns (TimeZone UTC; java.sql.Date(ms) is that UTC day). */
function allTypesRow(i: number): DeltaRow {
  const byte = (i << 24) >> 24;
  return {
    ByteType: i % 72 !== 0 ? byte : null,
    ShortType: i % 56 !== 0 ? i : null,
    IntegerType: i % 23 !== 0 ? i : null,
    LongType: i % 25 !== 0 ? i + 1 : null,
    FloatType: i % 28 !== 0 ? f32(i * 0.234) : null,
    DoubleType: i % 54 !== 0 ? i * 234234.23 : null,
    // new java.math.BigDecimal(i * 123.52): the double's exact value, rounded HALF_UP into decimal(10,2).
    decimal: i % 67 !== 0 ? doubleToDecimal(i * 123.52, 2) : null,
    BooleanType: i % 87 !== 0 ? i % 2 === 0 : null,
    StringType: i % 57 !== 0 ? String(i) : null,
    BinaryType: i % 59 !== 0 ? utf8(String(i)) : null,
    DateType: i % 61 !== 0 ? iso(Math.floor((i * 20000000) / dayMs) * dayMs).slice(0, 10) : null,
    TimestampType: i % 62 !== 0 ? iso(i * 23423523) : null,
  };
}
const allTypesColumns = Object.keys(allTypesRow(1));

/** generateAllTypesTable's TimestampNTZType: LocalDateTime.ofEpochSecond(i * 234234, 200012 ns, UTC), read as microseconds. */
const allTypesNtz = (i: number): string | null => (i % 69 !== 0 ? microsToIso(BigInt(i * 234234) * 1_000_000n + 200n).slice(0, -1) : null);

/** generateCMIcebegCompatTableHelper, the primitive columns: rows 0..4 and a row of nulls (TimeZone UTC). */
function columnMappingRows(): DeltaRow[] {
  const row = (i: number): DeltaRow => ({
    ByteType: i,
    ShortType: i,
    IntegerType: i,
    LongType: i,
    FloatType: i,
    DoubleType: i,
    decimal: `${i}.00`,
    BooleanType: i % 2 === 0,
    StringType: String(i),
    BinaryType: utf8(String(i)),
    DateType: '2021-11-18',
    TimestampType: iso(i),
  });
  const nulls = Object.fromEntries(Object.keys(row(0)).map((k) => [k, null])) as DeltaRow;
  return [...range(0, 5).map(row), nulls];
}
const columnMappingColumns = Object.keys(columnMappingRows()[0] as DeltaRow);

/** generateTimestampNtzTable: the INSERT's rows, as wall-clock text without zone. */
function timestampNtzRows(): DeltaRow[] {
  const a = '2021-11-18T02:30:00.123456';
  const b = '2013-07-05T17:01:00.123456';
  const values: Array<[string | null, string | null]> = [
    [a, a],
    [b, a],
    [null, a],
    [a, b],
    [b, b],
    [null, b],
    [a, null],
    [b, null],
    [null, null],
  ];
  return values.map(([tsNtz, tsNtzPartition], id) => ({ id, tsNtz, tsNtzPartition }));
}

const statsAllTypesRow = (): DeltaRow[] => [
  // Timestamp.valueOf('2000-01-01 00:00:00') in the generator's America/Los_Angeles (its add.stats say -08:00).
  {
    as_int: 0,
    as_long: 0,
    as_byte: 0,
    as_short: 0,
    as_float: 0,
    as_double: 0,
    as_string: '0',
    as_date: '2000-01-01',
    as_timestamp: '2000-01-01T08:00:00.000Z',
    as_big_decimal: '0',
  },
];

/** parquet-decimal-type: col1 decimal(5,1), col2 decimal(10,5), col3 decimal(20,5). */
function decimalTypeRow(i: number): DeltaRow {
  const text = (unscaled: bigint, scale: number, precision: number): string | null => {
    const abs = unscaled < 0n ? -unscaled : unscaled;
    if (abs.toString().length > precision) return null; // Spark nulls a value its decimal type cannot hold
    const digits = abs.toString().padStart(scale + 1, '0');
    return `${unscaled < 0n ? '-' : ''}${scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`}`;
  };
  if (i % 85 === 0) {
    const n = BigInt(i);
    return { id: i, col1: text(n, 1, 5), col2: text(n * 100000n, 5, 10), col3: text(n * 100000n, 5, 20) };
  }
  const n = BigInt(i * (i % 33 === 0 ? -1 : 1));
  // expand(n) = n * 10^5 + n = n * 100001; movePointLeft(5) keeps that as the unscaled value at scale 5.
  return { id: i, col1: text(n, 1, 5), col2: text(n * 100001n, 5, 10), col3: text(n * 100001n ** 3n, 5, 20) };
}

const dictionaryRow = (i: number): DeltaRow => ({ id: i, col1: String(i % 5), col2: String(i % 6), col3: String(i % 2) });

const dvRows = (): DeltaRow[] =>
  range(0, 50)
    .filter((x) => !(x % 2 === 0 && x <= 28))
    .map((x) => ({ part: x % 10, col1: x, col2: `foo${x % 5}` }));

const featureRefusal = (feature: string): RegExp => new RegExp(`needs [^:]*"${feature}"`);
const typeRefusal = (column: string, type: string): RegExp =>
  new RegExp(`column "${column}" has type ${type.replace(/[<>(),]/g, (c) => `\\${c}`)}`);

export const expectations: Record<string, Expectation> = {
  '124-decimal-decode-bug': { kind: 'rows', rows: () => [{ large_decimal: '1000000' }], source: G },
  '125-iterator-bug': { kind: 'rows', rows: () => ids([1, 2, 3, 4, 5], 'col1'), source: G },
  'basic-decimal-table': { kind: 'rows', rows: basicDecimalRows, source: G },
  'basic-decimal-table-legacy': { kind: 'rows', rows: basicDecimalRows, source: G },
  'basic-with-inserts-deletes-checkpoint': {
    kind: 'rows',
    rows: () => ids([...range(0, 5), ...range(10, 15), ...range(20, 25), ...range(30, 35), ...range(40, 45), ...range(50, 66)]),
    source: G,
  },
  'basic-with-inserts-merge': {
    kind: 'rows',
    rows: () => [
      ...range(10, 50).map((id) => ({ id, str: `val=${id}` })),
      ...range(50, 100).map((id) => ({ id, str: 'N/A' })),
      ...range(100, 150).map((id) => ({ id, str: 'EXT' })),
    ],
    source: G,
  },
  'basic-with-inserts-overwrite-restore': { kind: 'rows', rows: () => ids(range(0, 200)), source: G },
  'basic-with-inserts-updates': {
    kind: 'rows',
    rows: () => range(0, 100).map((id) => ({ id, str: id < 50 ? 'N/A' : `val=${id}` })),
    source: G,
  },
  'basic-with-vacuum-protocol-check-feature': {
    kind: 'rows',
    rows: () => range(0, 100).map((id) => ({ id, str: `val=${id}` })),
    source: G,
  },
  // An add of /p and a remove of file:/p (file:///p) are one file: none is left (DeltaLogSuite).
  'canonicalized-paths-normal-a': { kind: 'state', files: [], source: G },
  'canonicalized-paths-normal-b': { kind: 'state', files: [], source: G },
  'canonicalized-paths-special-a': { kind: 'state', files: [], source: G },
  'canonicalized-paths-special-b': { kind: 'state', files: [], source: G },
  checkpoint: { kind: 'state', files: ['15'], source: G },
  // Written by Databricks Runtime (no generator in the Scala file): a CREATE TABLE without data.
  'collations-preview-table': { kind: 'rows', rows: () => [], source: 'its _delta_log (CREATE TABLE, no add)' },
  'collations-table': { kind: 'rows', rows: () => [], source: 'its _delta_log (CREATE TABLE, no add)' },
  'commit-info-containing-arbitrary-operationParams-types': {
    kind: 'rows',
    rows: () => [
      { id: 1, month: 1 },
      { id: 2, month: 2 },
    ],
    source: G,
  },
  'corrupted-last-checkpoint': { kind: 'state', files: range(0, 11).map(String), source: G },
  'corrupted-last-checkpoint-kernel': { kind: 'rows', rows: () => ids(range(0, 100)), source: G },
  'data-reader-absolute-paths-escaped-chars': {
    kind: 'negative',
    error: /no metaData action/,
    source: 'its _delta_log (no metaData action)',
  },
  'data-reader-array-complex-objects': {
    kind: 'refused',
    error: typeRefusal('3d_int_list', 'array<array<array<integer>>>'),
    projection: { columns: ['i'], rows: () => ids(range(0, 10), 'i') },
    source: G,
  },
  'data-reader-array-primitives': { kind: 'refused', error: typeRefusal('as_array_int', 'array<integer>'), source: G },
  'data-reader-date-types-America/Los_Angeles': {
    kind: 'rows',
    rows: () => [{ timestamp: '2020-01-01T16:09:10.000Z', date: '2020-01-01' }],
    source: G,
  },
  'data-reader-date-types-Asia/Beirut': {
    kind: 'rows',
    rows: () => [{ timestamp: '2020-01-01T06:09:10.000Z', date: '2020-01-01' }],
    source: G,
  },
  'data-reader-date-types-Etc/GMT+9': {
    kind: 'rows',
    rows: () => [{ timestamp: '2020-01-01T17:09:10.000Z', date: '2020-01-01' }],
    source: G,
  },
  'data-reader-date-types-Iceland': {
    kind: 'rows',
    rows: () => [{ timestamp: '2020-01-01T08:09:10.000Z', date: '2020-01-01' }],
    source: G,
  },
  'data-reader-date-types-JST': { kind: 'rows', rows: () => [{ timestamp: '2019-12-31T23:09:10.000Z', date: '2020-01-01' }], source: G },
  'data-reader-date-types-PST': { kind: 'rows', rows: () => [{ timestamp: '2020-01-01T16:09:10.000Z', date: '2020-01-01' }], source: G },
  'data-reader-date-types-UTC': { kind: 'rows', rows: () => [{ timestamp: '2020-01-01T08:09:10.000Z', date: '2020-01-01' }], source: G },
  'data-reader-escaped-chars': {
    kind: 'rows',
    rows: () => [
      { _1: 'foo1', _2: 'bar+%21' },
      { _1: 'foo2', _2: 'bar+%22' },
      { _1: 'foo3', _2: 'bar+%23' },
    ],
    source: G,
  },
  'data-reader-map': {
    kind: 'refused',
    error: typeRefusal('a', 'map<integer,integer>'),
    projection: { columns: ['i'], rows: () => ids(range(0, 10), 'i') },
    source: G,
  },
  'data-reader-nested-struct': {
    kind: 'refused',
    error: /column "a" has type struct</,
    projection: { columns: ['b'], rows: () => ids(range(0, 10), 'b') },
    source: G,
  },
  'data-reader-nullable-field-invalid-schema-key': {
    kind: 'refused',
    error: typeRefusal('array_can_contain_null', 'array<string>'),
    source: G,
  },
  'data-reader-partition-values': {
    kind: 'refused',
    error: typeRefusal('as_list_of_records', 'array<struct<val:integer>>'),
    projection: {
      columns: [
        'as_int',
        'as_long',
        'as_byte',
        'as_short',
        'as_boolean',
        'as_float',
        'as_double',
        'as_string',
        'as_string_lit_null',
        'as_date',
        'as_timestamp',
        'as_big_decimal',
        'value',
      ],
      rows: () => [
        ...[0, 1].map((i) => ({
          as_int: i,
          as_long: i,
          as_byte: i,
          as_short: i,
          as_boolean: i % 2 === 0,
          as_float: f32(i),
          as_double: i,
          as_string: String(i),
          as_string_lit_null: 'null',
          as_date: '2021-09-08',
          // The partition value is the local time Spark wrote, read as UTC (as Delta Kernel reads it).
          as_timestamp: '2021-09-08T11:11:11.000Z',
          as_big_decimal: String(i),
          value: String(i),
        })),
        {
          as_int: null,
          as_long: null,
          as_byte: null,
          as_short: null,
          as_boolean: null,
          as_float: null,
          as_double: null,
          as_string: null,
          as_string_lit_null: null,
          as_date: null,
          as_timestamp: null,
          as_big_decimal: null,
          value: '2',
        },
      ],
    },
    source: `${G}; DeltaTableReadsSuite "read partitioned table"`,
  },
  'data-reader-primitives': {
    kind: 'rows',
    rows: () => [
      {
        as_int: null,
        as_long: null,
        as_byte: null,
        as_short: null,
        as_boolean: null,
        as_float: null,
        as_double: null,
        as_string: null,
        as_binary: null,
        as_big_decimal: null,
      },
      ...range(0, 10).map(primitivesRow),
    ],
    source: G,
  },
  'data-reader-timestamp_ntz': { kind: 'rows', rows: timestampNtzRows, source: G },
  'data-reader-timestamp_ntz-id-mode': { kind: 'rows', rows: timestampNtzRows, source: G },
  'data-reader-timestamp_ntz-name-mode': { kind: 'rows', rows: timestampNtzRows, source: G },
  'data-skipping-basic-stats-all-types': {
    kind: 'rows',
    // Timestamp.valueOf('2000-01-01 00:00:00') in the generator's America/Los_Angeles (its add.stats say -08:00).
    rows: () => [
      {
        as_int: 0,
        as_long: 0,
        as_byte: 0,
        as_short: 0,
        as_float: 0,
        as_double: 0,
        as_string: '0',
        as_date: '2000-01-01',
        as_timestamp: '2000-01-01T08:00:00.000Z',
        as_big_decimal: '0',
      },
    ],
    source: G,
  },
  'data-skipping-basic-stats-all-types-checkpoint': {
    kind: 'rows',
    rows: () => [
      {
        as_int: 0,
        as_long: 0,
        as_byte: 0,
        as_short: 0,
        as_float: 0,
        as_double: 0,
        as_string: '0',
        as_date: '2000-01-01',
        as_timestamp: '2000-01-01T08:00:00.000Z',
        as_big_decimal: '0',
      },
    ],
    source: G,
  },
  'data-skipping-basic-stats-all-types-columnmapping-id': { kind: 'rows', rows: statsAllTypesRow, source: G },
  'data-skipping-basic-stats-all-types-columnmapping-name': { kind: 'rows', rows: statsAllTypesRow, source: G },
  'data-skipping-change-stats-collected-across-versions': {
    kind: 'rows',
    rows: () => [0, 1, 2].map(() => ({ col1: 0, col2: 0 })),
    source: G,
  },
  'data-skipping-partition-and-data-column': {
    kind: 'rows',
    rows: () => [
      { part: 1, id: 0 },
      { part: 1, id: 1 },
      { part: 0, id: 1 },
      { part: 0, id: 0 },
    ],
    source: G,
  },
  // Random values (java.util.Random(27)): checked against the min/max Spark wrote into add.stats (see the test).
  'decimal-various-scale-precision': { kind: 'stats', source: `${G}; values from its add.stats` },
  'delete-re-add-same-file-different-transactions': { kind: 'state', files: ['bar', 'foo'], source: G },
  'deltalog-commit-info': { kind: 'state', files: ['abc'], source: G },
  'deltalog-getChanges': { kind: 'rows', rows: () => [], source: G },
  'deltalog-invalid-protocol-version': { kind: 'refused', error: featureRefusal('reader version 99'), source: G },
  'deltalog-state-reconstruction-from-checkpoint-missing-metadata': {
    kind: 'negative',
    error: /no metaData action up to version 10/,
    source: G,
  },
  'deltalog-state-reconstruction-from-checkpoint-missing-protocol': {
    kind: 'negative',
    error: /no protocol action up to version 10/,
    source: G,
  },
  'deltalog-state-reconstruction-without-metadata': { kind: 'negative', error: /no metaData action up to version 0/, source: G },
  'deltalog-state-reconstruction-without-protocol': { kind: 'negative', error: /no protocol action up to version 0/, source: G },
  // 50 rows (x % 10, x, foo{x % 5}), then DELETE col1 = 0, 2, ..., 28 (deletion vectors).
  'dv-partitioned-with-checkpoint': { kind: 'rows', rows: dvRows, source: G },
  'dv-with-columnmapping': { kind: 'rows', rows: dvRows, source: G },
  'kernel-timestamp-INT96': { kind: 'rows', rows: () => kernelTimestampRows(0), source: `${G}; DeltaTableReadsSuite` },
  'kernel-timestamp-PST': { kind: 'rows', rows: () => kernelTimestampRows(8), source: `${G}; DeltaTableReadsSuite` },
  'kernel-timestamp-TIMESTAMP_MICROS': { kind: 'rows', rows: () => kernelTimestampRows(0), source: `${G}; DeltaTableReadsSuite` },
  'kernel-timestamp-TIMESTAMP_MILLIS': { kind: 'rows', rows: () => kernelTimestampRows(0), source: `${G}; DeltaTableReadsSuite` },
  'kernel-timestamp-partition-col-ISO8601': {
    kind: 'rows',
    rows: () => [
      { str: '2024-01-01 10:00:00', ts: '2024-01-01T10:00:00.000Z' },
      { str: '2024-01-02 12:30:00', ts: '2024-01-02T12:30:00.000Z' },
    ],
    source: 'DeltaTableReadsSuite (ISO8601 partition column)',
  },
  // range(50), then DELETE id = 0, 7, 14: three vectors replacing each other on one file.
  'log-replay-dv-key-cases': { kind: 'rows', rows: () => ids(range(0, 50).filter((id) => ![0, 7, 14].includes(id))), source: G },
  'log-replay-latest-metadata-protocol': {
    kind: 'rows',
    rows: () => [...range(0, 20).map((col1) => ({ col1, col2: null })), ...range(0, 20).map((col1) => ({ col1, col2: col1 % 2 }))],
    source: G,
  },
  'log-replay-special-characters': { kind: 'rows', rows: () => [], source: 'its _delta_log (add then remove of special%20p@%23h)' },
  'log-replay-special-characters-a': { kind: 'rows', rows: () => [], source: G },
  // The file is named 'special p@#h' (LogReplaySuite checks that name); the fixture has no data file.
  'log-replay-special-characters-b': { kind: 'state', files: ['special p@#h'], source: `${G}; LogReplaySuite` },
  'multi-part-checkpoint': { kind: 'rows', rows: () => ids([0, ...range(0, 30)]), source: G },
  'only-checkpoint-files': { kind: 'rows', rows: () => ids([...range(5, 10), ...range(0, 20)]), source: G },
  'parquet-all-types': {
    kind: 'refused',
    error: /column "nested_struct" has type struct</,
    projection: {
      columns: [...allTypesColumns, 'TimestampNTZType'],
      rows: () => range(0, 200).map((i) => ({ ...allTypesRow(i), TimestampNTZType: allTypesNtz(i) })),
    },
    source: G,
  },
  'parquet-all-types-legacy-format': {
    kind: 'refused',
    error: /column "nested_struct" has type struct</,
    projection: {
      columns: [...allTypesColumns, 'TimestampNTZType'],
      rows: () => range(0, 200).map((i) => ({ ...allTypesRow(i), TimestampNTZType: allTypesNtz(i) })),
    },
    source: G,
  },
  'parquet-decimal-dictionaries': {
    kind: 'keyed',
    key: 'id',
    keys: range(0, 1_000_000),
    row: dictionaryRow,
    source: `${G} (parquet-decimal-dictionaries-*)`,
  },
  // The shared copy lacks this table's data file (see the folder's README): the log replays, the file is named missing.
  'parquet-decimal-dictionaries-v1': {
    kind: 'state',
    files: ['part-00000-92f97f0b-304f-4587-9d25-088cb386fa64-c000.snappy.parquet'],
    source: 'README (data file not copied)',
  },
  'parquet-decimal-dictionaries-v2': { kind: 'keyed', key: 'id', keys: range(0, 1_000_000), row: dictionaryRow, source: G },
  'parquet-decimal-type': { kind: 'keyed', key: 'id', keys: range(0, 99998), row: decimalTypeRow, source: G },
  'snapshot-data0': { kind: 'rows', rows: () => range(0, 10).map((x) => ({ col1: x, col2: `data-0-${x}` })), source: G },
  'snapshot-data1': {
    kind: 'rows',
    rows: () => [0, 1].flatMap((d) => range(0, 10).map((x) => ({ col1: x, col2: `data-${d}-${x}` }))),
    source: G,
  },
  'snapshot-data2': { kind: 'rows', rows: () => range(0, 10).map((x) => ({ col1: x, col2: `data-2-${x}` })), source: G },
  'snapshot-data3': {
    kind: 'rows',
    rows: () => [
      ...range(0, 10).map((x) => ({ col1: x, col2: `data-2-${x}` })),
      ...range(0, 20).map((x) => ({ col1: x, col2: `data-3-${x}` })),
    ],
    source: G,
  },
  'snapshot-data2-deleted': { kind: 'rows', rows: () => range(0, 20).map((x) => ({ col1: x, col2: `data-3-${x}` })), source: G },
  'snapshot-repartitioned': { kind: 'rows', rows: () => range(0, 20).map((x) => ({ col1: x, col2: `data-3-${x}` })), source: G },
  'snapshot-vacuumed': { kind: 'rows', rows: () => range(0, 20).map((x) => ({ col1: x, col2: `data-3-${x}` })), source: G },
  'spark-variant-checkpoint': { kind: 'refused', error: /column "v" has type variant/, source: 'its _delta_log (variant column)' },
  'table-with-columnmapping-mode-id': {
    kind: 'refused',
    error: /column "nested_struct" has type struct</,
    projection: { columns: columnMappingColumns, rows: columnMappingRows },
    source: G,
  },
  'table-with-columnmapping-mode-name': {
    kind: 'refused',
    error: /column "nested_struct" has type struct</,
    projection: { columns: columnMappingColumns, rows: columnMappingRows },
    source: G,
  },
  'table-with-icebegCompatV2Enabled': {
    kind: 'refused',
    error: /column "nested_struct" has type struct</,
    projection: { columns: columnMappingColumns, rows: columnMappingRows },
    source: G,
  },
  'time-travel-partition-changes-a': { kind: 'rows', rows: () => range(0, 10).map((id) => ({ id, part5: id % 5 })), source: G },
  'time-travel-partition-changes-b': { kind: 'rows', rows: () => range(10, 20).map((id) => ({ id, part2: id % 2 })), source: G },
  'time-travel-schema-changes-a': { kind: 'rows', rows: () => ids(range(0, 10)), source: G },
  'time-travel-schema-changes-b': {
    kind: 'rows',
    rows: () => [...range(0, 10).map((id) => ({ id, part: null })), ...range(10, 20).map((id) => ({ id, part: id }))],
    source: G,
  },
  'time-travel-start': { kind: 'rows', rows: () => ids(range(0, 10)), source: G },
  'time-travel-start-start20': { kind: 'rows', rows: () => ids(range(0, 20)), source: G },
  'time-travel-start-start20-start40': { kind: 'rows', rows: () => ids(range(0, 30)), source: G },
  'type-widening': { kind: 'refused', error: featureRefusal('typeWidening-preview'), source: 'its _delta_log (reader features)' },
  'type-widening-nested': { kind: 'refused', error: featureRefusal('typeWidening-preview'), source: 'its _delta_log (reader features)' },
  'update-deleted-directory': { kind: 'state', files: range(1, 11).map(String), source: G },
  // CREATE TABLE (id LONG), then range(10) appended; version 2 is a v2 checkpoint with two sidecars.
  'v2-checkpoint-json': { kind: 'rows', rows: () => ids(range(0, 10)), source: G },
  'v2-checkpoint-parquet': { kind: 'rows', rows: () => ids(range(0, 10)), source: G },
  'versions-not-contiguous': { kind: 'negative', error: /log is not contiguous: 00000000000000000001\.json is missing/, source: G },
  // Folders that are no Delta table (not among the 94): Delta answers "not a Delta table".
  'no-delta-log-folder': { kind: 'negative', error: /Delta table not found/, source: G },
  // hive/: tables the Hive connector tests read.
  'hive/deltatbl-non-partitioned': { kind: 'rows', rows: () => range(0, 10).map((x) => ({ c1: x, c2: `foo${x % 2}` })), source: G },
  'hive/deltatbl-partitioned': { kind: 'rows', rows: () => range(0, 10).map((x) => ({ c1: x, c2: `foo${x % 2}` })), source: G },
  'hive/deltatbl-touch-files-needed-for-partitioned': {
    kind: 'rows',
    rows: () => range(0, 10).map((x) => ({ c1: x, c2: `foo${x % 2}` })),
    source: G,
  },
  'hive/deltatbl-deleted-path': { kind: 'rows', rows: () => range(0, 10).map((x) => ({ c1: x, c2: `foo${x % 2}` })), source: G },
  'hive/deltatbl-not-allow-write': { kind: 'rows', rows: () => range(0, 10).map((x) => ({ a: x, b: `foo${x % 2}` })), source: G },
  'hive/deltatbl-incorrect-format-config': { kind: 'rows', rows: () => range(0, 10).map((x) => ({ a: x, b: `foo${x % 2}` })), source: G },
  'hive/deltatbl-schema-match': {
    kind: 'rows',
    rows: () => range(0, 10).map((x) => ({ a: x, b: `foo${x % 2}`, c: `test${x % 3}` })),
    source: G,
  },
  'hive/deltatbl-column-names-case-insensitive': {
    kind: 'rows',
    rows: () => range(0, 10).map((x) => ({ FooBar: x, BarFoo: `foo${x % 2}` })),
    source: G,
  },
  'hive/deltatbl-special-chars-in-partition-column': {
    kind: 'rows',
    rows: () => range(0, 10).map((x) => ({ c1: x, c2: `+ =%${x % 2}` })),
    source: G,
  },
  'hive/deltatbl-partition-prune': {
    kind: 'rows',
    rows: () => [
      { city: 'hz', date: '20180520', name: 'Jim', cnt: 3 },
      { city: 'hz', date: '20180718', name: 'Jone', cnt: 7 },
      { city: 'bj', date: '20180520', name: 'Trump', cnt: 1 },
      { city: 'sh', date: '20180512', name: 'Jay', cnt: 4 },
      { city: 'sz', date: '20181212', name: 'Linda', cnt: 8 },
    ],
    source: G,
  },
  'hive/deltatbl-map-types-correctly': {
    kind: 'refused',
    error: typeRefusal('c13', 'array<string>'),
    projection: {
      columns: ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10', 'c11', 'c12'],
      rows: () => [
        {
          c1: 97,
          c2: bytes(98, 99),
          c3: true,
          c4: 4,
          c5: 5,
          c6: 'foo',
          c7: 6,
          c8: 7,
          c9: 8,
          // java.sql.Date/Timestamp(60000000L): 1970-01-01 16:40 UTC, the same day in Los Angeles.
          c10: '1970-01-01',
          c11: '1970-01-01T16:40:00.000Z',
          // new java.math.BigDecimal(12345.6789): the double's exact value, HALF_UP into DecimalType(38,18).
          c12: doubleToDecimal(12345.6789, 18),
        },
      ],
    },
    source: G,
  },
};
