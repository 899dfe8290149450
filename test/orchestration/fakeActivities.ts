import type { BuildSilverMessage, IngestInventoryMessage, IngestOrdersMessage } from '../../src/contracts/bronzeReferences';
import type {
  BuildSilverOutput,
  FinalizeForecastInput,
  ForecastBatchInput,
  ForecastBatchOutput,
  PlanForecastInput,
  PlanForecastOutput,
} from '../../src/contracts/messages';
import { activityNames } from '../../src/contracts/names';

/**
 * Contract-shaped stand-ins for the activities, so the orchestrator's sequencing, fan-out, retries
 * and callbacks are tested through the real replay engine in isolation. The real activities are
 * exercised end to end in test/e2e.
 */
export function fakeActivities(options: { skus: number; batchSize: number; drifted?: string[]; fleetDrift?: boolean }) {
  const calls: Array<{ name: string; input: unknown }> = [];
  const record =
    <I, O>(name: string, fn: (input: I) => O | Promise<O>) =>
    async (input: unknown): Promise<unknown> => {
      calls.push({ name, input });
      return fn(input as I);
    };
  const skus = Array.from({ length: options.skus }, (_, i) => `SKU${String(i).padStart(4, '0')}`);
  const activities: Record<string, (input: unknown) => Promise<unknown>> = {
    [activityNames.ingestOrders]: record('ingestOrders', (input: { runId: string }): IngestOrdersMessage => ({
      source: 'orders',
      pages: 3,
      records: 120,
      quantitySum: 999,
      batches: 1,
      manifestsPath: `runs/${input.runId}/bronze/orders-orders-manifests.json`,
      problems: {},
      watermarkBefore: null,
      watermarkAfter: '2011-12-09T12:50:00Z',
    })),
    [activityNames.ingestInventory]: record('ingestInventory', (input: { runId: string }): IngestInventoryMessage => ({
      filesFound: 2,
      filesIngested: 1,
      filesRejected: 1,
      rejected: [{ file: 'bad.csv', reason: 'bad header' }],
      records: 10,
      batches: 1,
      manifestsPath: `runs/${input.runId}/bronze/inventory-inventory-manifests.json`,
    })),
    [activityNames.buildSilver]: record('buildSilver', (input: BuildSilverMessage): BuildSilverOutput => ({
      orderLinesRead: 120,
      orderLinesKept: 100,
      unitsKept: 900,
      cancellations: 5,
      quarantined: 15,
      quarantineReasons: { price_not_positive: 10, non_product_code: 5 },
      inventoryRows: 10,
      skus: options.skus,
      dailyDemandRows: options.skus * 30,
      affectedFrom: '2011-01-01',
      affectedTo: '2011-01-30',
      tableVersions: { daily_demand: input.orderManifestsPath ? 7 : -1, order_lines: 2 },
    })),
    [activityNames.planForecast]: record('planForecast', (input: PlanForecastInput): PlanForecastOutput => {
      const chosen = input.skus ?? skus;
      return {
        skuCount: chosen.length,
        dailyDemandVersion: input.dailyDemandVersion < 0 ? 7 : input.dailyDemandVersion,
        inactiveSkus: 0,
        batchCount: Math.ceil(chosen.length / options.batchSize),
        batchSize: options.batchSize,
      };
    }),
    [activityNames.forecastBatch]: record('forecastBatch', (input: ForecastBatchInput): ForecastBatchOutput => ({
      batchId: input.batch.batchId,
      skus: input.batch.skus,
      forecastRows: input.batch.skus * input.horizonDays,
      models: { ets: input.batch.skus },
      fallbacks: {},
      backtest: { absError: 10, absActual: 100, maseSum: 0.8 * input.batch.skus, maseCount: input.batch.skus },
    })),
    [activityNames.finalizeForecast]: record('finalizeForecast', (input: FinalizeForecastInput) => ({
      trackingRunId: `track-${input.runId}`,
      modelVersion: '1',
      metrics: { wape: 0.1 },
      breakdownPath: `runs/${input.runId}/breakdown.json`,
    })),
    [activityNames.planInventory]: record('planInventory', () => ({ skus: options.skus, atRisk: 1, reorderSuggested: 2 })),
    [activityNames.publish]: record('publish', () => ({
      target: 'local',
      tables: { forecasts: 1 },
      outputs: { dashboard: '/tmp/x.html' },
    })),
    [activityNames.checkDrift]: record('checkDrift', () => ({
      events: (options.drifted ?? []).length,
      driftedSkus: options.drifted ?? [],
      fleetDrift: options.fleetDrift ?? false,
      psiOverall: 0.01,
    })),
  };
  return { activities, calls };
}
