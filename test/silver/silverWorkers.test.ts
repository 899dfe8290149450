/**
 * How many Silver worker threads a large build starts: one per core, as long as half the memory
 * holds them at their heap limits (160 MB old generation since tasks are 50,000-line buckets: a
 * 2 GB instance with 2 cores runs 2, a 512 MB one 1).
 */
import * as os from 'node:os';
import { describe, expect, it } from '@jest/globals';
import { loadSettings } from '../../src/lib/config/settings';
import { silverWorkerCount } from '../../src/lib/silver/silverBuild';
import { autoWorkerCount, availableMemoryBytes, silverWorkerLimits } from '../../src/lib/silver/silverPool';

const gb = 2 ** 30;

describe('Silver worker threads', () => {
  it('are one per core while half the memory holds them at their heap limits, and at least one', () => {
    expect(autoWorkerCount(2, 24 * gb)).toBe(2);
    expect(autoWorkerCount(2, 4 * gb)).toBe(2);
    expect(autoWorkerCount(2, 2 * gb)).toBe(2);
    expect(autoWorkerCount(2, 0.5 * gb)).toBe(1);
    expect(autoWorkerCount(16, 4 * gb)).toBe(8);
    expect(autoWorkerCount(16, 1 * gb)).toBe(2);
    expect(autoWorkerCount(4, 0.5 * gb)).toBe(1);
  });

  it('are at most the cap the deployment sets from the instance cores (DEMAND_SILVER_MAX_WORKERS)', () => {
    expect(autoWorkerCount(2, 24 * gb, 1)).toBe(1);
    expect(autoWorkerCount(16, 24 * gb, 2)).toBe(2);
    expect(autoWorkerCount(2, 24 * gb, 4)).toBe(2);
    expect(autoWorkerCount(16, 1 * gb, 4)).toBe(2);
  });

  it('auto keeps a small build in-process whatever the cap; a large one starts min(cores, cap) workers; a number is taken as given', () => {
    const cores = os.availableParallelism();
    expect(silverWorkerCount({ expectedLines: 199_999, maxWorkers: 1 })).toBe(0);
    expect(silverWorkerCount({ expectedLines: 199_999 })).toBe(0);
    expect(silverWorkerCount({ expectedLines: 200_000, maxWorkers: 1 })).toBe(1);
    expect(silverWorkerCount({ expectedLines: 5_000_000, maxWorkers: 64 })).toBe(autoWorkerCount(cores, availableMemoryBytes()));
    expect(silverWorkerCount({ expectedLines: 10, workers: 3, maxWorkers: 1 })).toBe(3);
    expect(silverWorkerCount({ expectedLines: 5_000_000, workers: 0, maxWorkers: 1 })).toBe(0);
  });

  it('reads the cap from DEMAND_SILVER_MAX_WORKERS: unset (or empty) is no cap, 0 is refused', () => {
    expect(loadSettings({}).DEMAND_SILVER_MAX_WORKERS).toBeUndefined();
    expect(loadSettings({ DEMAND_SILVER_MAX_WORKERS: '' }).DEMAND_SILVER_MAX_WORKERS).toBeUndefined();
    expect(loadSettings({ DEMAND_SILVER_MAX_WORKERS: '1' }).DEMAND_SILVER_MAX_WORKERS).toBe(1);
    expect(() => loadSettings({ DEMAND_SILVER_MAX_WORKERS: '0' })).toThrow(/DEMAND_SILVER_MAX_WORKERS/);
  });

  it('have a capped heap, and the memory they are sized by is at most the machine RAM', () => {
    expect(silverWorkerLimits.maxOldGenerationSizeMb).toBeLessThanOrEqual(1024);
    const memory = availableMemoryBytes();
    expect(memory).toBeGreaterThan(0);
    expect(memory).toBeLessThanOrEqual(os.totalmem());
  });
});
