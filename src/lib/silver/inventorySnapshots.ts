/**
 * Stock snapshots are upserted: one row per SKU and day, a later snapshot of the same SKU and day
 * (a partner's corrected file) replacing the stored one. Appending both would leave which one
 * counts to the order data files happen to be read in.
 */
import type { DeltaTable } from '../delta/deltaTable';
import type { DeltaRow, DeltaWriteResult } from '../delta/types';
import type { TableState } from '../delta/log';
import { lakeTables } from '../lakeTables';
import { orderLinesFileRows } from './silverTables';
import type { InventoryColumns } from './inventoryColumns';

export interface InventoryWriteOptions {
  /** Delta transaction of the write (idempotent re-runs). */
  transaction: { appId: string; version: number };
  runId: string;
  /** The table as the run found it at its start (undefined: no table yet). */
  readState: TableState | undefined;
  abortSignal?: AbortSignal;
}

export interface InventoryWriteResult {
  result: DeltaWriteResult;
  /** Stored or earlier-in-the-batch snapshots replaced by a later one of the same SKU and day (0 when the write was skipped). */
  replaced: number;
}

/**
 * Rewrites the months the snapshots fall in, with each SKU and day once (the latest snapshot wins).
 * Rows go to the writer one at a time (the stored rows kept, then this run's latest): no list of the
 * months' rows is held, and the writer keeps them as columns until a file is full.
 */
export async function writeInventorySnapshots(
  table: DeltaTable,
  snapshots: InventoryColumns,
  options: InventoryWriteOptions,
): Promise<InventoryWriteResult> {
  const signal = options.abortSignal ? { abortSignal: options.abortSignal } : {};
  const latest = snapshots.latestOfEach();
  const months = snapshots.snapshotMonths();
  let replaced = latest.replacedInBatch;
  const readState = options.readState;
  async function* rows(): AsyncIterable<DeltaRow> {
    if (readState) {
      const wanted = new Set(months);
      for await (const row of table.read({ state: readState, partitionFilter: (pv) => wanted.has(pv.snapshot_month ?? ''), ...signal })) {
        if (latest.has(String(row.sku), String(row.snapshot_date))) replaced += 1;
        else yield row;
      }
    }
    for (let i = 0; i < snapshots.length; i += 1) if (latest.isLatest(i)) yield snapshots.rowAt(i);
  }
  const result = await table.write(rows(), {
    schema: lakeTables.inventory_snapshots.schema,
    partitionBy: lakeTables.inventory_snapshots.partitionBy,
    mode: 'overwritePartitions',
    // Files of an order_lines file's rows, not the 250,000 default: a month's rows are buffered
    // until its file is full and then encoded on this thread (at 32,000 SKUs a month of snapshots
    // is one file of ~128,000 rows: the inventory commit's peak RSS 317 → 294 MB with this).
    targetRowsPerFile: orderLinesFileRows,
    partitions: months.map((snapshot_month) => ({ snapshot_month })),
    transaction: options.transaction,
    commitInfo: { runId: options.runId },
    ...(readState ? { readState } : {}),
    ...signal,
  });
  // A skipped write (its transaction already committed: a re-run) replaced nothing now: the count
  // would hold only the batch's repeats, whether the skip was seen before the rows were read or at commit.
  return { result, replaced: result.skipped ? 0 : replaced };
}
