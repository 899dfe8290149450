/**
 * The inventory commit from columns, streamed: the same inventory_snapshots rows, in the same order,
 * as the former whole-batch upsert (a map of row objects keyed by SKU and day, stored rows first), and
 * the rows are built one at a time as the writer takes them, never as a list of the batch.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DeltaTable } from '../../src/lib/delta/deltaTable';
import type { DeltaRow, DeltaWriteOptions, DeltaWriteResult } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables } from '../../src/lib/lakeTables';
import { InventoryColumns } from '../../src/lib/silver/inventoryColumns';
import type { InventorySnapshot } from '../../src/lib/silver/inventoryRecord';
import { writeInventorySnapshots } from '../../src/lib/silver/inventorySnapshots';
import { buildSilverTables } from '../../src/lib/silver/silverBuild';
import { stock } from './silverTablesCompare';

/** A deterministic batch with many same-SKU-and-day repeats, over two months, some without on_order. */
function batch(n: number, seed: number, file: string): InventorySnapshot[] {
  let x = seed;
  const next = (m: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % m;
  };
  return Array.from({ length: n }, () => {
    next(7);
    const day = next(40);
    const date = new Date(Date.UTC(2011, 0, 10 + day)).toISOString().slice(0, 10);
    return {
      snapshotDate: date,
      sku: `SKU${next(60)}`,
      onHand: next(500),
      onOrder: next(3) === 0 ? null : next(100),
      sourceFile: `${file}-${next(2)}.csv`,
    };
  });
}

const rowText = (r: DeltaRow) =>
  `${String(r.snapshot_month)} ${String(r.sku)} ${String(r.snapshot_date)} ${String(r.on_hand)} ${String(r.on_order)} ${String(r.source_file)}`;

/** The former algorithm (inventorySnapshots.ts before the columns): stored rows kept first, then a map's values in insertion order. */
function formerRows(stored: DeltaRow[], snapshots: InventorySnapshot[]): { rows: DeltaRow[]; replaced: number } {
  const latest = new Map<string, DeltaRow>();
  let replaced = 0;
  for (const s of snapshots) {
    const key = `${s.sku}\u0000${s.snapshotDate}`;
    if (latest.delete(key)) replaced += 1;
    latest.set(key, {
      snapshot_date: s.snapshotDate,
      sku: s.sku,
      on_hand: s.onHand,
      on_order: s.onOrder,
      source_file: s.sourceFile,
      snapshot_month: s.snapshotDate.slice(0, 7),
    });
  }
  const months = new Set([...latest.values()].map((r) => String(r.snapshot_month)));
  const kept: DeltaRow[] = [];
  for (const row of stored) {
    if (!months.has(String(row.snapshot_month))) continue;
    if (latest.has(`${String(row.sku)}\u0000${String(row.snapshot_date)}`)) replaced += 1;
    else kept.push(row);
  }
  return { rows: [...kept, ...latest.values()], replaced };
}

/** Rows of each month in the order the written files hold them (a partition's rows keep their write order). */
const byMonth = (rows: DeltaRow[]) => {
  const out: Record<string, string[]> = {};
  for (const r of rows) (out[String(r.snapshot_month)] ??= []).push(rowText(r));
  return out;
};

function columnsOf(snapshots: InventorySnapshot[]): InventoryColumns {
  const columns = new InventoryColumns();
  for (const s of snapshots) columns.add(s);
  return columns;
}

describe('inventory commit from columns', () => {
  let dir: string;
  let lake: FileSystemLake;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-inventory-'));
    lake = FileSystemLake.fromDirectory(dir);
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const write = async (table: DeltaTable, snapshots: InventorySnapshot[], run: number) =>
    writeInventorySnapshots(table, columnsOf(snapshots), {
      transaction: { appId: 'test:inventory', version: run },
      runId: `run-${run}`,
      readState: (await table.version()) >= 0 ? await table.state() : undefined,
    });

  it('writes the rows, the order and the replaced count of the former upsert, for a first build and an increment', async () => {
    const table = DeltaTable.forPath(lake, lakeTables.inventory_snapshots.path);
    const first = batch(3_000, 7, 'inventory/w1');
    const expected1 = formerRows([], first);
    const written1 = await write(table, first, 1);
    expect(written1.replaced).toBe(expected1.replaced);
    expect(written1.replaced).toBeGreaterThan(0);
    const stored = await table.readAll();
    expect(byMonth(stored)).toEqual(byMonth(expected1.rows));

    // A later batch overlapping the stored months: stored rows not replaced stay first, in the order read.
    const second = batch(800, 11, 'inventory/w2');
    const expected2 = formerRows(stored, second);
    expect(expected2.replaced).toBeGreaterThan(formerRows([], second).replaced);
    const written2 = await write(table, second, 2);
    expect(written2.replaced).toBe(expected2.replaced);
    expect(byMonth(await table.readAll())).toEqual(byMonth(expected2.rows));
  });

  it('finds the last snapshot of each SKU and day as a keyed map would, and answers for stored rows', () => {
    const snapshots = batch(5_000, 3, 'f');
    const latest = columnsOf(snapshots).latestOfEach();
    const lastIndex = new Map<string, number>();
    snapshots.forEach((s, i) => lastIndex.set(`${s.sku} ${s.snapshotDate}`, i));
    snapshots.forEach((s, i) => expect(latest.isLatest(i)).toBe(lastIndex.get(`${s.sku} ${s.snapshotDate}`) === i));
    expect(latest.replacedInBatch).toBe(snapshots.length - lastIndex.size);
    for (const s of snapshots) expect(latest.has(s.sku, s.snapshotDate)).toBe(true);
    const some = snapshots[0] as InventorySnapshot;
    expect(latest.has(some.sku, '1999-01-01')).toBe(false);
    expect(latest.has('unknown', snapshots[0]?.snapshotDate ?? '')).toBe(false);
  });

  it('hands the writer a stream and builds each row only when the writer takes it', async () => {
    const columns = columnsOf(batch(2_000, 5, 'f'));
    const built = { rows: 0 };
    const rowAt = columns.rowAt.bind(columns);
    columns.rowAt = (i: number) => {
      built.rows += 1;
      return rowAt(i);
    };
    let taken = 0;
    let mostAhead = 0;
    const table = {
      async write(rows: DeltaRow[] | AsyncIterable<DeltaRow>, _options: DeltaWriteOptions): Promise<DeltaWriteResult> {
        expect(Array.isArray(rows)).toBe(false);
        for await (const row of rows as AsyncIterable<DeltaRow>) {
          expect(row.sku).toBeDefined();
          taken += 1;
          mostAhead = Math.max(mostAhead, built.rows - taken);
        }
        return { version: 0 } as DeltaWriteResult;
      },
    } as unknown as DeltaTable;
    const written = await writeInventorySnapshots(table, columns, {
      transaction: { appId: 'test:inventory', version: 1 },
      runId: 'run-1',
      readState: undefined,
    });
    expect(taken).toBe(columns.length - written.replaced);
    expect(built.rows).toBe(taken);
    expect(mostAhead).toBe(0);
  });

  const snap = (sku: string, snapshotDate: string, onHand: number): InventorySnapshot => ({
    snapshotDate,
    sku,
    onHand,
    onOrder: null,
    sourceFile: 'inventory/f.csv',
  });

  it('counts the batch’s repeats and the stored rows it replaces; a stored row of the SKU on another day (another month) is kept, not counted', async () => {
    const table = DeltaTable.forPath(lake, lakeTables.inventory_snapshots.path);
    const stored = [snap('A', '2011-01-10', 1), snap('B', '2011-01-10', 2), snap('A', '2011-03-10', 3), snap('C', '2011-03-11', 4)];
    expect((await write(table, stored, 1)).replaced).toBe(0);
    // A Jan 10 twice (one batch repeat) over a stored row (one more), a new SKU; March's stored A and C untouched.
    const next = [snap('A', '2011-01-10', 5), snap('D', '2011-01-10', 6), snap('A', '2011-01-10', 7)];
    const written = await write(table, next, 2);
    expect(written.replaced).toBe(2);
    expect(written.result.skipped).toBe(false);
    expect((await table.readAll()).map((r) => `${String(r.sku)} ${String(r.snapshot_date)} ${String(r.on_hand)}`).sort()).toEqual([
      'A 2011-01-10 7',
      'A 2011-03-10 3',
      'B 2011-01-10 2',
      'C 2011-03-11 4',
      'D 2011-01-10 6',
    ]);
  });

  it('a re-run of a committed transaction writes nothing and says it replaced nothing (not the batch’s repeats)', async () => {
    const table = DeltaTable.forPath(lake, lakeTables.inventory_snapshots.path);
    const first = batch(500, 7, 'inventory/w1');
    const rerun = { transaction: { appId: 'test:inventory', version: 1 }, runId: 'run-1' };
    const written1 = await writeInventorySnapshots(table, columnsOf(first), { ...rerun, readState: undefined });
    expect(written1.replaced).toBeGreaterThan(0);
    const rows = byMonth(await table.readAll());
    const again = await writeInventorySnapshots(table, columnsOf(first), { ...rerun, readState: await table.state() });
    expect(again.result.skipped).toBe(true);
    expect(again.replaced).toBe(0);
    expect(byMonth(await table.readAll())).toEqual(rows);
  });

  it('buildSilver logs what the inventory commit did: the rows replaced, and on a re-run of the run id that it was skipped', async () => {
    const figures = [
      { snapshot_date: '2011-01-10', sku: '22001', on_hand: '4', on_order: '' },
      { snapshot_date: '2011-01-10', sku: '22001', on_hand: '5', on_order: '' },
      { snapshot_date: '2011-01-11', sku: '22001', on_hand: '6', on_order: '' },
    ];
    const logOf = async (runId: string) => {
      const lines: string[] = [];
      await buildSilverTables(lake, { runId, inventory: stock(figures), log: (m) => lines.push(m) });
      return lines.filter((m) => /stock snapshots/.test(m));
    };
    expect(await logOf('run-1')).toEqual(['silver: 1 stock snapshots replaced by later ones of the same SKU and day']);
    expect(await logOf('run-1')).toEqual([
      'silver: stock snapshots of run run-1 already committed (a re-run): write skipped, none replaced',
    ]);
    expect(await logOf('run-2')).toEqual(['silver: 3 stock snapshots replaced by later ones of the same SKU and day']);
  });
});
