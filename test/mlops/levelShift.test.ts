import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSettings } from '../../src/lib/config/settings';
import { openLakeTable } from '../../src/lib/delta';
import type { DeltaRow } from '../../src/lib/delta/types';
import { accuracyRatio } from '../../src/lib/drift';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { assessDrift, checkDrift, driftEventsTableName } from '../../src/activities/checkDrift';
import { finalizeForecast } from '../../src/activities/finalizeForecast';
import { forecastBatch } from '../../src/activities/forecastBatch';
import { planForecast } from '../../src/activities/planForecast';
import { planBatchRefs } from '../../src/contracts/skuBatches';
import type { RunContext } from '../../src/contracts/messages';
import type { PipelineServices } from '../../src/lib/pipelineServices';
import { closeSharedForecastPool } from '../../src/activities/forecastPool';
import { lakeTables } from '../../src/lib/lakeTables';
import { collect } from '../../src/lib/tables/entityStore';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { TablesTracker } from '../../src/lib/tracking/tablesTracker';
import { adapterFactories } from '../../src/composition/services';
import type { TriggerKind } from '../../src/lib/runs/triggerKind';

/**
 * Drift that acts, end to end on a temp lake: a level shift injected into one SKU's actuals is
 * seen as a drift event, the SKU is re-forecast through the real activity sequence (planForecast →
 * forecastBatch on the real engine → finalizeForecast), and once new actuals arrive its realised
 * error is back under the threshold.
 */
const horizon = 14;
const weekly = [1.0, 1.1, 0.9, 1.2, 0.8, 1.3, 0.7];
const levels: Record<string, number> = { A: 10, B: 5, C: 8, D: 12, E: 20, F: 40, G: 6, H: 15, I: 25, J: 9, K: 30, L: 18 };
const shiftFromDay = 120;

function day(offset: number): string {
  return new Date(Date.UTC(2024, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10);
}

/** Deterministic noise in {-1, 0, 1} per (SKU, day), so every phase sees the same history. */
function noise(sku: string, d: number): number {
  let h = (sku.charCodeAt(0) * 2654435761 + d * 40503) >>> 0;
  h = (h ^ (h >>> 13)) * 1274126177;
  return ((h >>> 0) % 3) - 1;
}

/** Weekly-seasonal demand with noise for every SKU up to `lastDay`; SKU A triples from `shiftFromDay` when `shifted`. */
function dailyDemand(lastDay: number, shifted: boolean): DeltaRow[] {
  const rows: DeltaRow[] = [];
  for (const [sku, level] of Object.entries(levels)) {
    for (let d = 0; d <= lastDay; d++) {
      const factor = shifted && sku === 'A' && d >= shiftFromDay ? 3 : 1;
      const units = Math.max(0, Math.round(level * weekly[d % 7]! * factor) + noise(sku, d));
      rows.push({
        sku,
        date: day(d),
        units,
        revenue: units * 2.5,
        orders: units,
        customers: units,
        on_hand: 100,
        stockout: false,
        month: day(d).slice(0, 7),
      });
    }
  }
  return rows;
}

describe('level shift → drift event → re-forecast → recovered accuracy', () => {
  let dir: string;
  let services: PipelineServices;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-shift-'));
    const settings = loadSettings({
      DEMAND_LAKE_DIR: path.join(dir, 'lake'),
      DEMAND_STATE_DIR: path.join(dir, 'state'),
      DEMAND_FORECAST_WORKERS: '1',
      DEMAND_FORECAST_HORIZON_DAYS: String(horizon),
    });
    services = {
      settings,
      lake: FileSystemLake.fromDirectory(path.join(dir, 'lake')),
      entities: EmbeddedEntityStore.fromDirectory(path.join(dir, 'state')),
      log: (m) => logs.push(m),
      adapters: adapterFactories,
    };
  });
  afterAll(async () => {
    await closeSharedForecastPool();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function writeSilver(lastDay: number, shifted: boolean): Promise<number> {
    const def = lakeTables.daily_demand;
    return (
      await openLakeTable(services.lake, def).write(dailyDemand(lastDay, shifted), {
        schema: def.schema,
        partitionBy: def.partitionBy,
        mode: 'overwrite',
      })
    ).version;
  }

  /** The forecast path the orchestrator runs (also for HTTP and drift re-forecasts). */
  async function forecastRun(ctx: RunContext, version: number, trigger: TriggerKind, skus?: string[]) {
    const plan = await planForecast({ ...ctx, dailyDemandVersion: version, batchSize: 100, ...(skus ? { skus } : {}) }, services);
    const batches = [];
    for (const batch of planBatchRefs(ctx.runId, plan))
      batches.push(await forecastBatch({ ...ctx, batch, dailyDemandVersion: version, horizonDays: horizon, season: 7 }, services));
    return finalizeForecast({ ...ctx, batches, tableVersions: { daily_demand: version }, trigger }, services);
  }

  const ctx = (runId: string, d: number): RunContext => ({ runId, runDate: day(d), startedAt: `${day(d)}T02:00:00.000Z` });

  it('detects the shift, re-forecasts the SKU, and sees its accuracy recover', async () => {
    // 1. A scheduled run on clean history (days 0..119): the first policy version becomes production.
    const v1 = await writeSilver(shiftFromDay - 1, false);
    const first = await forecastRun(ctx('run-1', shiftFromDay), v1, 'scheduled');
    expect(first.modelVersion).toBe('1');
    expect(logs.some((l) => l.includes('first policy version 1 promoted to production automatically'))).toBe(true);

    // 2. Two weeks of actuals arrive; SKU A's demand has tripled since day 120.
    const v2 = await writeSilver(shiftFromDay + horizon - 1, true);
    const before = await assessDrift(ctx('drift-1', shiftFromDay + horizon), services);
    const drift1 = await checkDrift(ctx('drift-1', shiftFromDay + horizon), services);
    expect(drift1.driftedSkus).toEqual(['A']);
    expect(drift1.fleetDrift).toBe(false);
    const a1 = before.stats.skus.find((s) => s.sku === 'A')!;
    expect(a1.forecastRunId).toBe('run-1');
    expect(accuracyRatio(a1)!).toBeGreaterThan(services.settings.DEMAND_DRIFT_ACCURACY_RATIO);
    for (const s of before.stats.skus.filter((x) => x.sku !== 'A'))
      expect(accuracyRatio(s) ?? 0).toBeLessThan(services.settings.DEMAND_DRIFT_ACCURACY_RATIO);

    const events = await openLakeTable(services.lake, lakeTables.drift_events).readAll({
      partitionFilter: (p) => p['run_id'] === 'drift-1',
    });
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          sku: 'A',
          kind: 'accuracy_wape',
          action: 'reforecast',
          threshold: 1.5,
          detected_at: `${day(shiftFromDay + horizon)}T02:00:00.000Z`,
        }),
        expect.objectContaining({ sku: 'A', kind: 'data_psi', action: 'reforecast' }),
      ]),
    );
    expect(events.filter((e) => e['sku'] !== 'A' && e['action'] === 'reforecast')).toEqual([]);
    const entityEvents = await collect((await services.entities.table(driftEventsTableName)).list({ partitionKey: 'drift-1' }));
    expect(entityEvents.map((e) => `${e['kind'] as string}:${e['sku'] as string}`).sort()).toEqual(
      events.map((e) => `${e['kind'] as string}:${e['sku'] as string}`).sort(),
    );

    // A retried drift check replaces its partition instead of duplicating events.
    await checkDrift(ctx('drift-1', shiftFromDay + horizon), services);
    expect(
      await openLakeTable(services.lake, lakeTables.drift_events).readAll({ partitionFilter: (p) => p['run_id'] === 'drift-1' }),
    ).toHaveLength(events.length);

    // 3. The drifted SKU is re-forecast through the same activities; a partial run registers no policy version.
    const reforecast = await forecastRun(ctx('reforecast-1', shiftFromDay + horizon), v2, 'drift', drift1.driftedSkus);
    expect(reforecast.modelVersion).toBeNull();
    expect(reforecast.metrics['skus']).toBe(1);
    const newForecast = await openLakeTable(services.lake, lakeTables.forecasts).readAll({
      partitionFilter: (p) => p['run_id'] === 'reforecast-1',
    });
    expect(new Set(newForecast.map((r) => r['sku']))).toEqual(new Set(['A']));

    // 4. Two more weeks of actuals (still at the new level): the re-forecast's realised error is back under the threshold.
    await writeSilver(shiftFromDay + 2 * horizon - 1, true);
    const after = await assessDrift(ctx('drift-2', shiftFromDay + 2 * horizon), services);
    const drift2 = await checkDrift(ctx('drift-2', shiftFromDay + 2 * horizon), services);
    const a2 = after.stats.skus.find((s) => s.sku === 'A')!;
    expect(a2.forecastRunId).toBe('reforecast-1');
    expect(a2.realisedDays).toBe(horizon);
    expect(accuracyRatio(a2)!).toBeLessThan(services.settings.DEMAND_DRIFT_ACCURACY_RATIO);
    expect(a2.realisedWape!).toBeLessThan(a1.realisedWape! / 2);
    expect(drift2.driftedSkus).not.toContain('A');
    const events2 = await openLakeTable(services.lake, lakeTables.drift_events).readAll({
      partitionFilter: (p) => p['run_id'] === 'drift-2',
    });
    expect(events2.filter((e) => e['sku'] === 'A' && e['kind'] === 'accuracy_wape')).toEqual([]);
    // Figures for the report: realised WAPE of A before and after the re-forecast.
    console.log(
      `SKU A realised WAPE ${a1.realisedWape!.toFixed(3)} (ratio ${accuracyRatio(a1)!.toFixed(2)}) → ${a2.realisedWape!.toFixed(3)} (ratio ${accuracyRatio(a2)!.toFixed(2)}); overall PSI ${drift1.psiOverall?.toFixed(3)}`,
    );

    // The policy registry still has one version, in production, from the scheduled run.
    const versions = await TablesTracker.fromEntityStore(services.entities).listModelVersions(
      services.settings.DEMAND_REGISTERED_MODEL_NAME,
    );
    expect(versions.map((v) => [v.version, v.aliases.sort()])).toEqual([['1', ['champion', 'production']]]);
  });
});
