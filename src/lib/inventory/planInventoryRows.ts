/**
 * From a run's Gold forecast rows and Silver stock rows to Gold `inventory_actions` rows: groups the
 * forecasts per SKU, finds each SKU's stock position at its forecast origin and applies the policy.
 */
import type { DeltaRow } from '../delta/types';
import { SkuError } from '../errors';
import { planSkuInventory, type ForecastDay, type InventoryPolicy, type SkuInventoryAction } from './inventoryPolicy';
import { latestStockBySku } from './stockPosition';

export interface InventoryPlan {
  actions: SkuInventoryAction[];
  rows: DeltaRow[];
  summary: { skus: number; atRisk: number; reorderSuggested: number };
}

/** Two decimals keep the table readable; quantities in units do not need more. */
function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** A Gold forecasts row's expected units; null when the row has none (null, or a lake written before the column). */
export function expectedOf(row: DeltaRow): number | null {
  return row.expected === null || row.expected === undefined ? null : Number(row.expected);
}

/** Forecast days per SKU, fed row by row: one origin per SKU (the latest, if several slipped in). */
export class ForecastGroups {
  readonly bySku = new Map<string, { asOf: string; days: ForecastDay[] }>();

  add(row: DeltaRow): void {
    if (typeof row.sku !== 'string' || typeof row.target_date !== 'string' || typeof row.origin_date !== 'string') return;
    const entry = this.bySku.get(row.sku) ?? { asOf: row.origin_date, days: [] };
    if (row.origin_date > entry.asOf) {
      entry.asOf = row.origin_date;
      entry.days = [];
    }
    if (row.origin_date === entry.asOf) {
      entry.days.push({
        targetDate: row.target_date,
        point: Number(row.point),
        q05: Number(row.q05),
        q95: Number(row.q95),
        expected: expectedOf(row),
      });
    }
    this.bySku.set(row.sku, entry);
  }
}

export function groupForecastsBySku(forecastRows: Iterable<DeltaRow>): Map<string, { asOf: string; days: ForecastDay[] }> {
  const groups = new ForecastGroups();
  for (const row of forecastRows) groups.add(row);
  return groups.bySku;
}

export function toInventoryActionRow(runId: string, action: SkuInventoryAction, policy: InventoryPolicy): DeltaRow {
  return {
    run_id: runId,
    sku: action.sku,
    as_of: action.asOf,
    on_hand: action.onHand,
    days_of_cover: action.daysOfCover === null ? null : round2(action.daysOfCover),
    stockout_date: action.stockoutDate,
    safety_stock: round2(action.safetyStock),
    reorder_point: round2(action.reorderPoint),
    order_qty: action.orderQty,
    service_level: policy.serviceLevel,
    lead_time_days: policy.leadTimeDays,
    action: action.action,
  };
}

/** One SKU's action from its forecast days and stock, a failure named by SKU and table. */
export function planSkuAction(
  sku: string,
  forecast: { asOf: string; days: ForecastDay[] },
  stockOf: (sku: string) => { onHand: number | null; onOrder: number },
  policyFor: (sku: string) => InventoryPolicy,
): SkuInventoryAction {
  const s = stockOf(sku);
  try {
    return planSkuInventory(
      { sku, asOf: forecast.asOf, forecast: forecast.days, stock: { onHand: s.onHand, onOrder: s.onOrder } },
      policyFor(sku),
    );
  } catch (err) {
    throw SkuError.wrap(err, { sku, table: 'gold/inventory_actions', step: 'inventory policy' });
  }
}

/** Actions for every SKU of `forecasts` (sorted by SKU), each failure named by SKU and table. */
export function planInventoryActions(
  runId: string,
  forecasts: ReadonlyMap<string, { asOf: string; days: ForecastDay[] }>,
  stockOf: (sku: string) => { onHand: number | null; onOrder: number },
  policy: InventoryPolicy,
  /** The policy of one SKU (e.g. its supplier lead time from the product catalogue); default: `policy`. */
  policyFor: (sku: string) => InventoryPolicy = () => policy,
): InventoryPlan {
  const actions = [...forecasts.keys()].sort().map((sku) => planSkuAction(sku, forecasts.get(sku)!, stockOf, policyFor));
  return {
    actions,
    rows: actions.map((a) => toInventoryActionRow(runId, a, policyFor(a.sku))),
    summary: {
      skus: actions.length,
      atRisk: actions.filter((a) => a.atRisk).length,
      reorderSuggested: actions.filter((a) => a.action === 'reorder_now').length,
    },
  };
}

export function planInventoryRows(
  runId: string,
  forecastRows: Iterable<DeltaRow>,
  dailyDemandRows: Iterable<DeltaRow>,
  snapshotRows: Iterable<DeltaRow>,
  policy: InventoryPolicy,
  /** The policy of one SKU (e.g. its supplier lead time from the product catalogue); default: `policy`. */
  policyFor: (sku: string) => InventoryPolicy = () => policy,
): InventoryPlan {
  const forecasts = groupForecastsBySku(forecastRows);
  const asOfBySku = new Map([...forecasts].map(([sku, f]) => [sku, f.asOf]));
  const stock = latestStockBySku(asOfBySku, dailyDemandRows, snapshotRows);
  return planInventoryActions(runId, forecasts, (sku) => stock.get(sku) ?? { onHand: null, onOrder: 0 }, policy, policyFor);
}
