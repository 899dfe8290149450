/**
 * Runs records through the cleansing path production runs: the Silver build (scan pass, month
 * pass, netting, daily demand) on a temporary folder lake, in-process, and says what became of
 * each record, read back from the tables it wrote.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLakeTable } from '../../src/lib/delta';
import { readOrEmpty } from '../../src/lib/delta/readOrEmpty';
import type { DeltaRow } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables, type LakeTableName } from '../../src/lib/lakeTables';
import type { OrderLine } from '../../src/lib/silver/orderRecord';
import type { RuleSet } from '../../src/lib/silver/ruleSet';
import { buildSilverTables, type InventorySourceRecord, type SilverBuildResult, type SourceRecord } from '../../src/lib/silver/silverBuild';
import { lineFromRow } from '../../src/lib/silver/silverTables';

export type RecordOutcome =
  | { kind: 'demand'; line: OrderLine }
  | { kind: 'cancellation'; line: OrderLine }
  | { kind: 'quarantine'; reason: string; detail: string }
  | { kind: 'redelivered' }
  /** In no table: a record the build lost (never expected). */
  | { kind: 'lost' };

export interface Cleansed {
  result: SilverBuildResult;
  /** What became of records[index]. */
  outcomes: RecordOutcome[];
  dailyDemand: DeltaRow[];
}

async function* iterate<T>(items: readonly T[]): AsyncIterable<T> {
  yield* items;
}

export async function cleanseThroughSilver(
  records: readonly unknown[],
  options: { ruleSet?: RuleSet; inventory?: readonly Record<string, unknown>[] } = {},
): Promise<Cleansed> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-cleanse-'));
  try {
    const lake = FileSystemLake.fromDirectory(path.join(root, 'lake'));
    const orders: SourceRecord[] = records.map((record, index) => ({ record, index, sourcePath: 'bronze/orders.ndjson' }));
    const inventory: InventorySourceRecord[] = (options.inventory ?? []).map((record, index) => ({
      record,
      index,
      sourcePath: 'landing/inventory.csv',
    }));
    const result = await buildSilverTables(lake, {
      runId: 'cleanse',
      orders: iterate(orders),
      inventory: iterate(inventory),
      workers: 0,
      scratchDir: root,
      ...(options.ruleSet ? { ruleSet: options.ruleSet } : {}),
    });
    const read = (name: LakeTableName): Promise<DeltaRow[]> => readOrEmpty(() => openLakeTable(lake, lakeTables[name]).readAll());
    const byId = (rows: DeltaRow[]): Map<string, DeltaRow> => new Map(rows.map((r) => [String(r.order_line_id), r]));
    const demand = byId(await read('order_lines'));
    const cancelled = byId(await read('cancellations'));
    const quarantined = new Map((await read('quarantine')).map((q) => [Number(q.record_index), q]));
    const claimed = new Set<string>();
    const outcomes = records.map((record, index): RecordOutcome => {
      const q = quarantined.get(index);
      if (q) return { kind: 'quarantine', reason: String(q.reason), detail: String(q.detail) };
      const id = String((record as { orderLineId?: unknown }).orderLineId);
      // A line id stored once: the first record with it is the stored line, later ones re-deliveries.
      if (claimed.has(id)) return { kind: 'redelivered' };
      claimed.add(id);
      const d = demand.get(id);
      if (d) return { kind: 'demand', line: lineFromRow(d) };
      const c = cancelled.get(id);
      if (c) return { kind: 'cancellation', line: lineFromRow(c) };
      return { kind: 'lost' };
    });
    return { result, outcomes, dailyDemand: await read('daily_demand') };
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}
