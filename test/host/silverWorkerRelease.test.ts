/**
 * Silver's worker entry gives native memory back after each task (src/lib/silver/silverWorker.ts,
 * docs/sizing.md "Issue 16, stop 29 (s29trim)"): the release is replaced by a fake, and must run
 * once per task, after the task's work (the result is complete when it is called).
 */
import type { DeltaField } from '../../src/lib/delta/types';
import runSilverTask from '../../src/lib/silver/silverWorker';

// jest.mock is hoisted above the imports; the fake reads mockCalls only when called.
const mockCalls: string[] = [];
jest.mock('../../src/lib/memory/nativeMemory', () => ({
  releaseNativeMemory: () => {
    mockCalls.push('release');
    return true;
  },
}));

describe('Silver worker: native memory released between tasks', () => {
  it('releases once per task, after the task ran', () => {
    const fields: DeltaField[] = [
      { name: 'sku', type: 'string', nullable: false },
      { name: 'units', type: 'double', nullable: false },
    ];
    const encode = { kind: 'encode' as const, fields, columns: [['A', 'B'], Float64Array.of(1, 2)], numRecords: 2 };
    const first = runSilverTask(encode) as { bytes: Uint8Array };
    expect(mockCalls).toEqual(['release']);
    // A Parquet file: "PAR1" at both ends.
    expect(Buffer.from(first.bytes.subarray(0, 4)).toString()).toBe('PAR1');
    runSilverTask(encode);
    expect(mockCalls).toEqual(['release', 'release']);
  });
});
