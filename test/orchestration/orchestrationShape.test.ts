/**
 * The orchestration's shape at 100,000 SKUs, through the real orchestrators on the real
 * durable-functions replay engine, with a stub forecast (no model fitting) and the real
 * finalizeForecast on a temporary lake: only references travel through history. Asserted bounds
 * (docs/sizing.md explains them):
 * - no activity input or output and no sub-orchestration input or result exceeds 16 KB
 *   (Azure spills messages over 45 KB to blobs; 16 KB leaves room for growth);
 * - each instance's history stays under 5,000 events (replay cost grows with it);
 * - at most DEMAND_FORECAST_MAX_ACTIVITIES_PER_SUBORCHESTRATION (500) activities per fan-out child.
 * The stub forecast returns the worst case for breakdowns: 40 distinct models and 40 fallback
 * reasons per batch, and writes its breakdown file and its staged-Gold record (no rows) as the real forecastBatch does.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { historyMessages } from '../../src/host/historyStats';
import { LocalOrchestrationHost } from '../../src/host/localHost';
import { loadSettings } from '../../src/lib/config/settings';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { classified } from '../../src/activities';
import { finalizeForecast } from '../../src/activities/finalizeForecast';
import { recordStagedBatch } from '../../src/activities/goldStaging';
import type {
  FinalizeForecastInput,
  ForecastBatchInput,
  ForecastBatchOutput,
  PlanForecastInput,
  PlanForecastOutput,
} from '../../src/contracts/messages';
import type { PipelineServices } from '../../src/lib/pipelineServices';
import { batchBreakdownPath } from '../../src/contracts/skuBatches';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { orchestrators } from '../../src/orchestrators';
import { pipelineOptionsFromSettings, type DemandPipelineInput } from '../../src/orchestrators/input';
import { activityNames, orchestratorNames } from '../../src/contracts/names';
import type { RunSummary } from '../../src/orchestrators/summary';
import { fakeActivities } from './fakeActivities';
import { adapterFactories } from '../../src/composition/services';

const skuCount = 100_000;
const limitBytes = 16 * 1024;

describe('orchestration shape at 100k SKUs (stub forecast, real orchestrators and finalizeForecast)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'shape-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('keeps every message under 16 KB, every history under 5,000 events and every fan-out child within its activity limit', async () => {
    const settings = loadSettings({}, { DEMAND_LAKE_DIR: path.join(dir, 'lake'), DEMAND_STATE_DIR: path.join(dir, 'state') });
    const options = pipelineOptionsFromSettings(settings);
    const services: PipelineServices = {
      settings,
      lake: FileSystemLake.fromDirectory(path.join(dir, 'lake')),
      entities: EmbeddedEntityStore.fromDirectory(path.join(dir, 'state')),
      log: () => undefined,
      adapters: adapterFactories,
    };
    const { activities } = fakeActivities({
      skus: skuCount,
      batchSize: options.batchSize,
      drifted: Array.from({ length: 50 }, (_, i) => `SKU${i}`),
      fleetDrift: true,
    });
    // The plan of 100k SKUs, as the real planForecast reports it (counts, no list).
    activities[activityNames.planForecast] = async (input: unknown): Promise<PlanForecastOutput> => {
      const i = input as PlanForecastInput;
      const n = i.skus?.length ?? skuCount;
      return { skuCount: n, dailyDemandVersion: 7, inactiveSkus: 1234, batchCount: Math.ceil(n / i.batchSize), batchSize: i.batchSize };
    };
    const models = Array.from({ length: 40 }, (_, k) => `ensemble(model_${k}+model_${(k * 7) % 40})`);
    activities[activityNames.forecastBatch] = classified(
      activityNames.forecastBatch,
      async (input: ForecastBatchInput): Promise<ForecastBatchOutput> => {
        const counts = Object.fromEntries(models.map((m, k) => [m, k % 3]));
        const fallbacks = Object.fromEntries(models.map((_, k) => [`reason ${k}: history shorter than N days`, 1]));
        await services.lake.put(
          batchBreakdownPath(input.runId, input.batch.batchId),
          Buffer.from(JSON.stringify({ models: counts, fallbacks })),
        );
        const output = {
          batchId: input.batch.batchId,
          skus: input.batch.skus,
          forecastRows: input.batch.skus * input.horizonDays,
          models: counts,
          fallbacks,
          backtest: { absError: 1, absActual: 10, maseSum: 1, maseCount: 1 },
        };
        const key = { dailyDemandVersion: input.dailyDemandVersion, endDate: '2026-11-23', policy: input.policy ?? 'default' };
        return (await recordStagedBatch(services, input.runId, input.batch.batchId, { key, output, tables: {} })).output;
      },
    ) as never;
    activities[activityNames.finalizeForecast] = classified(activityNames.finalizeForecast, (input: FinalizeForecastInput) =>
      finalizeForecast(input, services),
    ) as never;

    const ids = new Set<string>();
    const host = new LocalOrchestrationHost({
      sleep: async () => undefined,
      now: () => new Date('2026-11-24T02:00:00Z'),
      onEvent: (id) => ids.add(id),
    });
    for (const [name, handler] of Object.entries(orchestrators)) host.registerOrchestrator(name, handler);
    for (const [name, fn] of Object.entries(activities)) host.registerActivity(name, fn);
    const input: DemandPipelineInput = { trigger: 'scheduled', options };
    const status = await host.waitForCompletion(host.startNew(orchestratorNames.demandPipeline, { instanceId: 'run-100k', input }));
    expect(status.runtimeStatus).toBe('Completed');
    const summary = status.output as RunSummary;
    expect(summary.stages.forecast).toMatchObject({ skus: skuCount, batches: 1000 });

    // 1,000 batches of 100 in fan-out children of at most 500 activities: 2 children (+1 for the drift re-forecast).
    const fanOuts = [...ids].filter((id) => id.startsWith('run-100k:forecast:'));
    expect(fanOuts).toHaveLength(2);
    const messages = [...ids].flatMap((id) => historyMessages(id, host.getHistory(id)));
    const largest = messages.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    const perInstance = [...ids].map((id) => ({
      id,
      events: host.getHistory(id).length,
      activities: host.getHistory(id).filter((e) => e.constructor.name === 'TaskScheduledEvent').length,
    }));
    console.log(
      `100k SKUs: ${ids.size} instances, ${perInstance.reduce((a, b) => a + b.events, 0)} history events (most ${Math.max(...perInstance.map((p) => p.events))} in one), ` +
        `largest message ${largest.bytes} bytes (${largest.event}.${largest.field} of ${largest.name} in ${largest.instanceId})`,
    );
    expect(largest.bytes).toBeLessThan(limitBytes);
    for (const p of perInstance) {
      expect(p.events).toBeLessThan(5000);
      expect(p.activities).toBeLessThanOrEqual(options.maxActivitiesPerSubOrchestration);
    }
    // The breakdown is complete in the lake, and only its top counts went through history.
    const breakdown = JSON.parse((await services.lake.read(summary.stages.tracking!.breakdownPath)).toString('utf8')) as {
      models: Record<string, number>;
    };
    expect(Object.keys(breakdown.models)).toHaveLength(40);
    expect(breakdown.models[models[2]!]).toBe(2 * 1000);
    expect(Object.keys(summary.stages.forecast!.models).length).toBeLessThanOrEqual(12);
  }, 120_000);
});
