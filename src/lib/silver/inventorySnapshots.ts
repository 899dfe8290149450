/**
 * Stock snapshots are upserted: one row per SKU and day, a later snapshot of the same SKU and day
 * (a partner's corrected file) replacing the stored one. Appending both would leave which one
 * counts to the order data files happen to be read in.
 */
import type { DeltaTable } from '../delta/deltaTable';
import type { DeltaRow, DeltaWriteResult } from '../delta/types';
import type { TableState } from '../delta/log';
import { lakeTables } from '../lakeTables';
import type { InventorySnapshot } from './inventoryRecord';

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
  /** Stored or earlier-in-the-batch snapshots replaced by a later one of the same SKU and day. */
  replaced: number;
}

const keyOf = (sku: string, date: string): string => `${sku}\u0000${date}`;

/** Each snapshot month's text once (a first build's fleet has 255,000 snapshots at 32,000 SKUs, over a few months). */
function monthOfDate(): (date: string) => string {
  const months = new Map<string, string>();
  return (date) => {
    let month = months.get(date);
    if (month === undefined) months.set(date, (month = date.slice(0, 7)));
    return month;
  };
}

function rowOf(s: InventorySnapshot, monthOf: (date: string) => string): DeltaRow {
  return {
    snapshot_date: s.snapshotDate,
    sku: s.sku,
    on_hand: s.onHand,
    on_order: s.onOrder,
    source_file: s.sourceFile,
    snapshot_month: monthOf(s.snapshotDate),
  };
}

/** Rewrites the months the snapshots fall in, with each SKU and day once (the latest snapshot wins). */
export async function writeInventorySnapshots(
  table: DeltaTable,
  snapshots: readonly InventorySnapshot[],
  options: InventoryWriteOptions,
): Promise<InventoryWriteResult> {
  const signal = options.abortSignal ? { abortSignal: options.abortSignal } : {};
  const latest = new Map<string, DeltaRow>();
  const monthOf = monthOfDate();
  const monthSet = new Set<string>();
  let replaced = 0;
  for (const s of snapshots) {
    const key = keyOf(s.sku, s.snapshotDate);
    if (latest.delete(key)) replaced += 1;
    latest.set(key, rowOf(s, monthOf));
    monthSet.add(monthOf(s.snapshotDate));
  }
  const months = [...monthSet].sort();
  const kept: DeltaRow[] = [];
  if (options.readState) {
    const wanted = new Set(months);
    for await (const row of table.read({
      state: options.readState,
      partitionFilter: (pv) => wanted.has(pv.snapshot_month ?? ''),
      ...signal,
    })) {
      if (latest.has(keyOf(String(row.sku), String(row.snapshot_date)))) replaced += 1;
      else kept.push(row);
    }
  }
  const result = await table.write([...kept, ...latest.values()], {
    schema: lakeTables.inventory_snapshots.schema,
    partitionBy: lakeTables.inventory_snapshots.partitionBy,
    mode: 'overwritePartitions',
    partitions: months.map((snapshot_month) => ({ snapshot_month })),
    transaction: options.transaction,
    commitInfo: { runId: options.runId },
    ...(options.readState ? { readState: options.readState } : {}),
    ...signal,
  });
  return { result, replaced };
}
