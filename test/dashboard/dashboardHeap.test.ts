/**
 * The split dashboard's held per-SKU state is bounded: the live heap (after a full GC) once every
 * SKU is built grows by less than `bytesPerSkuBound` per SKU from a fleet of 500 SKUs to 3,000.
 * Holding each SKU's current metrics and action rows, its product and its catalogue entry as
 * objects (the earlier build) cost ~1.5 KB per SKU here.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { writeDashboard } from '../../src/lib/dashboard';
import type { FixtureLake } from '../publish/lakeFixture';
import { fleetLake } from './dashboardFixtures';

/** What the streamed build may keep per SKU shown (its name, slot and rank, numeric sort keys and offsets). */
const bytesPerSkuBound = 600;

v8.setFlagsFromString('--expose-gc');
// Beside the full suite the worker holds other files' compiled code; V8 flushes old bytecode during
// the GCs this test forces, which once made the heap at a fleet's start MBs larger than at its end.
v8.setFlagsFromString('--no-flush-bytecode');
const gc = vm.runInNewContext('gc') as () => void;
const liveHeap = (gcs = 1) => {
  for (let i = 0; i < gcs; i++) gc();
  return process.memoryUsage().heapUsed;
};

/**
 * The live heap's growth over its level at the start, sampled when the first series chunk is
 * written: every table has been read and every SKU built by then, so what the build holds per SKU
 * is all there (a full GC costs ~1 s in Jest's heap, so it is sampled there only).
 */
async function heapGrowth(fixture: FixtureLake): Promise<number> {
  let atFirstChunk: number | undefined;
  const original = fs.writeFile;
  // A plain wrapper, not jest.spyOn: a spy keeps every call's arguments (the written text) alive.
  fs.writeFile = ((...args: Parameters<typeof fs.writeFile>) => {
    if (atFirstChunk === undefined && typeof args[0] === 'string' && args[0].endsWith('chunk-00000.js')) atFirstChunk = liveHeap();
    return original.apply(fs, args);
  }) as typeof fs.writeFile;
  try {
    const start = liveHeap(3);
    const written = await writeDashboard(fixture.services, { outputPath: path.join(fixture.dir, 'dashboard.html'), split: 'always' });
    expect(written.partsDir).toBeDefined();
    expect(atFirstChunk).toBeDefined();
    return atFirstChunk! - start;
  } finally {
    fs.writeFile = original;
  }
}

describe('the streamed dashboard’s memory', () => {
  let fixture: FixtureLake | undefined;
  afterEach(async () => fixture?.cleanup());

  it(`keeps less than ${bytesPerSkuBound} B of live heap per SKU shown`, async () => {
    const growth: number[] = [];
    // The first build also loads modules and fills process-wide caches: a warm-up, not measured.
    for (const skus of [200, 500, 3000]) {
      fixture = await fleetLake(skus);
      growth.push(await heapGrowth(fixture));
      await fixture.cleanup();
      fixture = undefined;
    }
    const perSku = (growth[2]! - growth[1]!) / 2500;
    console.log(
      `dashboard live heap growth: ${growth
        .slice(1)
        .map((g) => `${Math.round(g / 1024)} KB`)
        .join(' → ')}, ${Math.round(perSku)} B per SKU`,
    );
    expect(perSku).toBeLessThan(bytesPerSkuBound);
    // Three fleets built and written with a forced GC per chunk: ~20 s alone, over a minute beside the full suite on 2 cores.
  }, 240_000);
});
