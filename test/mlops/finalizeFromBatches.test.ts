import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSettings } from '../../src/lib/config/settings';
import { openLakeTable } from '../../src/lib/delta';
import type { DeltaRow } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { finalizeForecast } from '../../src/activities/finalizeForecast';
import { forecastBatch } from '../../src/activities/forecastBatch';
import { ForecastPool } from '../../src/lib/forecast/pool';
import type { SkuForecast } from '../../src/lib/forecast';
import { planForecast } from '../../src/activities/planForecast';
import type { FinalizeForecastInput, ForecastBatchOutput } from '../../src/contracts/messages';
import type { PipelineServices } from '../../src/lib/pipelineServices';
import { closeSharedForecastPool, sharedForecastPool } from '../../src/activities/forecastPool';
import { batchBreakdownPath, batchIdOf, planBatchRefs } from '../../src/contracts/skuBatches';
import { lakeTables } from '../../src/lib/lakeTables';
import { backtestRowOf } from '../../src/lib/registry/backtestSums';
import { runMetricsFromBacktest } from '../../src/lib/registry/runMetrics';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { adapterFactories } from '../../src/composition/services';
import { createTracker } from '../../src/composition/tracker';
import { dailyDemandRow } from '../support/dailyDemandFixture';

const run = { runId: 'run-ffb', runDate: '2011-07-20', startedAt: '2011-07-20T02:00:00.000Z' };

/** Five SKUs over 200 days: weekly, trending, sparse, one that stopped selling, one single sale. */
function dailyDemand(): DeltaRow[] {
  const rows: DeltaRow[] = [];
  const add = (sku: string, offset: number, units: number) => rows.push(dailyDemandRow(sku, offset, units));
  for (let d = 0; d < 200; d++) add('WEEKLY', d, 10 + (d % 7 === 3 ? 20 : 0) + (d % 5));
  for (let d = 0; d < 200; d++) add('TREND', d, Math.round(5 + d / 20 + (d % 3)));
  for (let d = 0; d < 200; d++) add('SPARSE', d, d % 9 === 0 ? 3 : 0);
  for (let d = 0; d < 150; d++) add('STOPPED', d, d % 2);
  add('ONCE', 0, 4);
  return rows;
}

describe('finalizeForecast from the batches’ backtest sums (no per-SKU rows read)', () => {
  let dir: string;
  let services: PipelineServices & { logs: string[] };
  let outputs: ForecastBatchOutput[];
  let batchCount: number;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'finalize-batches-'));
    const logs: string[] = [];
    services = {
      settings: loadSettings({ DEMAND_LAKE_DIR: path.join(dir, 'lake'), DEMAND_FORECAST_WORKERS: '1', DEMAND_FORECAST_HORIZON_DAYS: '14' }),
      lake: FileSystemLake.fromDirectory(path.join(dir, 'lake')),
      entities: EmbeddedEntityStore.fromDirectory(path.join(dir, 'state')),
      log: (m: string) => logs.push(m),
      logs,
      adapters: adapterFactories,
    };
    const def = lakeTables.daily_demand;
    await openLakeTable(services.lake, def).write(dailyDemand(), { schema: def.schema, partitionBy: def.partitionBy, mode: 'append' });
    const plan = await planForecast({ ...run, dailyDemandVersion: -1, batchSize: 2 }, services);
    batchCount = plan.batchCount;
    outputs = [];
    // What the engine returned for every batch, as the pool handed it to forecastBatch.
    const spy = jest.spyOn(ForecastPool.prototype, 'forecast');
    try {
      for (const batch of planBatchRefs(run.runId, plan)) {
        outputs.push(await forecastBatch({ ...run, batch, dailyDemandVersion: 0, horizonDays: 14, season: 7 }, services));
      }
      for (const r of spy.mock.results) engineResults.push(...(await (r.value as Promise<SkuForecast[]>)));
    } finally {
      spy.mockRestore();
    }
  });

  afterAll(async () => {
    await closeSharedForecastPool();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const engineResults: SkuForecast[] = [];
  const storedResults = async (): Promise<SkuForecast[]> => engineResults;

  const input = (over: Partial<FinalizeForecastInput> = {}): FinalizeForecastInput => ({
    ...run,
    trigger: 'manual',
    tableVersions: { daily_demand: 0 },
    batches: outputs,
    batchCount,
    ...over,
  });

  it('tracks the figures the Gold rows give, plus coverage50 and the fleet bias, with the fleet bias in the output', async () => {
    expect(batchCount).toBe(3);
    const out = await finalizeForecast(input(), services);
    const gold = (
      await openLakeTable(services.lake, lakeTables.forecast_metrics).readAll({ partitionFilter: (p) => p['run_id'] === run.runId })
    ).map(backtestRowOf);
    expect(gold).toHaveLength(5);
    const fromRows = runMetricsFromBacktest(gold);
    for (const [key, value] of Object.entries(fromRows)) expect([key, out.metrics[key]]).toEqual([key, expect.closeTo(value, 12)]);
    expect(out.metrics['skus']).toBe(5);
    expect(out.metrics['coverage50']).toBeGreaterThanOrEqual(0);
    expect(out.metrics['coverage50']).toBeLessThanOrEqual(out.metrics['coverage90']!);
    // Σ forecast − Σ actual over the windows = Σ bias × |actual| (+ |error| of SKUs without actuals)
    const signed = gold.reduce((a, r) => a + (r.bias !== null ? r.bias * r.absActual : r.absActual === 0 ? r.absError : 0), 0);
    const actual = gold.reduce((a, r) => a + r.absActual, 0);
    expect(out.metrics['point_fleet_bias']).toBeCloseTo(signed / actual, 12);
    // The tracked fleet bias is on the expected units: Σ (mean − actual) over the windows, from the engine's results.
    const meanSigned = (await storedResults()).reduce((a, f) => a + (f.metrics.meanSignedError as number), 0);
    expect(out.metrics['fleet_bias']).toBeCloseTo(meanSigned / actual, 12);
    expect(out.fleetBias).toBe(out.metrics['fleet_bias']);
    const tracked = (await createTracker(services).getRun(out.trackingRunId))!;
    expect(tracked.params['metrics.source']).toBe('batch_summaries');
    expect(tracked.params['backtest.window_key']).toMatch(/;windows=\d+;horizon=14$/);
    expect(Number(/windows=(\d+)/.exec(tracked.params['backtest.window_key']!)![1])).toBe(Math.max(...gold.map((r) => r.windows)));
  });

  it('falls back to the Gold rows when a batch summary has no sums (written before batches summed their backtest)', async () => {
    const p = batchBreakdownPath(run.runId, batchIdOf(1));
    const old = JSON.parse((await services.lake.read(p)).toString('utf8')) as Record<string, unknown>;
    await services.lake.put(p, Buffer.from(JSON.stringify({ models: old['models'], fallbacks: old['fallbacks'] })));
    const out = await finalizeForecast(input({ runId: run.runId, trigger: 'drift' }), services);
    const tracked = (await createTracker(services).getRun(out.trackingRunId))!;
    expect(tracked.params['metrics.source']).toBe('gold.forecast_metrics');
    expect(out.metrics['coverage50']).toBeUndefined(); // not a Gold column
    expect(out.metrics['skus']).toBe(5);
    // Gold rows carry no expected units: the points' fleet bias only, never in the fleet bias's place.
    expect(out.metrics['point_fleet_bias']).toBeDefined();
    expect(out.metrics['fleet_bias']).toBeUndefined();
  });

  it('ends the fan-out’s idle forecast workers when it starts, not after their idle timeout', async () => {
    const pool = sharedForecastPool(services.settings);
    // A worker that has just finished a forecast (its idle timeout, 2 s, has not run out).
    await pool.forecast([{ sku: 'X', startDate: '2011-01-01', values: Array.from({ length: 60 }, (_, d) => d % 7) }], {
      horizon: 7,
      season: 7,
    });
    expect(pool.threads.length).toBeGreaterThan(0);
    // The call itself, so the test does not pass on a slow machine where the idle timeout ran out anyway.
    const release = jest.spyOn(pool, 'releaseIdleWorkers');
    await finalizeForecast(input(), services);
    expect(release).toHaveBeenCalledTimes(1);
    expect(pool.threads).toHaveLength(0);
    release.mockRestore();
  });
});
