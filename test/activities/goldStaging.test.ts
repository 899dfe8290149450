import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSettings } from '../../src/lib/config/settings';
import { openLakeTable } from '../../src/lib/delta';
import type { DeltaRow } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import type { LakeStore } from '../../src/lib/lake/lakeStore';
import { forecastBatch } from '../../src/activities/forecastBatch';
import { commitRunGold, goldForecastTables, StagedBatchMissingError, stagedBatchPath } from '../../src/activities/goldStaging';
import { planForecast } from '../../src/activities/planForecast';
import type { PipelineServices } from '../../src/lib/pipelineServices';
import { closeSharedForecastPool } from '../../src/activities/forecastPool';
import { planBatchRefs } from '../../src/contracts/skuBatches';
import { lakeTables } from '../../src/lib/lakeTables';
import type { LakeTableDef } from '../../src/lib/delta/tableDef';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { adapterFactories } from '../../src/composition/services';
import { weeklyDailyDemand } from '../support/dailyDemandFixture';

const skus = ['A', 'B', 'C', 'D', 'E'];
const dailyDemand = (): DeltaRow[] => weeklyDailyDemand(skus);

/** The lake with every object it creates counted (put, and putIfAbsent that wrote). */
function countingLake(inner: LakeStore): LakeStore & { created: string[] } {
  const created: string[] = [];
  return Object.assign(Object.create(inner) as LakeStore, {
    created,
    put: async (p: string, data: Uint8Array, o?: { abortSignal?: AbortSignal }) => {
      created.push(p);
      return inner.put(p, data, o);
    },
    putIfAbsent: async (p: string, data: Uint8Array, o?: { abortSignal?: AbortSignal }) => {
      const wrote = await inner.putIfAbsent(p, data, o);
      if (wrote) created.push(p);
      return wrote;
    },
  });
}

/** Commits of one run to a Gold table (commitInfo.operationParameters.runId). */
async function commitsOfRun(services: PipelineServices, def: LakeTableDef, runId: string): Promise<number> {
  const history = await openLakeTable(services.lake, def).history();
  return history.filter((h) => (h['operationParameters'] as Record<string, string> | undefined)?.['runId'] === runId).length;
}

describe('Gold write path: batches stage, the run commits once', () => {
  let dir: string;
  let services: PipelineServices;
  let lake: ReturnType<typeof countingLake>;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gold-staging-'));
    lake = countingLake(FileSystemLake.fromDirectory(path.join(dir, 'lake')));
    services = {
      settings: loadSettings({ DEMAND_LAKE_DIR: path.join(dir, 'lake'), DEMAND_FORECAST_WORKERS: '1' }),
      lake,
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

  const ctx = (runId: string) => ({ runId, runDate: '2011-05-01', startedAt: '2011-05-01T02:00:00.000Z' });
  const batchInput = (runId: string, ref: ReturnType<typeof planBatchRefs>[number]) => ({
    ...ctx(runId),
    batch: ref,
    dailyDemandVersion: 0,
    horizonDays: 7,
    season: 7,
  });

  it('N batches in parallel commit nothing themselves; the run then makes exactly one commit per Gold table', async () => {
    const plan = await planForecast({ ...ctx('run-par'), dailyDemandVersion: -1, batchSize: 1 }, services);
    expect(plan.batchCount).toBe(5);
    const outputs = await Promise.all(planBatchRefs('run-par', plan).map((ref) => forecastBatch(batchInput('run-par', ref), services)));
    expect(outputs.reduce((a, o) => a + o.forecastRows, 0)).toBe(5 * 7);
    for (const def of goldForecastTables) expect(await openLakeTable(services.lake, def).version()).toBe(-1);

    const first = await commitRunGold(services, 'run-par', plan.batchCount);
    for (const def of goldForecastTables) expect(await commitsOfRun(services, def, 'run-par')).toBe(1);
    expect(first.tables.forecasts).toMatchObject({ skipped: false, filesAdded: 5, rowsWritten: 5 * 7 });
    // A retried finalize (or a re-run of the run id) finds the commit done.
    const again = await commitRunGold(services, 'run-par', plan.batchCount);
    expect(again.tables.forecasts?.skipped).toBe(true);
    for (const def of goldForecastTables) expect(await commitsOfRun(services, def, 'run-par')).toBe(1);
    const rows = await openLakeTable(services.lake, lakeTables.forecasts).readAll({ partitionFilter: (p) => p['run_id'] === 'run-par' });
    expect(rows).toHaveLength(5 * 7);
    expect(new Set(rows.map((r) => `${String(r['sku'])}:${String(r['step'])}`)).size).toBe(5 * 7);
  });

  it('a retried batch writes nothing (no second data file, no results file) and returns what the first attempt did', async () => {
    const plan = await planForecast({ ...ctx('run-retry'), dailyDemandVersion: -1, batchSize: 5 }, services);
    const input = batchInput('run-retry', planBatchRefs('run-retry', plan)[0]!);
    lake.created.length = 0;
    const first = await forecastBatch(input, services);
    const firstWrites = [...lake.created];
    expect(firstWrites.filter((p) => p.includes('/results/'))).toEqual([]); // the staged files are the reuse record
    expect(firstWrites.filter((p) => p.endsWith('.parquet'))).toHaveLength(3); // one file per Gold table
    lake.created.length = 0;
    expect(await forecastBatch(input, services)).toEqual(first);
    expect(lake.created).toEqual([]);

    // Killed after staging, before its record: the retry's files have the same names, so none is added.
    await services.lake.delete(stagedBatchPath('run-retry', input.batch.batchId));
    lake.created.length = 0;
    expect(await forecastBatch(input, services)).toEqual(first);
    expect(lake.created.filter((p) => p.endsWith('.parquet'))).toEqual([]);
    await commitRunGold(services, 'run-retry', plan.batchCount);
    expect(
      await openLakeTable(services.lake, lakeTables.model_params).readAll({ partitionFilter: (p) => p['run_id'] === 'run-retry' }),
    ).toHaveLength(5);
  });

  it('files of an attempt no record names stay out of the table and are deleted by the commit; a missing batch record fails the commit', async () => {
    const plan = await planForecast({ ...ctx('run-orphan'), dailyDemandVersion: -1, batchSize: 3 }, services);
    const refs = planBatchRefs('run-orphan', plan);
    for (const ref of refs) await forecastBatch(batchInput('run-orphan', ref), services);
    // An attempt killed after staging other bytes (e.g. a model timed out differently) left a file behind.
    const folder = `${lakeTables.forecasts.path}/run_id=run-orphan`;
    const named = (await fs.readdir(path.join(dir, 'lake', folder))).find((f) => f.endsWith('.parquet'))!;
    const orphan = `${folder}/part-00000-${refs[0]!.batchId}-00000000000000000000000000000000.c000.snappy.parquet`;
    await services.lake.put(orphan, await services.lake.read(`${folder}/${named}`));

    await services.lake.delete(stagedBatchPath('run-orphan', refs[1]!.batchId));
    await expect(commitRunGold(services, 'run-orphan', plan.batchCount)).rejects.toBeInstanceOf(StagedBatchMissingError);
    expect(await commitsOfRun(services, lakeTables.forecasts, 'run-orphan')).toBe(0);

    await forecastBatch(batchInput('run-orphan', refs[1]!), services); // the retried batch
    const done = await commitRunGold(services, 'run-orphan', plan.batchCount);
    expect(done.orphansDeleted).toBe(1);
    expect(await services.lake.exists(orphan)).toBe(false);
    const rows = await openLakeTable(services.lake, lakeTables.forecasts).readAll({ partitionFilter: (p) => p['run_id'] === 'run-orphan' });
    expect(rows).toHaveLength(5 * 7);
  });
});
