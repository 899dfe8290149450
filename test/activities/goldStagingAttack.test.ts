import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSettings } from '../../src/lib/config/settings';
import { openLakeTable } from '../../src/lib/delta';
import type { DeltaRow } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import type { LakeStore } from '../../src/lib/lake/lakeStore';
import { forecastBatch } from '../../src/activities/forecastBatch';
import {
  commitRunGold,
  goldForecastTables,
  RunGoldCommittedError,
  stagedBatchPath,
  StagedBatchUnreadableError,
} from '../../src/activities/goldStaging';
import { planForecast } from '../../src/activities/planForecast';
import type { PipelineServices } from '../../src/lib/pipelineServices';
import { closeSharedForecastPool } from '../../src/activities/forecastPool';
import { planBatchRefs, skuBatchPath } from '../../src/contracts/skuBatches';
import { lakeTables } from '../../src/lib/lakeTables';
import type { LakeTableDef } from '../../src/lib/delta/tableDef';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { adapterFactories } from '../../src/composition/services';
import { fixtureDay, weeklyDailyDemand } from '../support/dailyDemandFixture';

const skus = ['A', 'B', 'C', 'D', 'E'];
const dailyDemand = (): DeltaRow[] => weeklyDailyDemand(skus);

/** Commits of one run to a Gold table (commitInfo.operationParameters.runId). */
async function commitsOfRun(services: PipelineServices, def: LakeTableDef, runId: string): Promise<number> {
  const history = await openLakeTable(services.lake, def).history();
  return history.filter((h) => (h['operationParameters'] as Record<string, string> | undefined)?.['runId'] === runId).length;
}

/** The lake with writes to one table's log refused while `failing` is set (a finalize killed between two tables' commits). */
function logFailingLake(inner: LakeStore, tablePath: string): LakeStore & { failing: boolean } {
  const lake = Object.assign(Object.create(inner) as LakeStore, {
    failing: false,
  });
  const refuse = (p: string) => {
    if (lake.failing && p.startsWith(`${tablePath}/_delta_log/`)) throw new Error(`injected crash writing ${p}`);
  };
  return Object.assign(lake, {
    put: async (p: string, data: Uint8Array, o?: { abortSignal?: AbortSignal }) => (refuse(p), inner.put(p, data, o)),
    putIfAbsent: async (p: string, data: Uint8Array, o?: { abortSignal?: AbortSignal }) => (refuse(p), inner.putIfAbsent(p, data, o)),
  });
}

describe('Gold staging under attack: crashes, concurrent runs, lost files, a lost base plan', () => {
  let dir: string;
  let services: PipelineServices;
  let lake: LakeStore & { failing: boolean };

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gold-attack-'));
    lake = logFailingLake(FileSystemLake.fromDirectory(path.join(dir, 'lake')), lakeTables.forecast_metrics.path);
    services = {
      settings: loadSettings({
        DEMAND_LAKE_DIR: path.join(dir, 'lake'),
        DEMAND_FORECAST_WORKERS: '1',
      }),
      lake,
      entities: EmbeddedEntityStore.fromDirectory(path.join(dir, 'state')),
      log: () => undefined,
      adapters: adapterFactories,
    };
    const def = lakeTables.daily_demand;
    await openLakeTable(services.lake, def).write(dailyDemand(), {
      schema: def.schema,
      partitionBy: def.partitionBy,
      mode: 'append',
    });
  });

  afterAll(async () => {
    await closeSharedForecastPool();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const ctx = (runId: string) => ({
    runId,
    runDate: '2011-05-01',
    startedAt: '2011-05-01T02:00:00.000Z',
  });
  const batchInput = (runId: string, ref: ReturnType<typeof planBatchRefs>[number]) => ({
    ...ctx(runId),
    batch: ref,
    dailyDemandVersion: 0,
    horizonDays: 7,
    season: 7,
  });
  const runRows = (def: LakeTableDef, runId: string) =>
    openLakeTable(services.lake, def).readAll({
      partitionFilter: (p) => p['run_id'] === runId,
    });

  it('a finalize killed between the tables’ commits, run again: every Gold table committed exactly once, no duplicate row', async () => {
    const plan = await planForecast({ ...ctx('run-crash'), dailyDemandVersion: -1, batchSize: 2 }, services);
    for (const ref of planBatchRefs('run-crash', plan)) await forecastBatch(batchInput('run-crash', ref), services);
    lake.failing = true;
    const crashed = commitRunGold(services, 'run-crash', plan.batchCount).finally(() => (lake.failing = false));
    await expect(crashed).rejects.toThrow(/may or may not have landed/);
    expect(await commitsOfRun(services, lakeTables.forecasts, 'run-crash')).toBe(1);
    expect(await commitsOfRun(services, lakeTables.forecast_metrics, 'run-crash')).toBe(0);
    // The forecasts commit's cleanup left the other tables' staged files alone.
    await commitRunGold(services, 'run-crash', plan.batchCount);
    await commitRunGold(services, 'run-crash', plan.batchCount);
    for (const def of goldForecastTables) expect(await commitsOfRun(services, def, 'run-crash')).toBe(1);
    expect(await runRows(lakeTables.forecasts, 'run-crash')).toHaveLength(5 * 7);
    expect(await runRows(lakeTables.forecast_metrics, 'run-crash')).not.toHaveLength(0);
    expect(await runRows(lakeTables.model_params, 'run-crash')).toHaveLength(5);
  });

  it('two runs staging at once: the first run’s commit and cleanup leave the other run’s staged files, which then commit', async () => {
    const planA = await planForecast({ ...ctx('run-a'), dailyDemandVersion: -1, batchSize: 5 }, services);
    const planB = await planForecast({ ...ctx('run-b'), dailyDemandVersion: -1, batchSize: 5 }, services);
    for (const ref of planBatchRefs('run-b', planB)) await forecastBatch(batchInput('run-b', ref), services);
    for (const ref of planBatchRefs('run-a', planA)) await forecastBatch(batchInput('run-a', ref), services);
    const a = await commitRunGold(services, 'run-a', planA.batchCount);
    expect(a.orphansDeleted).toBe(0);
    const b = await commitRunGold(services, 'run-b', planB.batchCount);
    expect(b.orphansDeleted).toBe(0);
    expect(b.tables.forecasts).toMatchObject({
      skipped: false,
      rowsWritten: 5 * 7,
    });
    expect(await runRows(lakeTables.forecasts, 'run-a')).toHaveLength(5 * 7);
    expect(await runRows(lakeTables.forecasts, 'run-b')).toHaveLength(5 * 7);
  });

  it('a staged data file lost before the commit: the commit names it, and the batch run again stages it anew so the run commits', async () => {
    const plan = await planForecast({ ...ctx('run-lost'), dailyDemandVersion: -1, batchSize: 5 }, services);
    const ref = planBatchRefs('run-lost', plan)[0]!;
    await forecastBatch(batchInput('run-lost', ref), services);
    const folder = `${lakeTables.forecasts.path}/run_id=run-lost`;
    const file = (await fs.readdir(path.join(dir, 'lake', folder))).find((f) => f.endsWith('.parquet'))!;
    await services.lake.delete(`${folder}/${file}`);
    await expect(commitRunGold(services, 'run-lost', plan.batchCount)).rejects.toThrow(file);
    expect(await commitsOfRun(services, lakeTables.forecasts, 'run-lost')).toBe(0);
    // What the error asks (stage its rows again): the retried batch must not re-use a record whose file is gone.
    await forecastBatch(batchInput('run-lost', ref), services);
    await commitRunGold(services, 'run-lost', plan.batchCount);
    expect(await runRows(lakeTables.forecasts, 'run-lost')).toHaveLength(5 * 7);
  });

  it('the latest plan’s batch files removed: the next plan still plans from the plan’s own state and series, not fail', async () => {
    const first = await planForecast({ ...ctx('run-base'), dailyDemandVersion: -1, batchSize: 2 }, services);
    for (let b = 0; b < first.batchCount; b++) await services.lake.delete(skuBatchPath('run-base', `batch-${String(b).padStart(5, '0')}`));
    const logs: string[] = [];
    const next = await planForecast(
      { ...ctx('run-next'), dailyDemandVersion: -1, batchSize: 2 },
      { ...services, log: (m) => logs.push(m) },
    );
    expect(next.skuCount).toBe(first.skuCount);
    expect(logs.join('\n')).toMatch(/the rest from plan run-base/);
  });

  it('the latest plan’s run folder removed (runs/ cleaned up): the next plan reads daily_demand in full, not fail', async () => {
    const first = await planForecast({ ...ctx('run-base'), dailyDemandVersion: -1, batchSize: 2 }, services);
    await fs.rm(path.join(dir, 'lake', 'runs', 'run-base'), { recursive: true, force: true });
    const logs: string[] = [];
    const next = await planForecast(
      { ...ctx('run-next'), dailyDemandVersion: -1, batchSize: 2 },
      { ...services, log: (m) => logs.push(m) },
    );
    expect(next.skuCount).toBe(first.skuCount);
    expect(logs.join('\n')).toMatch(/read in full.*run-base/);
  });
  it('a re-run of a completed run id on newer data: the commit fails naming the run, Gold keeps one run’s rows, not a mix', async () => {
    const plan = await planForecast({ ...ctx('run-same'), dailyDemandVersion: -1, batchSize: 5 }, services);
    for (const ref of planBatchRefs('run-same', plan)) await forecastBatch(batchInput('run-same', ref), services);
    await commitRunGold(services, 'run-same', plan.batchCount);
    const before = await runRows(lakeTables.forecasts, 'run-same');
    const def = lakeTables.daily_demand;
    const next = fixtureDay(120);
    const more = skus.map((sku) => ({ ...dailyDemand()[0]!, sku, date: next, units: 500, revenue: 500, month: next.slice(0, 7) }));
    await openLakeTable(services.lake, def).write(more, { schema: def.schema, partitionBy: def.partitionBy, mode: 'append' });
    const again = await planForecast({ ...ctx('run-same'), dailyDemandVersion: -1, batchSize: 5 }, services);
    for (const ref of planBatchRefs('run-same', again))
      await forecastBatch({ ...batchInput('run-same', ref), dailyDemandVersion: again.dailyDemandVersion }, services);
    const commit = commitRunGold(services, 'run-same', again.batchCount);
    await expect(commit).rejects.toBeInstanceOf(RunGoldCommittedError);
    await expect(commitRunGold(services, 'run-same', again.batchCount)).rejects.toThrow(/run run-same: Gold forecasts was committed/);
    expect(await runRows(lakeTables.forecasts, 'run-same')).toEqual(before);
    for (const d of goldForecastTables) expect(await commitsOfRun(services, d, 'run-same')).toBe(1);
  });
  it('a run finalized without its batch count and a torn batch record: the commit names the record, not a run short of that batch', async () => {
    const plan = await planForecast({ ...ctx('run-torn'), dailyDemandVersion: -1, batchSize: 3 }, services);
    for (const ref of planBatchRefs('run-torn', plan)) await forecastBatch(batchInput('run-torn', ref), services);
    const torn = stagedBatchPath('run-torn', 'batch-00001');
    const whole = await services.lake.read(torn);
    await services.lake.put(torn, whole.subarray(0, 20));
    await expect(commitRunGold(services, 'run-torn', undefined)).rejects.toBeInstanceOf(StagedBatchUnreadableError);
    await expect(commitRunGold(services, 'run-torn', undefined)).rejects.toThrow(torn);
    expect(await commitsOfRun(services, lakeTables.forecasts, 'run-torn')).toBe(0);
    await services.lake.put(torn, whole);
    await commitRunGold(services, 'run-torn', undefined);
    expect(await runRows(lakeTables.forecasts, 'run-torn')).toHaveLength(5 * 7);
  });
});

describe('Gold forecasts whose existing `expected` column has another type', () => {
  it('the run commit fails naming the column and both types, and adds nothing', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gold-expected-type-'));
    try {
      const lake = FileSystemLake.fromDirectory(dir);
      const def = lakeTables.forecasts;
      const theirs = { fields: def.schema.fields.map((f) => (f.name === 'expected' ? { ...f, type: 'string' as const } : f)) };
      const table = openLakeTable(lake, def);
      await table.write([], { schema: theirs, partitionBy: def.partitionBy, mode: 'append' });
      const row: DeltaRow = { run_id: 'r1', sku: 'A', origin_date: '2011-01-01', target_date: '2011-01-02', step: 1, point: 1 };
      for (const q of ['expected', 'q05', 'q25', 'q50', 'q75', 'q95']) row[q] = 1;
      row['model'] = 'snaive';
      const staged = await table.stage([row], { schema: def.schema, partitionBy: def.partitionBy, stageId: 'batch-00000' });
      const commit = table.commitStaged([staged], { schema: def.schema, partitionBy: def.partitionBy, schemaMode: 'merge' });
      await expect(commit).rejects.toThrow(/expected.*double.*string/);
      expect(await table.version()).toBe(0);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
