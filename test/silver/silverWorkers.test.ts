/**
 * How many Silver worker threads a large build starts: one per core, as long as half the memory
 * holds them at their heap limits (160 MB old generation since tasks are 50,000-line buckets: a
 * 2 GB instance with 2 cores runs 2, a 512 MB one 1).
 */
import * as os from 'node:os';
import { describe, expect, it } from '@jest/globals';
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

  it('have a capped heap, and the memory they are sized by is at most the machine RAM', () => {
    expect(silverWorkerLimits.maxOldGenerationSizeMb).toBeLessThanOrEqual(1024);
    const memory = availableMemoryBytes();
    expect(memory).toBeGreaterThan(0);
    expect(memory).toBeLessThanOrEqual(os.totalmem());
  });
});
