import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSettings } from '../../src/lib/config/settings';
import { openLakeTable } from '../../src/lib/delta';
import type { DeltaRow } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { forecastBatch } from '../../src/activities/forecastBatch';
import { commitRunGold } from '../../src/activities/goldStaging';
import { planForecast } from '../../src/activities/planForecast';
import type { PipelineServices } from '../../src/lib/pipelineServices';
import { closeSharedForecastPool } from '../../src/activities/forecastPool';
import { planBatchRefs, readSkuBatch } from '../../src/contracts/skuBatches';
import { lakeTables } from '../../src/lib/lakeTables';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { adapterFactories } from '../../src/composition/services';
import { dailyDemandRow, fixtureDay as day } from '../support/dailyDemandFixture';

const run = { runId: 'run-fa', runDate: '2011-12-10', startedAt: '2011-12-10T02:00:00.000Z' };

/** daily_demand rows: a weekly-seasonal SKU, an intermittent SKU with a stockout spell, a SKU that ends early, a single-sale SKU. */
function dailyDemand(): DeltaRow[] {
  const rows: DeltaRow[] = [];
  const add = (sku: string, offset: number, units: number, onHand: number | null = null) =>
    rows.push(dailyDemandRow(sku, offset, units, onHand));
  for (let d = 0; d < 200; d++) add('WEEKLY', d, 10 + (d % 7 === 3 ? 20 : 0) + (d % 5));
  for (let d = 0; d < 200; d++) add('SPARSE', d, d % 9 === 0 ? 3 : 0, d >= 150 && d < 160 ? 0 : 50);
  for (let d = 0; d < 120; d++) add('ENDS', d, d % 2);
  add('DEAD', 0, 4); // a single sale on the first day: padded with zeros to the end
  return rows;
}

describe('planForecast and forecastBatch on a real Delta lake', () => {
  let dir: string;
  let services: PipelineServices;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'forecast-activities-'));
    const settings = loadSettings({ DEMAND_LAKE_DIR: path.join(dir, 'lake'), DEMAND_FORECAST_WORKERS: '1' });
    services = {
      settings,
      lake: FileSystemLake.fromDirectory(path.join(dir, 'lake')),
      entities: EmbeddedEntityStore.fromDirectory(path.join(dir, 'state')),
      log: () => undefined,
      adapters: adapterFactories,
    };
    const def = lakeTables.daily_demand;
    await openLakeTable(services.lake, def).write(dailyDemand(), { schema: def.schema, partitionBy: def.partitionBy, mode: 'append' });
  });

  afterAll(async () => {
    await closeSharedForecastPool();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('plans batches by reference, padding every SKU to the data’s last day and marking stockouts censored', async () => {
    const plan = await planForecast({ ...run, dailyDemandVersion: -1, batchSize: 3 }, services);
    expect(plan.dailyDemandVersion).toBe(0);
    expect(plan.skuCount).toBe(4);
    expect(planBatchRefs(run.runId, plan).map((b) => b.skus)).toEqual([3, 1]);
    const first = await readSkuBatch(services.lake, planBatchRefs(run.runId, plan)[0]!.path);
    expect(first.endDate).toBe(day(199));
    const ends = first.series.find((s) => s.sku === 'ENDS')!;
    expect(ends.values).toHaveLength(200); // 120 days of data + zeros up to the end
    expect(ends.values.slice(120).every((v) => v === 0)).toBe(true);
    const sparse = first.series.find((s) => s.sku === 'SPARSE')!;
    expect(sparse.censored.filter(Boolean)).toHaveLength(10);
    expect(sparse.onHand).toBe(50);
    const only = await planForecast({ ...run, runId: 'run-one', dailyDemandVersion: 0, batchSize: 10, skus: ['WEEKLY'] }, services);
    expect(only.skuCount).toBe(1);
  });

  it('writes the same batches whether rows spill to scratch once or every 7 rows', async () => {
    const a = await planForecast({ ...run, runId: 'run-spill-a', dailyDemandVersion: 0, batchSize: 3 }, services, { fromScratch: true });
    const b = await planForecast({ ...run, runId: 'run-spill-b', dailyDemandVersion: 0, batchSize: 3 }, services, {
      spillRows: 7,
      fromScratch: true,
    });
    expect(b).toEqual(a);
    for (const [ra, rb] of planBatchRefs('run-spill-a', a).map((ref, i) => [ref, planBatchRefs('run-spill-b', b)[i]!] as const)) {
      const [x, y] = [await readSkuBatch(services.lake, ra.path), await readSkuBatch(services.lake, rb.path)];
      expect({ ...y, runId: 'run-spill-a' }).toEqual(x);
    }
  });

  it('reads each daily_demand data file once (not a pass for the SKU spans and another for the rows)', async () => {
    const reads: string[] = [];
    const inner = services.lake;
    const lake = Object.assign(Object.create(inner) as typeof inner, {
      read: async (p: string, o?: { abortSignal?: AbortSignal }) => {
        reads.push(p);
        return inner.read(p, o);
      },
    });
    // From scratch: an earlier plan of the same version would serve this one without reading the table at all.
    const plan = await planForecast(
      { ...run, runId: 'run-reads', dailyDemandVersion: 0, batchSize: 3 },
      { ...services, lake },
      { fromScratch: true },
    );
    expect(plan.skuCount).toBe(4);
    const dataFiles = (await openLakeTable(inner, lakeTables.daily_demand).snapshot({ version: 0 })).files.map((f) => f.path);
    expect(dataFiles.length).toBeGreaterThan(1);
    const dataReads = reads.filter((p) => p.endsWith('.parquet'));
    expect(dataReads.sort()).toEqual(dataFiles.map((f) => `${lakeTables.daily_demand.path}/${f}`).sort());
  });

  it('forecasts a batch into Gold with finite quantiles, and a retried batch adds no rows', async () => {
    const plan = await planForecast({ ...run, dailyDemandVersion: 0, batchSize: 10 }, services);
    const input = { ...run, batch: planBatchRefs(run.runId, plan)[0]!, dailyDemandVersion: 0, horizonDays: 14, season: 7 };
    const out = await forecastBatch(input, services);
    expect(out.skus).toBe(4);
    expect(out.forecastRows).toBe(4 * 14);
    await commitRunGold(services, run.runId, plan.batchCount);
    const forecasts = await openLakeTable(services.lake, lakeTables.forecasts).readAll();
    expect(forecasts).toHaveLength(56);
    for (const r of forecasts) {
      for (const k of ['point', 'q05', 'q25', 'q50', 'q75', 'q95']) {
        expect(Number.isFinite(r[k] as number)).toBe(true);
        expect(r[k] as number).toBeGreaterThanOrEqual(0);
      }
      expect(r['q05'] as number).toBeLessThanOrEqual(r['q95'] as number);
    }
    const weekly = forecasts.filter((r) => r['sku'] === 'WEEKLY').sort((a, b) => (a['step'] as number) - (b['step'] as number));
    expect(weekly[0]!['target_date']).toBe(day(200));
    const metrics = await openLakeTable(services.lake, lakeTables.forecast_metrics).readAll();
    expect(metrics.map((m) => m['sku']).sort()).toEqual(['DEAD', 'ENDS', 'SPARSE', 'WEEKLY']);
    // Retry of the same batch (e.g. the activity crashed after writing): nothing is duplicated.
    await forecastBatch(input, services);
    await commitRunGold(services, run.runId, plan.batchCount);
    expect(await openLakeTable(services.lake, lakeTables.forecasts).readAll()).toHaveLength(56);
    expect(await openLakeTable(services.lake, lakeTables.model_params).readAll()).toHaveLength(4);
  });
});
