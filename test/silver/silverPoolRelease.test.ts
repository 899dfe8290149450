/**
 * Silver's pool gives native memory back after each worker task, from the main thread
 * (src/lib/silver/silverPool.ts, docs/sizing.md "Issue 16, stop 29 (s29trim)"): the release is
 * replaced by a fake in this thread (the worker threads load their own modules and no longer call
 * it), and must run once per task, after the task's result came back, failed tasks included.
 */
import type { DeltaField } from '../../src/lib/delta/types';
import { SilverPool } from '../../src/lib/silver/silverPool';

// jest.mock is hoisted above the imports; the fake reads mockCalls only when called.
const mockCalls: string[] = [];
jest.mock('../../src/lib/memory/nativeMemory', () => ({
  releaseNativeMemory: () => {
    mockCalls.push('release');
    return true;
  },
}));

const fields: DeltaField[] = [
  { name: 'sku', type: 'string', nullable: false },
  { name: 'units', type: 'double', nullable: false },
];

describe('Silver pool: native memory released between worker tasks', () => {
  it('releases once per task on a real worker, after its result arrived', async () => {
    const pool = SilverPool.create({ workers: 1 });
    try {
      const first = await pool.encode(fields, [['A', 'B'], Float64Array.of(1, 2)], 2);
      expect(mockCalls).toEqual(['release']);
      // A Parquet file: "PAR1" at both ends.
      expect(Buffer.from(first.bytes.subarray(0, 4)).toString()).toBe('PAR1');
      await pool.encode(fields, [['C'], Float64Array.of(3)], 1);
      expect(mockCalls).toEqual(['release', 'release']);
      // A task that fails on the worker (a column shorter than its records) still releases.
      await expect(pool.encode(fields, [['D'], Float64Array.of()], 1)).rejects.toThrow();
      expect(mockCalls).toEqual(['release', 'release', 'release']);
    } finally {
      await pool.close();
    }
  });

  it('does not release for in-process tasks (the activity runner releases after the stage)', async () => {
    mockCalls.length = 0;
    const pool = SilverPool.create({ workers: 0 });
    await pool.encode(fields, [['A'], Float64Array.of(1)], 1);
    expect(mockCalls).toEqual([]);
    await pool.close();
  });
});
