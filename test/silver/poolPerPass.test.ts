/**
 * Silver starts worker threads per pass and closes them as the pass ends (src/lib/silver/silverBuild.ts
 * `onFreshPool`; docs/sizing.md, issue 16 stop 32): the scan's pool is closed before the month
 * pass's is started, none is open beside the products commit, a pass with nothing for threads starts
 * none, and an aborted month pass still closes its pool.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { ProductCatalogue } from '../../src/lib/silver/products';
import { buildSilverTables } from '../../src/lib/silver/silverBuild';
import { SilverPool } from '../../src/lib/silver/silverPool';
import { writeOrderParts } from './bronzeParts';
import { orders } from './fixtures';
import { source } from './silverTablesCompare';

const writePart = async (lake: FileSystemLake, records: Array<Record<string, unknown>>): Promise<string> =>
  (await writeOrderParts(lake, records))[0] as string;

interface PoolRecord {
  workers: number;
  /** Jest's call order (shared by every mock) of the pool's creation and of its first close. */
  createdAt: number;
  closedAt?: number;
}

/** Every pool the build starts, in order: its worker count and when it was created and closed. */
function recordPools(): PoolRecord[] {
  const pools: PoolRecord[] = [];
  const create = SilverPool.create.bind(SilverPool);
  const created = jest.spyOn(SilverPool, 'create').mockImplementation((options) => {
    const pool = create(options);
    const record: PoolRecord = { workers: pool.workers, createdAt: created.mock.invocationCallOrder.at(-1) ?? 0 };
    pools.push(record);
    const closed = jest.spyOn(pool, 'close');
    closed.mockImplementation(async function (this: SilverPool) {
      record.closedAt ??= closed.mock.invocationCallOrder.at(-1);
      closed.mockRestore();
      await pool.close();
    });
    return pool;
  });
  return pools;
}

describe('Silver worker pools, one per pass', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-pool-per-pass-'));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('starts a pool for the scan and another for the month pass, each closed before the next step', async () => {
    const lake = FileSystemLake.fromDirectory(path.join(dir, 'lake'));
    const part = await writePart(lake, orders());
    const pools = recordPools();
    // Spies call through; the call order says which came first.
    const described = jest.spyOn(ProductCatalogue.prototype, 'descriptionRows');
    const result = await buildSilverTables(lake, { runId: 'run-1', orderParts: [part], workers: 1 });
    expect(result.orderLinesKept).toBeGreaterThan(0);
    expect(pools.map((p) => p.workers)).toEqual([1, 1]);
    const [scan, month] = pools as [(typeof pools)[0], (typeof pools)[0]];
    // Scan pool closed before the month pass's pool started; both closed before the products commit.
    expect(scan.closedAt).toBeLessThan(month.createdAt);
    expect(month.closedAt).toBeGreaterThan(month.createdAt);
    expect(month.closedAt).toBeLessThan(described.mock.invocationCallOrder[0] as number);
  });

  it('starts no threads for a scan of in-process records', async () => {
    const pools = recordPools();
    await buildSilverTables(FileSystemLake.fromDirectory(path.join(dir, 'inproc')), {
      runId: 'run-1',
      orders: source(orders()),
      workers: 1,
    });
    // The scan of the `orders` iterable runs on this thread; the month pass still uses the threads asked for.
    expect(pools.map((p) => p.workers)).toEqual([0, 1]);
    expect(pools.every((p) => p.closedAt !== undefined)).toBe(true);
  });

  it('closes the month pass’s pool when the build is aborted in that pass', async () => {
    const lake = FileSystemLake.fromDirectory(path.join(dir, 'abort'));
    const part = await writePart(lake, orders());
    const pools = recordPools();
    const controller = new AbortController();
    const build = buildSilverTables(lake, {
      runId: 'run-1',
      orderParts: [part],
      workers: 1,
      abortSignal: controller.signal,
      progress: (stage) => {
        if (stage === 'silver:months') controller.abort(new Error('stopped in the month pass'));
      },
    });
    await expect(build).rejects.toThrow('stopped in the month pass');
    expect(pools).toHaveLength(2);
    expect(pools.every((p) => p.closedAt !== undefined)).toBe(true);
  });
});
