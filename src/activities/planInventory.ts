import { addDays, formatISO, parseISO } from 'date-fns';
import { DeltaTableNotFoundError, openLakeTable } from '../lib/delta';
import type { DeltaReadOptions, DeltaRow } from '../lib/delta/types';
import { ForecastGroups, LatestStock, planInventoryActions } from '../lib/inventory';
import type { PlanInventoryInput, PlanInventoryOutput } from '../contracts/messages';
import type { PipelineServices } from '../lib/pipelineServices';
import { loadCatalogueSource, readCatalogue } from '../lib/sources/catalogue';
import { lakeTables, type LakeTableName } from '../lib/lakeTables';

/** A lake table's rows as a stream; a table not written yet is empty. */
async function* rowsOf(lake: PipelineServices['lake'], name: LakeTableName, options: DeltaReadOptions): AsyncIterable<DeltaRow> {
  try {
    yield* openLakeTable(lake, lakeTables[name]).read(options);
  } catch (err) {
    if (err instanceof DeltaTableNotFoundError) return;
    throw err;
  }
}

/** How far back before the earliest forecast origin a stock observation is still looked for. */
const stockLookbackDays = 62;

/**
 * Inventory actions for a run: reads the run's Gold forecasts and the Silver stock around their
 * origins, applies the policy from settings (service level, lead time, review period) and replaces
 * the run's partition of Gold `inventory_actions` — re-running the activity gives the same table.
 */
export async function planInventory(input: PlanInventoryInput, services: PipelineServices): Promise<PlanInventoryOutput> {
  const { lake, settings } = services;
  const signal = services.abortSignal;
  const signalOption = signal ? { abortSignal: signal } : {};
  // Streamed: one small record per SKU is kept (its forecast days, its latest stock), never the rows read.
  const groups = new ForecastGroups();
  for await (const row of rowsOf(lake, 'forecasts', {
    partitionFilter: (p) => p['run_id'] === input.runId,
    columns: ['sku', 'origin_date', 'target_date', 'point', 'q05', 'q95'],
    ...signalOption,
  })) {
    groups.add(row);
  }
  const asOfBySku = new Map([...groups.bySku].map(([sku, f]) => [sku, f.asOf]));
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
  if (asOfBySku.size > 0) {
    for await (const row of rowsOf(lake, 'daily_demand', {
      partitionFilter: inMonths('month'),
      columns: ['sku', 'date', 'on_hand'],
      ...signalOption,
    }))
      stock.addDemand(row);
    for await (const row of rowsOf(lake, 'inventory_snapshots', {
      partitionFilter: inMonths('snapshot_month'),
      columns: ['sku', 'snapshot_date', 'on_hand', 'on_order'],
      ...signalOption,
    })) {
      stock.addSnapshot(row);
    }
  }
  const policy = {
    serviceLevel: settings.DEMAND_SERVICE_LEVEL,
    leadTimeDays: settings.DEMAND_LEAD_TIME_DAYS,
    reviewPeriodDays: settings.DEMAND_REVIEW_PERIOD_DAYS,
  };
  // A product catalogue's supplier lead time, where it gives one, replaces the global setting per SKU.
  const leadTimes = new Map<string, number>();
  if (settings.DEMAND_CATALOGUE_SOURCE) {
    const catalogue = await readCatalogue(lake, await loadCatalogueSource(settings.DEMAND_CATALOGUE_SOURCE), signalOption);
    for (const entry of catalogue.entries.values()) if (entry.leadTimeDays !== null) leadTimes.set(entry.sku, entry.leadTimeDays);
    services.log(
      `inventory: catalogue ${catalogue.files.join(', ') || '(no files)'}: ${catalogue.entries.size} SKUs, ${leadTimes.size} with a lead time, ${catalogue.problems.length} problem(s)${catalogue.problems[0] ? `, e.g. ${catalogue.problems[0].file} record ${catalogue.problems[0].record} ${catalogue.problems[0].field}: ${catalogue.problems[0].detail}` : ''}`,
    );
  }
  const plan = planInventoryActions(
    input.runId,
    groups.bySku,
    (sku) => stock.of(sku),
    policy,
    (sku) => {
      const leadTimeDays = leadTimes.get(sku);
      return leadTimeDays === undefined ? policy : { ...policy, leadTimeDays };
    },
  );
  const def = lakeTables.inventory_actions;
  await openLakeTable(lake, def).write(plan.rows, {
    schema: def.schema,
    partitionBy: def.partitionBy,
    mode: 'overwritePartitions',
    partitions: [{ run_id: input.runId }],
    commitInfo: { runId: input.runId, operation: 'planInventory' },
    ...signalOption,
  });
  services.log(
    `inventory: ${plan.summary.skus} SKUs, ${plan.summary.atRisk} at risk of stockout within ${settings.DEMAND_LEAD_TIME_DAYS} days, ${plan.summary.reorderSuggested} to reorder now`,
  );
  return plan.summary;
}
