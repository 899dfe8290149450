/**
 * The Silver tables one build reads and writes, the versions it reads them at, and the write
 * options every commit of a build shares (its idempotent transaction per table).
 */
import { DeltaTable } from '../delta/deltaTable';
import type { TableState } from '../delta/log';
import type { DeltaRow, DeltaWriteOptions } from '../delta/types';
import type { LakeStore } from '../lake/lakeStore';
import { lakeTables, type LakeTableDef } from '../lakeTables';
import type { OrderLine } from './orderRecord';

/** Rows per Parquet data file. */
export const orderLinesFileRows = 50_000;

export interface SilverTables {
  orderLines: DeltaTable;
  cancellations: DeltaTable;
  rejectedLines: DeltaTable;
  quarantine: DeltaTable;
  inventory: DeltaTable;
  products: DeltaTable;
  productDescriptions: DeltaTable;
  dailyDemand: DeltaTable;
}

/** The tables whose earlier data a build reads, as of the build's start. */
export type SilverStartState = Record<
  'orderLines' | 'cancellations' | 'rejectedLines' | 'inventory' | 'products' | 'productDescriptions',
  TableState | undefined
>;

export function openSilverTables(lake: LakeStore): SilverTables {
  return {
    orderLines: DeltaTable.forPath(lake, lakeTables.order_lines.path),
    cancellations: DeltaTable.forPath(lake, lakeTables.cancellations.path),
    rejectedLines: DeltaTable.forPath(lake, lakeTables.rejected_lines.path),
    quarantine: DeltaTable.forPath(lake, lakeTables.quarantine.path),
    inventory: DeltaTable.forPath(lake, lakeTables.inventory_snapshots.path),
    products: DeltaTable.forPath(lake, lakeTables.products.path),
    productDescriptions: DeltaTable.forPath(lake, lakeTables.product_descriptions.path),
    dailyDemand: DeltaTable.forPath(lake, lakeTables.daily_demand.path),
  };
}

/**
 * Earlier Silver data is read as of the versions at the start, so this run's own commits never
 * feed back into it; rows of this run id (from an interrupted attempt) are skipped too. Each log
 * is replayed once here and every read of the build reuses the state.
 */
export async function readStartState(tables: SilverTables, signal: { abortSignal?: AbortSignal }): Promise<SilverStartState> {
  return {
    orderLines: await tables.orderLines.stateIfExists(signal),
    cancellations: await tables.cancellations.stateIfExists(signal),
    rejectedLines: await tables.rejectedLines.stateIfExists(signal),
    inventory: await tables.inventory.stateIfExists(signal),
    products: await tables.products.stateIfExists(signal),
    productDescriptions: await tables.productDescriptions.stateIfExists(signal),
  };
}

/** The Delta transaction of a build's commit to one table: a re-run of the run id skips it. */
export function silverTxn(runId: string, table: string): { appId: string; version: number } {
  return { appId: `silver:${runId}:${table}`, version: 0 };
}

export function silverWriteOptions(
  def: LakeTableDef,
  runId: string,
  mode: DeltaWriteOptions['mode'],
  abortSignal?: AbortSignal,
): DeltaWriteOptions {
  return {
    schema: def.schema,
    partitionBy: def.partitionBy,
    mode,
    transaction: silverTxn(runId, def.name),
    commitInfo: { runId },
    targetRowsPerFile: orderLinesFileRows,
    ...(abortSignal ? { abortSignal } : {}),
  };
}

/** An order_lines or cancellations row as the line it was stored from. */
export function lineFromRow(row: DeltaRow): OrderLine {
  const ts = new Date(String(row.order_ts)).toISOString();
  return {
    orderLineId: String(row.order_line_id),
    invoiceNo: String(row.invoice_no),
    sku: String(row.sku),
    description: (row.description as string | null) ?? null,
    quantity: Number(row.quantity),
    unitPrice: Number(row.unit_price),
    customerId: (row.customer_id as string | null) ?? null,
    country: (row.country as string | null) ?? null,
    orderTs: ts,
    orderDate: String(row.order_date),
  };
}
