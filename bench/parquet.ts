/**
 * Parquet library comparison for the Delta module: hyparquet + hyparquet-writer (pure JS) versus
 * parquet-wasm (Rust arrow-rs in WASM, fed through apache-arrow JS), on a daily_demand-shaped table
 * (the Silver table with the most rows). Both write Snappy; both start from and end at the plain JS
 * rows the pipeline holds, so the JS ↔ Arrow conversion parquet-wasm needs is part of its time.
 *
 * A second comparison starts from columns (typed arrays and string arrays, as the Silver build
 * holds them) and writes 50,000-row files, as the Silver build does: hyparquet-writer (columns
 * converted to the bigint values it needs) versus the Arrow path the Silver build used until stop 30
 * (bench/arrowParquet.ts), and the module's own column path (src/lib/delta/dataFile.ts, hyparquet-writer
 * with its stats, as the Silver workers run it). Files of all are read back with hyparquet and checked.
 * apache-arrow and parquet-wasm are dev dependencies, for this bench only.
 *
 * Run: npm run build && node dist/bench/parquet.js      (rows: BENCH_PARQUET_ROWS, default 1,000,000)
 */
import { makeVector, tableFromIPC, tableToIPC, vectorFromArray, Bool, DateDay, Int64, Utf8, Table as ArrowTable } from 'apache-arrow';
import * as parquetWasm from 'parquet-wasm';
import { encodeArrowParquet } from './arrowParquet';
import { encodeDataFile } from '../src/lib/delta/dataFile';
import { decodeParquet, dateToDays, encodeParquet, encodeParquetColumns } from '../src/lib/delta/parquet';
import type { DeltaField, DeltaRow } from '../src/lib/delta/types';
import { lakeTables } from '../src/lib/lakeTables';

const dataFields: DeltaField[] = lakeTables.daily_demand.schema.fields.filter((f) => f.name !== 'month');

function makeRows(count: number): DeltaRow[] {
  const rows: DeltaRow[] = new Array<DeltaRow>(count);
  const days = 365;
  const start = Date.UTC(2010, 11, 1);
  for (let i = 0; i < count; i++) {
    const skuIndex = Math.floor(i / days);
    const day = i % days;
    const units = (skuIndex * 31 + day * 7) % 11 === 0 ? 0 : ((skuIndex + day) % 23) + 1;
    rows[i] = {
      sku: `SKU${String(20000 + (skuIndex % 4000))}${skuIndex >= 4000 ? `-${Math.floor(skuIndex / 4000)}` : ''}`,
      date: new Date(start + day * 86_400_000).toISOString().slice(0, 10),
      units,
      revenue: Math.round(units * (1.25 + (skuIndex % 17) * 0.5) * 100) / 100,
      orders: units === 0 ? 0 : (units % 5) + 1,
      customers: units === 0 ? 0 : (units % 4) + 1,
      on_hand: day % 50 === 0 ? null : (skuIndex * 13 + day * 3) % 120,
      stockout: units === 0 && day % 3 === 0,
      month: '',
    };
  }
  return rows;
}

function wasmWrite(rows: DeltaRow[]): Uint8Array {
  const n = rows.length;
  const units = new BigInt64Array(n);
  const orders = new BigInt64Array(n);
  const customers = new BigInt64Array(n);
  const revenue = new Float64Array(n);
  const sku = new Array<string>(n);
  const dates = new Array<Date>(n);
  const onHand = new Array<bigint | null>(n);
  const stockout = new Array<boolean>(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i] as DeltaRow;
    sku[i] = r.sku as string;
    dates[i] = new Date(dateToDays(r.date as string) * 86_400_000);
    units[i] = BigInt(r.units as number);
    revenue[i] = r.revenue as number;
    orders[i] = BigInt(r.orders as number);
    customers[i] = BigInt(r.customers as number);
    onHand[i] = r.on_hand === null ? null : BigInt(r.on_hand as number);
    stockout[i] = r.stockout as boolean;
  }
  const table = new ArrowTable({
    sku: vectorFromArray(sku, new Utf8()),
    date: vectorFromArray(dates, new DateDay()),
    units: makeVector(units),
    revenue: makeVector(revenue),
    orders: makeVector(orders),
    customers: makeVector(customers),
    on_hand: vectorFromArray(onHand, new Int64()),
    stockout: vectorFromArray(stockout, new Bool()),
  });
  const wasmTable = parquetWasm.Table.fromIPCStream(tableToIPC(table, 'stream'));
  const props = new parquetWasm.WriterPropertiesBuilder().setCompression(parquetWasm.Compression.SNAPPY).build();
  return parquetWasm.writeParquet(wasmTable, props);
}

function wasmRead(bytes: Uint8Array): DeltaRow[] {
  const table = tableFromIPC(parquetWasm.readParquet(bytes).intoIPCStream());
  const out: DeltaRow[] = new Array<DeltaRow>(table.numRows);
  const cols = dataFields.map((f) => [f, table.getChild(f.name)] as const);
  for (let i = 0; i < table.numRows; i++) {
    const row: DeltaRow = {};
    for (const [field, vector] of cols) {
      const v: unknown = vector?.get(i);
      if (v === null || v === undefined) row[field.name] = null;
      else if (typeof v === 'bigint') row[field.name] = Number(v);
      else if (field.type === 'date') row[field.name] = new Date(v as number).toISOString().slice(0, 10);
      else row[field.name] = v as string | number | boolean;
    }
    out[i] = row;
  }
  return out;
}

function time<T>(fn: () => T): [T, number] {
  const start = process.hrtime.bigint();
  const result = fn();
  return [result, Number(process.hrtime.bigint() - start) / 1e6];
}

async function timeAsync<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return [result, Number(process.hrtime.bigint() - start) / 1e6];
}

function check(label: string, expected: DeltaRow[], actual: DeltaRow[]): void {
  if (actual.length !== expected.length) throw new Error(`${label}: read ${actual.length} rows, wrote ${expected.length}`);
  for (const i of [0, 1, Math.floor(expected.length / 2), expected.length - 1]) {
    const want = { ...expected[i] };
    delete want.month;
    if (JSON.stringify(actual[i]) !== JSON.stringify(want)) {
      throw new Error(`${label}: row ${i} differs: ${JSON.stringify(actual[i])} vs ${JSON.stringify(want)}`);
    }
  }
}

/** The rows as columns in the module's compact form (numbers, days; strings as they are). */
function toColumns(rows: DeltaRow[]): unknown[][] {
  return dataFields.map((field) =>
    rows.map((r) => {
      const v = r[field.name] ?? null;
      return field.type === 'date' && v !== null ? dateToDays(v as string) : v;
    }),
  );
}

/** hyparquet-writer's physical values: INT64 as bigint. */
function hyparquetColumns(columns: unknown[][]): unknown[][] {
  return dataFields.map((field, i) => {
    const column = columns[i] as unknown[];
    return field.type === 'long' ? column.map((v) => (v === null ? null : BigInt(v as number))) : column;
  });
}

const fileRows = 50_000;

function writeFiles(columns: unknown[][], encode: (slice: unknown[][], n: number) => Uint8Array): Uint8Array[] {
  const files: Uint8Array[] = [];
  const n = (columns[0] as unknown[]).length;
  for (let from = 0; from < n; from += fileRows) {
    const to = Math.min(n, from + fileRows);
    files.push(
      encode(
        columns.map((c) => c.slice(from, to)),
        to - from,
      ),
    );
  }
  return files;
}

async function readFiles(files: Uint8Array[]): Promise<DeltaRow[]> {
  const rows: DeltaRow[] = [];
  for (const f of files) for (const r of await decodeParquet(f)) rows.push(r as DeltaRow);
  return rows;
}

async function columnsComparison(rows: DeltaRow[]): Promise<void> {
  const columns = toColumns(rows);
  const [hyFiles, hyMs] = time(() => writeFiles(columns, (slice) => encodeParquetColumns(dataFields, hyparquetColumns(slice))));
  check('hyparquet-writer (columns)', rows, await readFiles(hyFiles));
  const [arrowFiles, arrowMs] = time(() => writeFiles(columns, (slice, n) => encodeArrowParquet(dataFields, slice, n)));
  check('parquet-wasm (columns)', rows, await readFiles(arrowFiles));
  const [moduleFiles, moduleMs] = time(() => writeFiles(columns, (slice, n) => encodeDataFile(dataFields, slice, n).bytes));
  check('encodeDataFile (columns)', rows, await readFiles(moduleFiles));
  const size = (files: Uint8Array[]): number => files.reduce((a, f) => a + f.byteLength, 0);
  console.table([
    {
      'from columns, 50,000-row files': 'hyparquet-writer',
      size: `${(size(hyFiles) / 1048576).toFixed(2)} MB`,
      write: `${hyMs.toFixed(0)} ms`,
    },
    {
      'from columns, 50,000-row files': 'parquet-wasm (Arrow path)',
      size: `${(size(arrowFiles) / 1048576).toFixed(2)} MB`,
      write: `${arrowMs.toFixed(0)} ms`,
    },
    {
      'from columns, 50,000-row files': 'encodeDataFile (hyparquet-writer, stats included: the Silver path)',
      size: `${(size(moduleFiles) / 1048576).toFixed(2)} MB`,
      write: `${moduleMs.toFixed(0)} ms`,
    },
  ]);
  console.log(
    `ratios encodeDataFile / parquet-wasm from columns: size ${(size(moduleFiles) / size(arrowFiles)).toFixed(2)}, write ${(moduleMs / arrowMs).toFixed(2)}`,
  );
  console.log(
    `ratios hyparquet / parquet-wasm from columns: size ${(size(hyFiles) / size(arrowFiles)).toFixed(2)}, write ${(hyMs / arrowMs).toFixed(2)}`,
  );
}

export async function runParquetBench(): Promise<void> {
  const count = Number(process.env.BENCH_PARQUET_ROWS ?? 1_000_000);
  // Warm up both (JIT, WASM instantiation) so the timed runs measure steady-state work.
  const warm = makeRows(5_000);
  await decodeParquet(encodeParquet(dataFields, warm));
  wasmRead(wasmWrite(warm));
  const rows = makeRows(count);
  console.log(
    `Parquet bench: ${count.toLocaleString('en-US')} daily_demand-shaped rows, Snappy. Command: npm run build && node dist/bench/parquet.js`,
  );

  const [hyBytes, hyWriteMs] = time(() => encodeParquet(dataFields, rows));
  const [hyRows, hyReadMs] = await timeAsync(() => decodeParquet(hyBytes));
  check('hyparquet', rows, hyRows as DeltaRow[]);
  hyRows.length = 0;

  const [wasmBytes, wasmWriteMs] = time(() => wasmWrite(rows));
  const [wasmRows, wasmReadMs] = time(() => wasmRead(wasmBytes));
  check('parquet-wasm', rows, wasmRows);

  const mb = (n: number): string => `${(n / 1048576).toFixed(2)} MB`;
  const ms = (n: number): string => `${n.toFixed(0)} ms`;
  console.table([
    { library: 'hyparquet-writer + hyparquet', size: mb(hyBytes.byteLength), write: ms(hyWriteMs), read: ms(hyReadMs) },
    { library: 'parquet-wasm (+ apache-arrow)', size: mb(wasmBytes.byteLength), write: ms(wasmWriteMs), read: ms(wasmReadMs) },
  ]);
  console.log(
    `ratios hyparquet / parquet-wasm: size ${(hyBytes.byteLength / wasmBytes.byteLength).toFixed(2)}, write ${(hyWriteMs / wasmWriteMs).toFixed(2)}, read ${(hyReadMs / wasmReadMs).toFixed(2)}`,
  );
  await columnsComparison(rows);
}

if (require.main === module) {
  runParquetBench().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
