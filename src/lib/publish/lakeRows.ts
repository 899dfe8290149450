/**
 * Reading the lake tables that publishing, inventory planning and the dashboard need, through the
 * Delta module. A table that does not exist yet reads as empty: a first run may have no drift events.
 */
import { DeltaTableNotFoundError, openLakeTable } from '../delta';
import type { DeltaColumnBatch, DeltaRow, DeltaValue } from '../delta/types';
import type { LakeStore } from '../lake/lakeStore';
import { lakeTables, type LakeTableDef, type LakeTableName } from '../lakeTables';

export interface LakeRowsOptions {
  /** Only this run's partition (tables partitioned by run_id). */
  runId?: string;
  /** Keep partitions whose values pass (e.g. months of daily_demand). */
  partitionFilter?: (values: Record<string, string | null>) => boolean;
  columns?: string[];
  abortSignal?: AbortSignal;
}

export async function readLakeRows(lake: LakeStore, name: LakeTableName, options: LakeRowsOptions = {}): Promise<DeltaRow[]> {
  const { def, read, keep } = readPlan(name, options);
  try {
    const rows = await openLakeTable(lake, def).readAll(read);
    return keep ? rows.filter(keep) : rows;
  } catch (err) {
    if (err instanceof DeltaTableNotFoundError) return [];
    throw err;
  }
}

/**
 * readLakeRows as a stream: the same filters, one Parquet file's rows in memory at a time, so a
 * caller that keeps only what it needs (counts, one bucket of SKUs) stays flat in the table's size.
 */
export async function* streamLakeRows(lake: LakeStore, name: LakeTableName, options: LakeRowsOptions = {}): AsyncIterable<DeltaRow> {
  const { def, read, keep } = readPlan(name, options);
  try {
    for await (const row of openLakeTable(lake, def).read(read)) if (!keep || keep(row)) yield row;
  } catch (err) {
    if (err instanceof DeltaTableNotFoundError) return;
    throw err;
  }
}

/**
 * streamLakeRows by columns: the same filters, rows and order, one batch of columns per row group of each data file
 * (DeltaTable.readColumns). For the hot loops that fold rows into numbers: no object per row.
 */
export async function* streamLakeColumns(
  lake: LakeStore,
  name: LakeTableName,
  options: LakeRowsOptions = {},
): AsyncIterable<DeltaColumnBatch> {
  const { def, read, keep } = readPlan(name, options);
  const byRunColumn = keep !== undefined;
  try {
    for await (const batch of openLakeTable(lake, def).readColumns(read)) {
      yield byRunColumn ? rowsOfRun(batch, options.runId) : batch;
    }
  } catch (err) {
    if (err instanceof DeltaTableNotFoundError) return;
    throw err;
  }
}

/** The batch's rows whose run_id column is `runId` (readPlan's `keep`, by column). */
function rowsOfRun(batch: DeltaColumnBatch, runId: string | undefined): DeltaColumnBatch {
  const runs = batch.columns.run_id;
  const kept: number[] = [];
  for (let i = 0; i < batch.length; i++) if (runs !== undefined && runs[i] === runId) kept.push(i);
  if (kept.length === batch.length) return batch;
  const columns: DeltaColumnBatch['columns'] = {};
  for (const [column, values] of Object.entries(batch.columns)) columns[column] = kept.map((i) => values[i] as DeltaValue);
  return { length: kept.length, columns };
}

/** The Delta read options of a lake read, and the row filter that partition pruning cannot do. */
function readPlan(name: LakeTableName, options: LakeRowsOptions) {
  const def: LakeTableDef = lakeTables[name];
  const byRun =
    options.runId === undefined
      ? undefined
      : def.partitionBy.includes('run_id')
        ? (values: Record<string, string | null>) => values.run_id === options.runId
        : undefined;
  const filters = [byRun, options.partitionFilter].filter((f): f is (v: Record<string, string | null>) => boolean => !!f);
  const read = {
    ...(filters.length > 0 ? { partitionFilter: (v: Record<string, string | null>) => filters.every((f) => f(v)) } : {}),
    ...(options.columns ? { columns: options.columns } : {}),
    ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
  };
  // Tables not partitioned by run still carry run_id as a column; filter rows then.
  const keep =
    options.runId !== undefined && !byRun && def.schema.fields.some((f) => f.name === 'run_id')
      ? (row: DeltaRow) => row.run_id === options.runId
      : undefined;
  return { def, read, keep };
}

/** Partition values present in a table (e.g. its run ids or months), newest write last. */
export async function lakePartitions(
  lake: LakeStore,
  name: LakeTableName,
  column: string,
  options: { abortSignal?: AbortSignal } = {},
): Promise<string[]> {
  try {
    const state = await openLakeTable(lake, lakeTables[name]).state(options.abortSignal ? { abortSignal: options.abortSignal } : {});
    const newest = new Map<string, number>();
    for (const add of state.files.values()) {
      const value = add.partitionValues[column];
      if (value === undefined || value === null) continue;
      newest.set(value, Math.max(newest.get(value) ?? 0, add.modificationTime));
    }
    return [...newest.entries()].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).map(([value]) => value);
  } catch (err) {
    if (err instanceof DeltaTableNotFoundError) return [];
    throw err;
  }
}

/**
 * Run ids of a run-partitioned table, newest first: ordered by when their files were written
 * (Delta add actions' modificationTime), not by name — run ids are not sortable by time.
 */
export async function runsByRecency(lake: LakeStore, name: LakeTableName, options: { abortSignal?: AbortSignal } = {}): Promise<string[]> {
  try {
    const state = await openLakeTable(lake, lakeTables[name]).state(options.abortSignal ? { abortSignal: options.abortSignal } : {});
    const newest = new Map<string, number>();
    for (const file of state.files.values()) {
      const run = file.partitionValues['run_id'];
      if (run) newest.set(run, Math.max(newest.get(run) ?? 0, file.modificationTime));
    }
    return [...newest.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : -1)).map(([run]) => run);
  } catch (err) {
    if (err instanceof DeltaTableNotFoundError) return [];
    throw err;
  }
}

/** Keeps, per SKU, the rows of the newest run (in `runsNewestFirst`) that has any for it. */
export function newestRowsPerSku(rows: DeltaRow[], runsNewestFirst: string[]): DeltaRow[] {
  const rank = new Map(runsNewestFirst.map((run, i) => [run, i]));
  const best = new Map<string, number>();
  for (const r of rows) {
    const sku = String(r['sku']);
    const k = rank.get(String(r['run_id'])) ?? Number.MAX_SAFE_INTEGER;
    if (k < (best.get(sku) ?? Number.MAX_SAFE_INTEGER)) best.set(sku, k);
  }
  return rows.filter((r) => (rank.get(String(r['run_id'])) ?? Number.MAX_SAFE_INTEGER) === best.get(String(r['sku'])));
}

/** Rows of a run in a run-partitioned table, from the Delta log's file statistics (no Parquet read). */
export async function countRunRows(
  lake: LakeStore,
  name: LakeTableName,
  runId: string,
  options: { abortSignal?: AbortSignal } = {},
): Promise<number> {
  try {
    const snapshot = await openLakeTable(lake, lakeTables[name]).snapshot(options.abortSignal ? { abortSignal: options.abortSignal } : {});
    const files = snapshot.files.filter((f) => f.partitionValues.run_id === runId);
    if (files.some((f) => f.numRecords === undefined)) {
      return (await readLakeRows(lake, name, { runId, columns: ['run_id'], ...options })).length;
    }
    return files.reduce((sum, f) => sum + (f.numRecords ?? 0), 0);
  } catch (err) {
    if (err instanceof DeltaTableNotFoundError) return 0;
    throw err;
  }
}
