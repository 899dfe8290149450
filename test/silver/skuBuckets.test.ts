/**
 * The month pass in SKU buckets (a large fleet's month taken a bucket of SKUs at a time) gives the
 * same Silver as one bucket: netting, exact copies, re-deliveries, a line id delivered again under
 * another SKU (a conflict, first delivery wins), an increment with late lines and stored months.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { buildSilverTables } from '../../src/lib/silver/silverBuild';
import { bucketOfSku } from '../../src/lib/silver/skuBucket';
import { orders } from './fixtures';
import { rowsOf, source, tableNames } from './silverTablesCompare';

describe('Silver month pass in SKU buckets', () => {
  let dir: string;
  const logs: string[] = [];
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-buckets-'));
    logs.length = 0;
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const build = (lake: FileSystemLake, runId: string, records: unknown[], linesPerBucket?: number) =>
    buildSilverTables(lake, {
      runId,
      orders: source(records),
      workers: 0,
      log: (m) => logs.push(m),
      ...(linesPerBucket !== undefined ? { linesPerBucket } : {}),
    });

  it('gives the same tables and counts in 1 and in many buckets, for a build and an increment', async () => {
    const all = orders();
    // A line id delivered again under another SKU of another bucket: a conflict in both layouts.
    const first = all.find((r) => typeof r.StockCode === 'string' && r.StockCode === '20001') as Record<string, unknown>;
    // 100 lines per bucket: the largest month (520 lines) is taken in 6 buckets.
    const other = ['20002', '20003', '20004', '20006', '20007'].find((s) => bucketOfSku(s, 6) !== bucketOfSku('20001', 6)) as string;
    const cut = Math.floor(all.length * 0.7);
    const run1 = [...all.slice(0, cut), { ...first, StockCode: other }];
    const run2 = all.slice(cut);
    const one = FileSystemLake.fromDirectory(path.join(dir, 'one'));
    const many = FileSystemLake.fromDirectory(path.join(dir, 'many'));
    const r1 = await build(one, 'run-1', run1);
    const m1 = await build(many, 'run-1', run1, 100);
    expect(logs).toContain('silver: month pass in 6 SKU buckets (largest month 520 lines)');
    expect(m1.quarantineReasons).toEqual(r1.quarantineReasons);
    expect(r1.quarantineReasons.redelivered_conflict).toBeGreaterThanOrEqual(1);
    const counted = (r: typeof r1) => [
      r.orderLinesKept,
      r.unitsKept,
      r.cancellations,
      r.redelivered,
      r.nettedLines,
      r.nettedUnits,
      r.dailyDemandRows,
    ];
    expect(counted(m1)).toEqual(counted(r1));
    for (const name of tableNames)
      expect({ name, rows: await rowsOf(many, name, { ignoreSource: false }) }).toEqual({
        name,
        rows: await rowsOf(one, name, { ignoreSource: false }),
      });
    // The increment reads the stored months back in buckets too.
    const r2 = await build(one, 'run-2', run2);
    const m2 = await build(many, 'run-2', run2, 100);
    expect(counted(m2)).toEqual(counted(r2));
    expect(r2.nettedLines).toBeGreaterThan(0);
    for (const name of tableNames)
      expect({ name, rows: await rowsOf(many, name, { ignoreSource: false }) }).toEqual({
        name,
        rows: await rowsOf(one, name, { ignoreSource: false }),
      });
  });
});
