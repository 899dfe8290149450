/**
 * A SKU bucket never splits a SKU, so the month task of one very large SKU can outgrow a Silver
 * worker's capped heap (ERR_WORKER_OUT_OF_MEMORY, a real V8 heap limit here): the task runs again
 * on the calling thread with the same result, and the pool goes on with a fresh worker. Other
 * failures are not retried.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Piscina } from 'piscina';
import { processMonth, type MonthResult, type MonthTask } from '../../src/lib/silver/monthPass';
import { OrderScanner, writeSpills } from '../../src/lib/silver/orderChunkScan';
import { defaultRuleSet } from '../../src/lib/silver/ruleSet';
import { isWorkerOutOfMemory, SilverPool } from '../../src/lib/silver/silverPool';
import { bareMonthTask, line } from './silverTablesCompare';

/** `lines` lines of one SKU in `month`, spilled as the scan does. */
function spill(dir: string, month: string, sku: string, lines: number): void {
  const scanner = new OrderScanner(defaultRuleSet().rules);
  for (let i = 0; i < lines; i += 1) {
    const day = `${month}-${String(1 + (i % 28)).padStart(2, '0')}`;
    scanner.add(line(`${month}-L${i}`, String(600000 + Math.floor(i / 3)), sku, 1 + (i % 5), day), i, 'bronze/orders/part.ndjson.gz');
  }
  writeSpills(dir, month === '2011-03' ? 0 : 1, scanner.finish().batches);
}

const task = (spillDir: string, month: string): MonthTask => bareMonthTask(spillDir, month);

const summary = (r: MonthResult) => ({
  kept: r.kept,
  units: r.unitsKept,
  lines: r.demand.length,
  quantity: Array.from(r.demand.quantity).reduce((a, b) => a + b, 0),
  skus: [...r.catalogue.keys()],
});

describe('a Silver month task that outgrows a worker heap', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'silver-worker-oom-'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs again on the calling thread with the same result, and the pool goes on', async () => {
    spill(dir, '2011-03', 'HUGE', 150_000);
    spill(dir, '2011-04', 'SMALL', 200);
    const expected = summary(processMonth(task(dir, '2011-03')));
    const logs: string[] = [];
    // A heap the worker starts in (it transpiles its TypeScript sources here) but one SKU's 150,000 lines do not fit.
    const pool = SilverPool.create({
      workers: 1,
      log: (m) => logs.push(m),
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 96 },
    });
    try {
      // The worker works at that limit: a small month runs there, nothing is retried.
      expect(summary(await pool.month(task(dir, '2011-04'))).kept).toBe(200);
      expect(logs).toEqual([]);
      expect(summary(await pool.month(task(dir, '2011-03')))).toEqual(expected);
      expect(logs).toEqual([expect.stringContaining("silver: month 2011-03 outgrew a worker's heap")]);
      // A fresh worker took the lost one's place.
      expect(summary(await pool.month(task(dir, '2011-04'))).kept).toBe(200);
      expect(logs).toHaveLength(1);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('is told from other failures, which are not retried', async () => {
    expect(isWorkerOutOfMemory(Object.assign(new Error('heap'), { code: 'ERR_WORKER_OUT_OF_MEMORY' }))).toBe(true);
    expect(isWorkerOutOfMemory(new Error('worker exited with code: 1'))).toBe(false);
    expect(isWorkerOutOfMemory(undefined)).toBe(false);
    spill(dir, '2011-04', 'SMALL', 10);
    jest.spyOn(Piscina.prototype, 'run').mockRejectedValue(new Error('disk on fire'));
    const logs: string[] = [];
    const pool = SilverPool.create({ workers: 1, log: (m) => logs.push(m) });
    try {
      await expect(pool.month(task(dir, '2011-04'))).rejects.toThrow('disk on fire');
      expect(logs).toEqual([]);
    } finally {
      await pool.close();
    }
  });
});
