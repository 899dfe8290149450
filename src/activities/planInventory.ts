import { addDays, formatISO, parseISO } from 'date-fns';
import { DeltaTableNotFoundError, openLakeTable, type TableState } from '../lib/delta';
import { readSchemaString } from '../lib/delta/schema';
import type { DeltaColumnBatch, DeltaReadOptions, DeltaRow, DeltaValue } from '../lib/delta/types';
import { LatestStock, planSkuAction, toInventoryActionRow, type DemandMeanSource } from '../lib/inventory';
import { ForecastBuckets } from '../lib/inventory/forecastBuckets';
import type { PlanInventoryInput, PlanInventoryOutput } from '../contracts/messages';
import type { PipelineServices } from '../lib/pipelineServices';
import { loadCatalogueSource, readCatalogue } from '../lib/sources/catalogue';
import { lakeTables, type LakeTableName } from '../lib/lakeTables';

/** A lake table's rows by column, one batch per row group of each data file (no object per row); a table not written yet is empty. */
async function* columnsOf(lake: PipelineServices['lake'], name: LakeTableName, options: DeltaReadOptions): AsyncIterable<DeltaColumnBatch> {
  try {
    yield* openLakeTable(lake, lakeTables[name]).readColumns(options);
  } catch (err) {
    if (err instanceof DeltaTableNotFoundError) return;
    throw err;
  }
}

const noValues: readonly DeltaValue[] = [];

/** A batch's columns by name; a column the batch lacks reads as nulls (as a row object's missing key did). */
function columnsIn<const N extends string>(batch: DeltaColumnBatch, names: readonly N[]): Record<N, readonly DeltaValue[]> {
  const out = {} as Record<N, readonly DeltaValue[]>;
  for (const name of names) out[name] = batch.columns[name] ?? noValues;
  return out;
}

/** The forecast columns inventory planning reads; `expected` only where the table has it. */
const forecastColumns = ['sku', 'origin_date', 'target_date', 'point', 'q05', 'q95'] as const;

/**
 * The Gold forecasts table's state, read once so both passes see the same version, and whether its
 * schema has `expected` (a lake written before the column has not: planning falls back to the point).
 * Null when no forecasts table exists yet.
 */
async function forecastsState(
  lake: PipelineServices['lake'],
  signalOption: DeltaReadOptions,
): Promise<{ state: TableState; hasExpected: boolean } | null> {
  const table = openLakeTable(lake, lakeTables.forecasts);
  let state: TableState;
  try {
    state = await table.state(signalOption);
  } catch (err) {
    if (err instanceof DeltaTableNotFoundError) return null;
    throw err;
  }
  const columns = readSchemaString(table.path, state.metadata?.schemaString).columns;
  return { state, hasExpected: columns.some((c) => c.name === 'expected') };
}

/**
 * Action rows per inventory_actions data file: the writer holds at most this many rows (one
 * bucket's worth), so the fleet's actions are written out in chunks, never held together.
 */
export const actionRowsPerFile = 2_000;

/** How far back before the earliest forecast origin a stock observation is still looked for. */
const stockLookbackDays = 62;

/** Each SKU's latest forecast origin in the run (one string per SKU, never its rows). */
async function originsBySku(
  lake: PipelineServices['lake'],
  runId: string,
  forecasts: TableState | undefined,
  signalOption: DeltaReadOptions,
): Promise<Map<string, string>> {
  const asOfBySku = new Map<string, string>();
  if (!forecasts) return asOfBySku;
  for await (const batch of columnsOf(lake, 'forecasts', {
    partitionFilter: (p) => p['run_id'] === runId,
    columns: ['sku', 'origin_date', 'target_date'],
    state: forecasts,
    ...signalOption,
  })) {
    const { sku: skus, origin_date: origins, target_date: targets } = batch.columns;
    for (let i = 0; i < batch.length; i++) {
      const sku = skus?.[i];
      const origin = origins?.[i];
      if (typeof sku !== 'string' || typeof targets?.[i] !== 'string' || typeof origin !== 'string') continue;
      const asOf = asOfBySku.get(sku);
      if (asOf === undefined || origin > asOf) asOfBySku.set(sku, origin);
    }
  }
  return asOfBySku;
}

/** Each SKU's latest stock at or before its origin, from Silver daily demand and snapshots around the origins. */
async function stockAtOrigins(
  lake: PipelineServices['lake'],
  asOfBySku: ReadonlyMap<string, string>,
  signalOption: DeltaReadOptions,
): Promise<LatestStock> {
  const origins = [...asOfBySku.values()].sort();
  const firstOrigin = origins[0];
  const fromMonth = firstOrigin
    ? formatISO(addDays(parseISO(firstOrigin), -stockLookbackDays), { representation: 'date' }).slice(0, 7)
    : '9999-12';
  const lastMonth = origins.at(-1)?.slice(0, 7) ?? '0000-01';
  const inMonths = (column: string) => (values: Record<string, string | null>) => {
    const month = values[column];
    return month !== null && month !== undefined && month >= fromMonth && month <= lastMonth;
  };
  const stock = new LatestStock(asOfBySku);
  if (asOfBySku.size === 0) return stock;
  for await (const batch of columnsOf(lake, 'daily_demand', {
    partitionFilter: inMonths('month'),
    columns: ['sku', 'date', 'on_hand'],
    ...signalOption,
  })) {
    const { sku, date, on_hand: onHand } = columnsIn(batch, ['sku', 'date', 'on_hand'] as const);
    for (let i = 0; i < batch.length; i++) stock.addDemandValues(sku[i], date[i], onHand[i]);
  }
  for await (const batch of columnsOf(lake, 'inventory_snapshots', {
    partitionFilter: inMonths('snapshot_month'),
    columns: ['sku', 'snapshot_date', 'on_hand', 'on_order'],
    ...signalOption,
  })) {
    const c = columnsIn(batch, ['sku', 'snapshot_date', 'on_hand', 'on_order'] as const);
    for (let i = 0; i < batch.length; i++) stock.addSnapshotValues(c.sku[i], c.snapshot_date[i], c.on_hand[i], c.on_order[i]);
  }
  return stock;
}

/** A product catalogue's supplier lead time per SKU, where it gives one (it replaces the global setting). */
async function catalogueLeadTimes(services: PipelineServices, signalOption: DeltaReadOptions): Promise<Map<string, number>> {
  const leadTimes = new Map<string, number>();
  const { settings, lake } = services;
  if (!settings.DEMAND_CATALOGUE_SOURCE) return leadTimes;
  const catalogue = await readCatalogue(lake, await loadCatalogueSource(settings.DEMAND_CATALOGUE_SOURCE), signalOption);
  for (const entry of catalogue.entries.values()) if (entry.leadTimeDays !== null) leadTimes.set(entry.sku, entry.leadTimeDays);
  services.log(
    `inventory: catalogue ${catalogue.files.join(', ') || '(no files)'}: ${catalogue.entries.size} SKUs, ${leadTimes.size} with a lead time, ${catalogue.problems.length} problem(s)${catalogue.problems[0] ? `, e.g. ${catalogue.problems[0].file} record ${catalogue.problems[0].record} ${catalogue.problems[0].field}: ${catalogue.problems[0].detail}` : ''}`,
  );
  return leadTimes;
}

/**
 * Inventory actions for a run: reads the run's Gold forecasts and the Silver stock around their
 * origins, applies the policy from settings (service level, lead time, review period) and replaces
 * the run's partition of Gold `inventory_actions` — re-running the activity gives the same table.
 *
 * Memory stays flat in the fleet: a first pass keeps each SKU's origin and stock (a few numbers per
 * SKU); a second spills the forecast rows to scratch files by SKU bucket (ForecastBuckets); then the
 * actions are planned and streamed to the writer one bucket at a time.
 */
export async function planInventory(
  input: PlanInventoryInput,
  services: PipelineServices,
  options: { bucketSkus?: number; spillRows?: number; actionRowsPerFile?: number } = {},
): Promise<PlanInventoryOutput> {
  const { lake, settings } = services;
  const signal = services.abortSignal;
  const signalOption = signal ? { abortSignal: signal } : {};
  const forecasts = await forecastsState(lake, signalOption);
  const asOfBySku = await originsBySku(lake, input.runId, forecasts?.state, signalOption);
  const stock = await stockAtOrigins(lake, asOfBySku, signalOption);
  const policy = {
    serviceLevel: settings.DEMAND_SERVICE_LEVEL,
    leadTimeDays: settings.DEMAND_LEAD_TIME_DAYS,
    reviewPeriodDays: settings.DEMAND_REVIEW_PERIOD_DAYS,
  };
  const leadTimes = await catalogueLeadTimes(services, signalOption);
  const policyFor = (sku: string) => {
    const leadTimeDays = leadTimes.get(sku);
    return leadTimeDays === undefined ? policy : { ...policy, leadTimeDays };
  };
  const { actionRowsPerFile: _rowsPerFile, ...bucketOptions } = options;
  const buckets = await ForecastBuckets.create(asOfBySku, { scratchDir: settings.DEMAND_SCRATCH_DIR, ...bucketOptions });
  const summary: PlanInventoryOutput = { skus: 0, atRisk: 0, reorderSuggested: 0 };
  const meanSources: Record<DemandMeanSource, number> = { expected: 0, point: 0, mixed: 0 };
  try {
    if (forecasts) {
      const columns: string[] = forecasts.hasExpected ? [...forecastColumns, 'expected'] : [...forecastColumns];
      for await (const batch of columnsOf(lake, 'forecasts', {
        partitionFilter: (p) => p['run_id'] === input.runId,
        columns,
        state: forecasts.state,
        ...signalOption,
      })) {
        const c = columnsIn(batch, [...forecastColumns, 'expected'] as const);
        for (let i = 0; i < batch.length; i++) {
          const spilled = buckets.addValues(c.sku[i], c.origin_date[i], c.target_date[i], c.point[i], c.q05[i], c.q95[i], c.expected[i]);
          if (spilled) await spilled;
        }
      }
    }
    // SKU by SKU (planInventoryActions' actions and rows, one at a time): a bucket's actions and rows,
    // held while the bucket was written, were promoted to the old generation.
    const stockOf = (sku: string) => stock.of(sku);
    const actionRows = async function* (): AsyncIterable<DeltaRow> {
      for await (const members of buckets.skuForecasts()) {
        for (const { sku, forecast } of members) {
          const action = planSkuAction(sku, forecast, stockOf, policyFor);
          summary.skus += 1;
          if (action.atRisk) summary.atRisk += 1;
          if (action.action === 'reorder_now') summary.reorderSuggested += 1;
          meanSources[action.meanSource]++;
          yield toInventoryActionRow(input.runId, action, policyFor(sku));
        }
      }
    };
    const def = lakeTables.inventory_actions;
    await openLakeTable(lake, def).write(actionRows(), {
      schema: def.schema,
      partitionBy: def.partitionBy,
      mode: 'overwritePartitions',
      partitions: [{ run_id: input.runId }],
      targetRowsPerFile: options.actionRowsPerFile ?? actionRowsPerFile,
      commitInfo: { runId: input.runId, operation: 'planInventory' },
      ...signalOption,
    });
  } finally {
    await buckets.close();
  }
  services.log(
    `inventory: ${summary.skus} SKUs, ${summary.atRisk} at risk of stockout within ${settings.DEMAND_LEAD_TIME_DAYS} days, ${summary.reorderSuggested} to reorder now; daily mean from expected units for ${meanSources.expected} SKUs, from the point for ${meanSources.point}${forecasts && !forecasts.hasExpected ? ' (the forecasts table predates the expected column)' : ''}${meanSources.mixed ? `, mixed for ${meanSources.mixed}` : ''}`,
  );
  return summary;
}
