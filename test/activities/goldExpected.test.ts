/**
 * Gold `forecasts` carries the engine's expected units (`expected`, SkuForecast.mean) beside the
 * point, and a lake whose Gold forecasts table was written before the column existed gains it on
 * the next batch (Delta schema evolution): its old rows read `expected` as null.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSettings } from '../../src/lib/config/settings';
import { openLakeTable } from '../../src/lib/delta';
import type { DeltaAction } from '../../src/lib/delta/log';
import type { DeltaRow } from '../../src/lib/delta/types';
import type { SkuForecast } from '../../src/lib/forecast';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { forecastBatch } from '../../src/activities/forecastBatch';
import { commitRunGold } from '../../src/activities/goldStaging';
import { ForecastPool } from '../../src/lib/forecast/pool';
import { planForecast } from '../../src/activities/planForecast';
import type { PipelineServices } from '../../src/lib/pipelineServices';
import { closeSharedForecastPool } from '../../src/activities/forecastPool';
import { planBatchRefs } from '../../src/contracts/skuBatches';
import { lakeTables } from '../../src/lib/lakeTables';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { adapterFactories } from '../../src/composition/services';
import { dailyDemandRow } from '../support/dailyDemandFixture';

const run = { runId: 'run-ge', runDate: '2011-12-10', startedAt: '2011-12-10T02:00:00.000Z' };

/** Skewed demand where a median-type point sits below the mean: lumpy and intermittent SKUs, and a smooth one. */
function dailyDemand(): DeltaRow[] {
  const rows: DeltaRow[] = [];
  const add = (sku: string, offset: number, units: number) => rows.push(dailyDemandRow(sku, offset, units));
  for (let d = 0; d < 240; d++) add('SMOOTH', d, 10 + (d % 7 === 3 ? 20 : 0) + (d % 5));
  for (let d = 0; d < 240; d++) add('SPARSE', d, d % 9 === 0 ? 3 : 0);
  for (let d = 0; d < 240; d++) add('LUMPY', d, d % 4 === 0 ? (d % 3) * 17 + 1 : d % 7 === 1 ? 1 : 0);
  return rows;
}

/** The Gold forecasts schema as it was before `expected` (what an existing lake holds). */
const oldForecastsSchema = { fields: lakeTables.forecasts.schema.fields.filter((f) => f.name !== 'expected') };

async function servicesIn(dir: string): Promise<PipelineServices> {
  const settings = loadSettings({ DEMAND_LAKE_DIR: path.join(dir, 'lake'), DEMAND_FORECAST_WORKERS: '1' });
  const services: PipelineServices = {
    settings,
    lake: FileSystemLake.fromDirectory(path.join(dir, 'lake')),
    entities: EmbeddedEntityStore.fromDirectory(path.join(dir, 'state')),
    log: () => undefined,
    adapters: adapterFactories,
  };
  const def = lakeTables.daily_demand;
  await openLakeTable(services.lake, def).write(dailyDemand(), { schema: def.schema, partitionBy: def.partitionBy, mode: 'append' });
  return services;
}

async function runBatch(services: PipelineServices): Promise<SkuForecast[]> {
  const plan = await planForecast({ ...run, dailyDemandVersion: 0, batchSize: 10 }, services);
  const batch = planBatchRefs(run.runId, plan)[0]!;
  // What the engine returned, as the pool handed it to forecastBatch.
  const spy = jest.spyOn(ForecastPool.prototype, 'forecast');
  try {
    await forecastBatch({ ...run, batch, dailyDemandVersion: 0, horizonDays: 28, season: 7 }, services);
    await commitRunGold(services, run.runId, plan.batchCount); // the run's one Gold commit (finalizeForecast's first step)
    return await (spy.mock.results[0]!.value as Promise<SkuForecast[]>);
  } finally {
    spy.mockRestore();
  }
}

const sum = (values: number[]): number => values.reduce((a, v) => a + v, 0);

describe('Gold forecasts: expected units', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gold-expected-'));
  });
  afterEach(async () => fs.rm(dir, { recursive: true, force: true }));
  afterAll(async () => closeSharedForecastPool());

  it("writes `expected` from the engine's mean beside point and quantiles: Σ expected is Σ mean, per SKU and over the fleet", async () => {
    const services = await servicesIn(dir);
    const results = await runBatch(services);
    const rows = await openLakeTable(services.lake, lakeTables.forecasts).readAll();
    expect(rows).toHaveLength(3 * 28);
    for (const r of rows) {
      expect(Number.isFinite(r['expected'] as number)).toBe(true);
      expect(r['expected'] as number).toBeGreaterThanOrEqual(0);
    }
    for (const f of results) {
      const skuRows = rows.filter((r) => r['sku'] === f.sku).sort((a, b) => (a['step'] as number) - (b['step'] as number));
      expect(skuRows.map((r) => r['expected'])).toEqual(f.mean.map((v) => Math.max(0, v)));
    }
    const sumExpected = sum(rows.map((r) => r['expected'] as number));
    const sumMean = sum(results.flatMap((f) => f.mean));
    expect(Math.abs(sumExpected - sumMean)).toBeLessThan(1e-6 * Math.max(1, sumMean));
    // The point is median-type for skewed demand: on this fleet the expected units are not the points.
    const sumPoint = sum(rows.map((r) => r['point'] as number));
    expect(sumExpected).toBeGreaterThan(sumPoint * 1.05);
  });

  it('evolves an existing Gold forecasts table written without the column: old rows read null, the new commit adds it', async () => {
    const services = await servicesIn(dir);
    const table = openLakeTable(services.lake, lakeTables.forecasts);
    const oldRow: DeltaRow = {
      run_id: 'run-old',
      sku: 'SMOOTH',
      origin_date: '2011-06-01',
      target_date: '2011-06-02',
      step: 1,
      point: 12,
      q05: 8,
      q25: 10,
      q50: 12,
      q75: 14,
      q95: 18,
      model: 'ets',
    };
    await table.write([oldRow], { schema: oldForecastsSchema, partitionBy: ['run_id'], mode: 'append' });
    await runBatch(services);

    const rows = await table.readAll();
    expect(rows.filter((r) => r['run_id'] === 'run-old')).toEqual([{ ...oldRow, expected: null }]);
    const fresh = rows.filter((r) => r['run_id'] === run.runId);
    expect(fresh).toHaveLength(3 * 28);
    expect(fresh.every((r) => typeof r['expected'] === 'number')).toBe(true);
    // The evolving commit: one metaData, the table's id and partitioning kept, `expected` a nullable double.
    const snapshot = await table.snapshot();
    expect(snapshot.schema.fields.find((f) => f.name === 'expected')).toEqual({ name: 'expected', type: 'double', nullable: true });
    expect(snapshot.partitionColumns).toEqual(['run_id']);
    const logDir = path.join(dir, 'lake', lakeTables.forecasts.path, '_delta_log');
    const commit = async (version: number): Promise<DeltaAction[]> =>
      (await fs.readFile(path.join(logDir, `${String(version).padStart(20, '0')}.json`), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as DeltaAction);
    const created = (await commit(0)).find((a) => a.metaData)?.metaData;
    const evolving = await commit(1);
    const evolved = evolving.find((a) => a.metaData)?.metaData;
    expect(evolved).toBeDefined();
    expect({ ...evolved, schemaString: '' }).toEqual({ ...created, schemaString: '' });
    expect(evolving.some((a) => a.protocol)).toBe(false);
    // Readers that project the old columns are untouched.
    expect(await table.readAll({ columns: ['sku', 'point'], partitionFilter: (p) => p['run_id'] === 'run-old' })).toEqual([
      { sku: 'SMOOTH', point: 12 },
    ]);
  });
});
