/**
 * A month task of one SKU bucket remembers, of the other buckets' lines (this run's and stored), only
 * the ids one of its own lines carries: a line id delivered again under a SKU of another bucket is
 * still a re-delivery (a conflict, first delivery wins), in a build and in an increment, exactly as
 * with one bucket.
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

describe('line ids of other SKU buckets', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-bucket-ids-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const build = (lake: FileSystemLake, runId: string, records: unknown[], linesPerBucket?: number) =>
    buildSilverTables(lake, { runId, orders: source(records), workers: 0, ...(linesPerBucket !== undefined ? { linesPerBucket } : {}) });

  it('still finds a re-delivery under another bucket’s SKU, within a run and against stored lines', async () => {
    const all = orders();
    const skuOf = (r: Record<string, unknown>) => String(r.StockCode);
    const skus = [...new Set(all.map(skuOf))];
    const cut = Math.floor(all.length * 0.6);
    const run1 = all.slice(0, cut);
    const run2 = all.slice(cut);
    // With 100 lines per bucket the months are taken in several buckets (6 for the largest).
    const inOtherBucket = (sku: string) => skus.find((s) => bucketOfSku(s, 6) !== bucketOfSku(sku, 6)) as string;
    const early = run1[3] as Record<string, unknown>;
    const late = run1[cut - 5] as Record<string, unknown>;
    // This run: an early line's id again, later in the run, under another bucket's SKU.
    run1.push({ ...early, StockCode: inOtherBucket(skuOf(early)) });
    // Next run: a stored line's id under another bucket's SKU (the task sees it among the stored lines of other buckets).
    run2.push({ ...late, StockCode: inOtherBucket(skuOf(late)), Quantity: 3 });
    const one = FileSystemLake.fromDirectory(path.join(dir, 'one'));
    const many = FileSystemLake.fromDirectory(path.join(dir, 'many'));
    for (const [runId, records] of [
      ['run-1', run1],
      ['run-2', run2],
    ] as const) {
      const r = await build(one, runId, records);
      const m = await build(many, runId, records, 100);
      expect(r.quarantineReasons.redelivered_conflict ?? 0).toBeGreaterThanOrEqual(1);
      expect(m.quarantineReasons).toEqual(r.quarantineReasons);
      expect([m.orderLinesKept, m.redelivered, m.cancellations, m.dailyDemandRows]).toEqual([
        r.orderLinesKept,
        r.redelivered,
        r.cancellations,
        r.dailyDemandRows,
      ]);
      for (const name of tableNames)
        expect({ name, rows: await rowsOf(many, name, { ignoreSource: false }) }).toEqual({
          name,
          rows: await rowsOf(one, name, { ignoreSource: false }),
        });
    }
  });
});
