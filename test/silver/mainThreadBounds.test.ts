/**
 * What the Silver build's main thread holds: the netting window is about one SKU bucket's share of
 * the months a cancellation still reaches (not a whole month of the fleet), and the worker threads
 * are let go before the products commit (at 32,000 SKUs that commit, beside two idle workers, was
 * the build's RSS peak: docs/sizing.md, stop 29).
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { ProductCatalogue } from '../../src/lib/silver/products';
import { buildSilverTables } from '../../src/lib/silver/silverBuild';
import { SilverPool } from '../../src/lib/silver/silverPool';
import { orders } from './fixtures';
import { source } from './silverTablesCompare';

const windowPeak = (logs: readonly string[]): number => {
  const logged = logs.map((m) => /netting window held at most (\d+) demand lines/.exec(m)).find((m) => m !== null);
  if (!logged) throw new Error(`no netting window figure in the log: ${logs.join(' | ')}`);
  return Number(logged[1]);
};

describe("Silver's main thread", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-main-bounds-'));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const build = async (name: string, linesPerBucket?: number) => {
    const logs: string[] = [];
    const result = await buildSilverTables(FileSystemLake.fromDirectory(path.join(dir, name)), {
      runId: 'run-1',
      orders: source(orders()),
      workers: 0,
      log: (m) => logs.push(m),
      ...(linesPerBucket !== undefined ? { linesPerBucket } : {}),
    });
    return { result, logs, window: windowPeak(logs) };
  };

  it('nets in a window of about one SKU bucket of the months a cancellation reaches, whatever the fleet', async () => {
    const whole = await build('one');
    const bucketed = await build('many', 100);
    expect(bucketed.logs).toContain('silver: month pass in 8 SKU buckets (largest month 745 lines)');
    // One bucket: the window holds the fleet's lines of the months in reach (more than the largest month).
    expect(whole.window).toBeGreaterThan(745);
    // Eight buckets of 25 SKUs: each window holds about 1/8 of that (hash buckets of 25 SKUs are uneven: a margin of 3x).
    expect(bucketed.window).toBeLessThan((3 * whole.window) / 8);
    expect(bucketed.window).toBeGreaterThan(0);
    expect(bucketed.result.orderLinesKept).toBe(whole.result.orderLinesKept);
    expect(bucketed.result.nettedLines).toBe(whole.result.nettedLines);
  });

  it('lets the worker pool go once the month pass is done, before the products commit', async () => {
    // Spies call through; their call order says which came first.
    const closed = jest.spyOn(SilverPool.prototype, 'close');
    const described = jest.spyOn(ProductCatalogue.prototype, 'descriptionRows');
    const { result } = await build('release');
    expect(result.skus).toBeGreaterThan(0);
    expect(described).toHaveBeenCalled();
    expect(closed.mock.invocationCallOrder[0]).toBeLessThan(described.mock.invocationCallOrder[0] as number);
  });

  it('closes a pool twice without error (the second close does nothing)', async () => {
    const pool = SilverPool.create({ workers: 1 });
    await pool.close();
    await expect(pool.close()).resolves.toBeUndefined();
  });
});
