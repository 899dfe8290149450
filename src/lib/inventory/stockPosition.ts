/**
 * The latest stock position per SKU from Silver: partner snapshots (on hand and on order) first,
 * else the on-hand carried on daily demand. Only observations on or before the SKU's as-of date count.
 */
import type { DeltaRow } from '../delta/types';
import type { StockPosition } from './inventoryPolicy';

export interface DatedStock extends StockPosition {
  /** Day of the observation used (null when none). */
  observedOn: string | null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * @param asOfBySku SKU → last day that may be used (the forecast origin).
 * @param dailyDemand rows with sku, date, on_hand.
 * @param snapshots rows with sku, snapshot_date, on_hand, on_order.
 */
export function latestStockBySku(
  asOfBySku: ReadonlyMap<string, string>,
  dailyDemand: Iterable<DeltaRow>,
  snapshots: Iterable<DeltaRow> = [],
): Map<string, DatedStock> {
  const fromSnapshots = new Map<string, DatedStock>();
  for (const row of snapshots) {
    const sku = str(row.sku);
    const date = str(row.snapshot_date);
    const onHand = num(row.on_hand);
    if (sku === null || date === null || onHand === null) continue;
    const asOf = asOfBySku.get(sku);
    if (asOf === undefined || date > asOf) continue;
    const current = fromSnapshots.get(sku);
    if (current && current.observedOn !== null && current.observedOn >= date) continue;
    fromSnapshots.set(sku, { onHand, onOrder: num(row.on_order) ?? 0, observedOn: date });
  }
  const fromDemand = new Map<string, DatedStock>();
  for (const row of dailyDemand) {
    const sku = str(row.sku);
    const date = str(row.date);
    const onHand = num(row.on_hand);
    if (sku === null || date === null || onHand === null) continue;
    const asOf = asOfBySku.get(sku);
    if (asOf === undefined || date > asOf) continue;
    const current = fromDemand.get(sku);
    if (current && current.observedOn !== null && current.observedOn >= date) continue;
    fromDemand.set(sku, { onHand, onOrder: 0, observedOn: date });
  }
  const result = new Map<string, DatedStock>();
  for (const sku of asOfBySku.keys()) {
    const snapshot = fromSnapshots.get(sku);
    const demand = fromDemand.get(sku);
    // The newer observation wins; a snapshot carries on-order, so it wins ties.
    const chosen =
      snapshot && demand ? (demand.observedOn! > snapshot.observedOn! ? demand : snapshot) : (snapshot ?? demand);
    result.set(sku, chosen ?? { onHand: null, onOrder: 0, observedOn: null });
  }
  return result;
}
