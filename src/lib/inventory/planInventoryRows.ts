/**
 * From a run's Gold forecast rows and Silver stock rows to Gold `inventory_actions` rows: groups the
 * forecasts per SKU, finds each SKU's stock position at its forecast origin and applies the policy.
 */
import type { DeltaRow } from '../delta/types';
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

export function groupForecastsBySku(forecastRows: Iterable<DeltaRow>): Map<string, { asOf: string; days: ForecastDay[] }> {
  const bySku = new Map<string, { asOf: string; days: ForecastDay[] }>();
  for (const row of forecastRows) {
    if (typeof row.sku !== 'string' || typeof row.target_date !== 'string' || typeof row.origin_date !== 'string') continue;
    const entry = bySku.get(row.sku) ?? { asOf: row.origin_date, days: [] };
    // A SKU has one origin per run; keep the latest if several slipped in.
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
      });
    }
    bySku.set(row.sku, entry);
  }
  return bySku;
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
  const actions = [...forecasts.keys()].sort().map((sku) => {
    const f = forecasts.get(sku)!;
    const s = stock.get(sku) ?? { onHand: null, onOrder: 0 };
    return planSkuInventory({ sku, asOf: f.asOf, forecast: f.days, stock: { onHand: s.onHand, onOrder: s.onOrder } }, policyFor(sku));
  });
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
