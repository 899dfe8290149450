import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSettings } from '../../src/lib/config/settings';
import { openLakeTable } from '../../src/lib/delta';
import type { DeltaRow } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { forecastBatch } from '../../src/activities/forecastBatch';
import { commitRunGold, stagedBatchPath } from '../../src/activities/goldStaging';
import { ForecastPool } from '../../src/lib/forecast/pool';
import { forecastRunsTableName } from '../../src/lib/runs/forecastRunIndex';
import { planForecast } from '../../src/activities/planForecast';
import type { PipelineServices } from '../../src/lib/pipelineServices';
import { closeSharedForecastPool } from '../../src/activities/forecastPool';
import { planBatchRefs, readSkuBatch, type SkuBatch } from '../../src/contracts/skuBatches';
import { lakeTables } from '../../src/lib/lakeTables';
import {
  selectionRecordPath,
  warmStartFor,
  warmStartSourceRuns,
  type SelectionRecord,
  type WarmStartBook,
} from '../../src/lib/runs/warmStartRecords';
import { parseWarmModel } from '../../src/lib/forecast/warmStart';
import { recordRunCompleted } from '../../src/lib/publish/runCompletions';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { entityKey } from '../../src/lib/tables/entityKey';
import { adapterFactories } from '../../src/composition/services';

const day = (offset: number): string => new Date(Date.UTC(2011, 0, 3) + offset * 86_400_000).toISOString().slice(0, 10);
const skus = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'];

/** Weekly-seasonal SKUs of different levels, `days` days long. */
function demandRows(from: number, to: number): DeltaRow[] {
  const rows: DeltaRow[] = [];
  skus.forEach((sku, k) => {
    for (let d = from; d < to; d++) {
      const units = 5 + k * 3 + (d % 7 === k % 7 ? 4 + k : 0) + ((d * (k + 3)) % 5);
      rows.push({
        sku,
        date: day(d),
        units,
        revenue: units,
        orders: 1,
        customers: 1,
        on_hand: null,
        stockout: false,
        month: day(d).slice(0, 7),
      });
    }
  });
  return rows;
}

async function appendDemand(services: PipelineServices, rows: DeltaRow[]): Promise<void> {
  const def = lakeTables.daily_demand;
  await openLakeTable(services.lake, def).write(rows, { schema: def.schema, partitionBy: def.partitionBy, mode: 'append' });
}

async function indexRun(services: PipelineServices, runId: string, trigger: string, startedAt: string): Promise<void> {
  const table = await services.entities.table(forecastRunsTableName);
  await table.upsert({ partitionKey: 'run', rowKey: entityKey(runId), runId, trigger, runDate: startedAt.slice(0, 10), startedAt });
}

/** Plans and forecasts the whole fleet as run `runId`; returns its batches as planned and its selection records. */
async function forecastRun(services: PipelineServices, runId: string): Promise<{ batches: SkuBatch[]; records: SelectionRecord[] }> {
  const ctx = { runId, runDate: '2011-06-01', startedAt: `2011-06-01T02:00:00.000Z` };
  const plan = await planForecast({ ...ctx, dailyDemandVersion: -1, batchSize: 5 }, services);
  const batches: SkuBatch[] = [];
  const records: SelectionRecord[] = [];
  for (const ref of planBatchRefs(runId, plan)) {
    batches.push(await readSkuBatch(services.lake, ref.path));
    await forecastBatch({ ...ctx, batch: ref, dailyDemandVersion: plan.dailyDemandVersion, horizonDays: 7, season: 7 }, services);
    const file = JSON.parse((await services.lake.read(selectionRecordPath(runId, ref.batchId))).toString('utf8')) as {
      records: SelectionRecord[];
    };
    records.push(...file.records);
  }
  await commitRunGold(services, runId, plan.batchCount);
  return { batches, records };
}

const warmOf = (batches: SkuBatch[]): Map<string, string> =>
  new Map(batches.flatMap((b) => b.series.filter((s) => s.warmStart).map((s) => [s.sku, s.warmStart!.model] as const)));

describe('warm start through planForecast and forecastBatch on a real lake', () => {
  let dir: string;
  let services: PipelineServices;
  let first: { batches: SkuBatch[]; records: SelectionRecord[] };

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'warm-start-'));
    services = {
      settings: loadSettings({ DEMAND_LAKE_DIR: path.join(dir, 'lake'), DEMAND_FORECAST_WORKERS: '0' }),
      lake: FileSystemLake.fromDirectory(path.join(dir, 'lake')),
      entities: EmbeddedEntityStore.fromDirectory(path.join(dir, 'state')),
      log: () => undefined,
      adapters: adapterFactories,
    };
    await appendDemand(services, demandRows(0, 90));
    first = await forecastRun(services, 'run-1');
    await indexRun(services, 'run-1', 'scheduled', '2011-04-02T02:00:00.000Z');
  });

  afterAll(async () => {
    await closeSharedForecastPool();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a first run selects in full and records every choice with its origin', () => {
    expect(warmOf(first.batches).size).toBe(0);
    expect(first.records.map((r) => r.sku).sort()).toEqual(skus);
    expect(first.records.every((r) => r.mode === 'full' && r.selectedOn === day(89))).toBe(true);
  });

  it('never re-uses the records of a run that did not complete', async () => {
    await appendDemand(services, demandRows(90, 91));
    const second = await forecastRun(services, 'run-2-incomplete');
    expect(warmOf(second.batches).size).toBe(0);
    expect(second.records.every((r) => r.mode === 'full')).toBe(true);
    // Indexed (finalized) but killed before publish: still not completed, still not a source.
    await indexRun(services, 'run-2-incomplete', 'scheduled', '2011-04-03T02:00:00.000Z');
    expect(await warmStartSourceRuns(services, 'next', [{ runId: 'run-2-incomplete', trigger: 'scheduled', startedAt: 'x' }], [])).toEqual(
      [],
    );
  });

  it('after the run completed, the next day re-uses its choices except where full selection is due or drift flagged', async () => {
    await recordRunCompleted(services.lake, { runId: 'run-1', completedAt: '2011-04-02T03:00:00.000Z', mode: 'batch' });
    // run-1's drift check flagged SKU C.
    const drift = lakeTables.drift_events;
    await openLakeTable(services.lake, drift).write(
      [
        {
          run_id: 'run-1',
          detected_at: '2011-04-02T02:30:00.000Z',
          sku: 'C',
          kind: 'accuracy_wape',
          value: 2,
          threshold: 1.5,
          action: 'reforecast',
        },
      ],
      { schema: drift.schema, partitionBy: drift.partitionBy, mode: 'append' },
    );
    const third = await forecastRun(services, 'run-3');
    const warm = warmOf(third.batches);
    const chosen = new Map(first.records.map((r) => [r.sku, r.model]));
    expect(warm.size).toBeGreaterThanOrEqual(4);
    expect(warm.has('C')).toBe(false);
    for (const [sku, model] of warm) expect(model).toBe(chosen.get(sku));
    // The forecasts did re-use them: same model, mode warm, the original selection day carried.
    for (const r of third.records) {
      if (warm.has(r.sku))
        expect(r).toEqual({ sku: r.sku, model: chosen.get(r.sku), profileKey: r.profileKey, selectedOn: day(89), mode: 'warm' });
      else expect(r).toMatchObject({ mode: 'full', selectedOn: day(90) });
    }
    // What was forecast: only the stored choice's members were candidates, the model one of them or their combination.
    const params = await openLakeTable(services.lake, lakeTables.model_params).readAll();
    const warmParams = params.filter((p) => p['run_id'] === 'run-3' && warm.has(String(p['sku'])));
    expect(warmParams.length).toBe(warm.size);
    for (const p of warmParams) {
      const members = parseWarmModel(chosen.get(String(p['sku']))!)!.members;
      const candidates = (JSON.parse(String(p['candidates'])) as Array<{ model: string }>).map((c) => c.model);
      expect(candidates.filter((c) => !c.includes('(')).sort()).toEqual([...members].sort());
      expect(parseWarmModel(String(p['model']))!.members.every((m) => members.includes(m))).toBe(true);
    }
  });

  it('DEMAND_FULL_SELECTION_EVERY_DAYS=0 turns warm start off', async () => {
    const off = { ...services, settings: { ...services.settings, DEMAND_FULL_SELECTION_EVERY_DAYS: 0 } };
    const run = await forecastRun(off, 'run-off');
    expect(warmOf(run.batches).size).toBe(0);
  });

  it('a retried batch re-uses the Gold files its first attempt staged instead of running the models again', async () => {
    const ctx = { runId: 'run-retry', runDate: '2011-06-01', startedAt: '2011-06-01T02:00:00.000Z' };
    const plan = await planForecast({ ...ctx, dailyDemandVersion: -1, batchSize: 5 }, services);
    const ref = planBatchRefs(ctx.runId, plan)[0]!;
    const input = { ...ctx, batch: ref, dailyDemandVersion: plan.dailyDemandVersion, horizonDays: 7, season: 7 };
    const spy = jest.spyOn(ForecastPool.prototype, 'forecast');
    try {
      const first = await forecastBatch(input, services);
      expect(spy).toHaveBeenCalledTimes(1);
      const again = await forecastBatch(input, services);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(again).toEqual(first);
      // A record of other batch content (another daily_demand version) is not used.
      const path = stagedBatchPath(ctx.runId, ref.batchId);
      const stored = JSON.parse((await services.lake.read(path)).toString('utf8')) as Record<string, unknown>;
      const key = stored['key'] as Record<string, unknown>;
      await services.lake.put(path, Buffer.from(JSON.stringify({ ...stored, key: { ...key, dailyDemandVersion: -7 } })));
      expect(await forecastBatch(input, services)).toEqual(first);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
    await commitRunGold(services, ctx.runId, 1 /* only batch 0 was forecast */);
    const rows = await openLakeTable(services.lake, lakeTables.forecasts).readAll();
    expect(rows.filter((r) => r['run_id'] === 'run-retry')).toHaveLength(5 * 7);
  });

  it('re-forecasts of chosen SKUs always select in full', async () => {
    const plan = await planForecast(
      { runId: 'run-http', runDate: '2011-06-01', startedAt: 'x', dailyDemandVersion: -1, batchSize: 5, skus: ['A', 'B'] },
      services,
    );
    const batch = await readSkuBatch(services.lake, planBatchRefs('run-http', plan)[0]!.path);
    expect(batch.series.filter((s) => s.warmStart)).toEqual([]);
  });
});

describe('the full-selection schedule', () => {
  const book = (records: Array<[string, string]>, driftFlagged: string[] = []): WarmStartBook => ({
    sourceRuns: ['r'],
    records: new Map(records.map(([sku, selectedOn]) => [sku, { sku, model: 'ets', profileKey: 'k', selectedOn, mode: 'full' as const }])),
    driftFlagged: new Set(driftFlagged),
  });

  it('spreads full selection over the days: each SKU once within the period, about 1/N of the fleet a day', () => {
    const fleet = Array.from({ length: 700 }, (_, i) => `SKU-${i}`);
    const b = book(fleet.map((s) => [s, day(0)]));
    const perDay = [1, 2, 3, 4, 5, 6].map((d) => fleet.filter((s) => !warmStartFor(b, s, day(d), 7)).length);
    for (const n of perDay) expect(n).toBeGreaterThan(60);
    for (const n of perDay) expect(n).toBeLessThan(140);
    // Every SKU's full selection comes by day 7 at the latest (age ≥ 7 is always full).
    for (const s of fleet) expect([1, 2, 3, 4, 5, 6, 7].some((d) => !warmStartFor(b, s, day(d), 7))).toBe(true);
    expect(fleet.every((s) => !warmStartFor(b, s, day(7), 7))).toBe(true);
  });

  it('no record, a drift flag, a future record or N = 0 mean full selection', () => {
    const b = book(
      [
        ['A', day(5)],
        ['B', day(5)],
      ],
      ['B'],
    );
    const warmDay = [6, 7, 8, 9, 10, 11].map(day).find((d) => warmStartFor(b, 'A', d, 7))!;
    expect(warmStartFor(b, 'A', warmDay, 7)).toEqual({ model: 'ets', profileKey: 'k', selectedOn: day(5) });
    expect(warmStartFor(b, 'B', warmDay, 7)).toBeUndefined();
    expect(warmStartFor(b, 'Z', warmDay, 7)).toBeUndefined();
    expect(warmStartFor(b, 'A', day(4), 7)).toBeUndefined();
    expect(warmStartFor(b, 'A', day(5), 7)).toBeUndefined(); // same origin: a re-run selects as the run it replaces did
    expect(warmStartFor(b, 'A', warmDay, 0)).toBeUndefined();
    expect(warmStartFor(b, 'A', warmDay, 1)).toBeUndefined();
  });

  it('takes the latest completed full run and the completed re-forecasts after it, never a challenger', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'warm-sources-'));
    try {
      const lake = FileSystemLake.fromDirectory(dir);
      const services = {
        settings: loadSettings({}),
        lake,
        entities: EmbeddedEntityStore.fromDirectory(dir),
        log: () => undefined,
        adapters: adapterFactories,
      } satisfies PipelineServices;
      for (const runId of ['old', 'full', 'http-after', 'http-before', 'chal'])
        await recordRunCompleted(lake, { runId, completedAt: 'x', mode: 'batch' });
      const index = [
        { runId: 'old', trigger: 'scheduled', startedAt: '2011-01-01' },
        { runId: 'http-before', trigger: 'http', startedAt: '2011-01-02' },
        { runId: 'full', trigger: 'adf', startedAt: '2011-01-03' },
        { runId: 'http-after', trigger: 'http', startedAt: '2011-01-04' },
        { runId: 'chal', trigger: 'challenger', startedAt: '2011-01-05' },
        { runId: 'killed', trigger: 'scheduled', startedAt: '2011-01-06' },
      ];
      expect(await warmStartSourceRuns(services, 'now', index, ['http'])).toEqual(['full', 'http-after']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
