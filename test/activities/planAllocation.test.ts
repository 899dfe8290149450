/**
 * planForecast's churn per daily_demand row is bounded: the bytes the main thread allocates while it
 * plans a fleet (garbage included, V8's sampling heap profiler) stay under `bytesPerRowBound` per
 * row read. With a per-row async call and await in its row loops (before stop 29) it was 1,666 B per
 * row here (406 B after): at 32,000 SKUs 2 GB of short-lived promises and async frames in one plan.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSettings } from '../../src/lib/config/settings';
import { openLakeTable } from '../../src/lib/delta';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { planForecast } from '../../src/activities/planForecast';
import type { PipelineServices } from '../../src/lib/pipelineServices';
import { lakeTables } from '../../src/lib/lakeTables';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { adapterFactories } from '../../src/composition/services';
import { dailyDemandRow } from '../support/dailyDemandFixture';
import { allocatedBytesDuring } from '../support/allocatedBytes';

const bytesPerRowBound = 700;

describe('planForecast allocation per daily_demand row', () => {
  let dir: string;
  afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

  it(`stays under ${bytesPerRowBound} B per row read (garbage included)`, async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'plan-allocation-'));
    const services: PipelineServices = {
      settings: loadSettings({ DEMAND_LAKE_DIR: path.join(dir, 'lake'), DEMAND_SCRATCH_DIR: dir, DEMAND_FULL_SELECTION_EVERY_DAYS: '0' }),
      lake: FileSystemLake.fromDirectory(path.join(dir, 'lake')),
      entities: EmbeddedEntityStore.fromDirectory(path.join(dir, 'state')),
      log: () => undefined,
      adapters: adapterFactories,
    };
    const skus = 300;
    const days = 200;
    const rows = [];
    for (let k = 0; k < skus; k++)
      for (let d = 0; d < days; d++) rows.push(dailyDemandRow(`SKU-${k}`, d, (k + d) % 5, d % 9 === 0 ? 10 + (k % 7) : null));
    const def = lakeTables.daily_demand;
    await openLakeTable(services.lake, def).write(rows, { schema: def.schema, partitionBy: def.partitionBy, mode: 'append' });
    rows.length = 0;
    const plan = (runId: string) =>
      planForecast(
        { runId, runDate: '2011-08-01', startedAt: '2011-08-01T02:00:00.000Z', dailyDemandVersion: -1, batchSize: 100 },
        services,
        { fromScratch: true },
      );
    await plan('warm-up'); // compiles the read path; not measured
    const { result, bytes } = await allocatedBytesDuring(() => plan('measured'));
    expect(result.skuCount).toBe(skus);
    const perRow = bytes / (skus * days);
    console.log(`planForecast allocated ${(bytes / 1048576).toFixed(1)} MB for ${skus * days} rows: ${perRow.toFixed(0)} B per row`);
    expect(perRow).toBeLessThan(bytesPerRowBound);
  }, 60_000);
});
