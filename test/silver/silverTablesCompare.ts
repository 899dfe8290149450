/**
 * Shared by the Silver increment tests: order lines and stock rows as a source yields them, and
 * Silver's five tables compared row by row (a run of increments must equal one full build).
 */
import { expect } from '@jest/globals';
import { DeltaTable } from '../../src/lib/delta/deltaTable';
import type { DeltaRow } from '../../src/lib/delta/types';
import type { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables } from '../../src/lib/lakeTables';
import type { RuleSet } from '../../src/lib/silver/ruleSet';
import type { InventorySourceRecord, SourceRecord } from '../../src/lib/silver/silverBuild';
import type { MonthTask } from '../../src/lib/silver/monthPass';
import type { SkuBucket } from '../../src/lib/silver/skuBucket';

export function line(id: string, invoice: string, sku: string, qty: number, date: string, customer: string | null = '17850.0') {
  return {
    orderLineId: id,
    InvoiceNo: invoice,
    StockCode: sku,
    Description: `ITEM ${sku}`,
    Quantity: qty,
    InvoiceDate: `${date} 10:00:00`,
    UnitPrice: 2,
    CustomerID: customer,
    Country: 'United Kingdom',
  };
}

/** Three SKUs through January and February 2011: A (22001) to Feb 19, S (22002, slow) to Feb 10, G (22003) on Feb 20. */
export const history = [
  line('h1', '100', '22001', 5, '2011-01-10'),
  line('h2', '101', '22001', 2, '2011-01-25'),
  line('h3', '102', '22001', 3, '2011-02-19'),
  line('h4', '103', '22002', 4, '2011-01-20', '14000.0'),
  line('h5', '104', '22002', 5, '2011-02-10', '14000.0'),
  line('h6', '105', '22003', 1, '2011-02-20', null),
];

export async function* source(records: unknown[], sourcePath = 'bronze/orders/part-00000.ndjson.gz'): AsyncIterable<SourceRecord> {
  let index = 0;
  for (const record of records) yield { record, index: index++, sourcePath };
}

export async function* stock(records: Array<Record<string, string>>): AsyncIterable<InventorySourceRecord> {
  let index = 0;
  for (const record of records) yield { record, index: index++, sourcePath: 'inventory/snapshot.csv' };
}

export const tableNames = ['daily_demand', 'order_lines', 'cancellations', 'products', 'quarantine'] as const;

/** Columns that name the run or the time; with `ignoreSource` also where a line was read from (builds that read the lines in other parts). */
function droppedColumns(ignoreSource: boolean): Set<string> {
  const drop = ['run_id', 'ingested_at', 'quarantined_at', 'updated_at', 'built_at'];
  return new Set(ignoreSource ? [...drop, 'source_path', 'record_index'] : drop);
}

/** A table's rows as sorted text, without the dropped columns. */
export async function rowsOf(
  lake: FileSystemLake,
  name: (typeof tableNames)[number],
  options: { ignoreSource?: boolean } = {},
): Promise<string[]> {
  const t = DeltaTable.forPath(lake, lakeTables[name].path);
  if ((await t.version()) < 0) return [];
  const drop = droppedColumns(options.ignoreSource ?? true);
  return (await t.readAll())
    .map((r: DeltaRow) =>
      JSON.stringify(
        Object.keys(r)
          .filter((k) => !drop.has(k))
          .sort()
          .map((k) => [k, r[k] instanceof Uint8Array ? Buffer.from(r[k]).toString('hex') : r[k]]),
      ),
    )
    .sort();
}

export async function expectSameSilver(
  actual: FileSystemLake,
  expected: FileSystemLake,
  options: { ignoreSource?: boolean } = {},
): Promise<void> {
  for (const name of tableNames) {
    expect({ name, rows: await rowsOf(actual, name, options) }).toEqual({ name, rows: await rowsOf(expected, name, options) });
  }
}

/** Records as the rule set expects them: the order-status rules read a Status field (negative quantity: cancelled). */
export function withStatus(ruleSet: RuleSet, records: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return ruleSet.document.name === 'order-status'
    ? records.map((r) => ({ ...r, Status: Number(r.Quantity) < 0 ? 'cancelled' : 'placed' }))
    : records;
}

/** A month task over `spillDir` with no prior lines (what a first build's month pass gets), for one bucket or all. */
export function bareMonthTask(spillDir: string, month: string, bucket?: SkuBucket): MonthTask {
  const none = new Uint32Array(0);
  return {
    month,
    spillDir,
    runId: 'run-1',
    prior: { idHi: none, idLo: none, dupHi: none, dupLo: none },
    duplicates: { quarantine: true, reason: 'duplicate_exact' },
    tieBreak: 'latest',
    orderLineFields: null,
    cancellationFields: null,
    fileRows: 100_000,
    ...(bucket ? { bucket } : {}),
  };
}
