/**
 * keptRows (the append-only checks' stored-row reads by columns) gives exactly read()'s rows, in
 * read()'s order, for which its predicate holds, on a Silver order_lines table of several files
 * and partitions, with and without a column projection.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DeltaTable } from '../../src/lib/delta/deltaTable';
import type { DeltaRow } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables } from '../../src/lib/lakeTables';
import { keptRows, type ColumnCursor } from '../../src/lib/silver/columnRows';
import { buildSilverTables } from '../../src/lib/silver/silverBuild';
import { history, line, source } from './silverTablesCompare';

async function collect(rows: AsyncIterable<DeltaRow>): Promise<DeltaRow[]> {
  const out: DeltaRow[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

describe('keptRows', () => {
  let dir: string;
  let table: DeltaTable;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-kept-rows-'));
    const lake = FileSystemLake.fromDirectory(dir);
    await buildSilverTables(lake, { runId: 'run-1', orders: source(history) });
    await buildSilverTables(lake, { runId: 'run-2', orders: source([line('k1', '300', '22001', 3, '2011-02-22')]) });
    table = DeltaTable.forPath(lake, lakeTables.order_lines.path);
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('equals read() filtered by the same predicate, in the same order', async () => {
    const all = await table.readAll();
    expect(all.length).toBeGreaterThan(3);
    expect(new Set(all.map((r) => r.run_id))).toEqual(new Set(['run-1', 'run-2']));
    const onLateDays = (date: unknown, run: unknown) => run === 'run-1' && String(date) >= '2011-02-10';
    const kept = await collect(keptRows(table, {}, (value: ColumnCursor) => onLateDays(value('order_date'), value('run_id'))));
    const expected = all.filter((r) => onLateDays(r.order_date, r.run_id));
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(all.length);
    expect(kept).toEqual(expected);
  });

  it('keeps read()s projection and partition filter', async () => {
    const options = {
      columns: ['order_line_id', 'order_month', 'run_id'],
      partitionFilter: (pv: Record<string, string | null>) => pv.order_month === '2011-02',
    };
    const expected = await table.readAll(options);
    expect(expected.length).toBeGreaterThan(0);
    expect(await collect(keptRows(table, options, () => true))).toEqual(expected);
    expect(await collect(keptRows(table, options, () => false))).toEqual([]);
  });
});
