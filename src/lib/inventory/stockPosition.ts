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
 * The latest stock observation per SKU, fed row by row (a stream of Silver rows): keeps one small
 * record per SKU, never the rows, so memory follows the SKU count and not the history read.
 */
export class LatestStock {
  private readonly fromSnapshots = new Map<string, DatedStock>();
  private readonly fromDemand = new Map<string, DatedStock>();

  constructor(private readonly asOfBySku: ReadonlyMap<string, string>) {}

  /** A snapshot row: sku, snapshot_date, on_hand, on_order. */
  addSnapshot(row: DeltaRow): void {
    this.addSnapshotValues(row.sku, row.snapshot_date, row.on_hand, row.on_order);
  }

  /** A daily demand row: sku, date, on_hand. */
  addDemand(row: DeltaRow): void {
    this.addDemandValues(row.sku, row.date, row.on_hand);
  }

  /** addSnapshot by values (a column batch's row i): no row object. */
  addSnapshotValues(sku: unknown, snapshotDate: unknown, onHand: unknown, onOrder: unknown): void {
    this.add(this.fromSnapshots, str(sku), str(snapshotDate), num(onHand), num(onOrder) ?? 0);
  }

  /** addDemand by values (a column batch's row i): no row object. */
  addDemandValues(sku: unknown, date: unknown, onHand: unknown): void {
    this.add(this.fromDemand, str(sku), str(date), num(onHand), 0);
  }

  private add(into: Map<string, DatedStock>, sku: string | null, date: string | null, onHand: number | null, onOrder: number): void {
    if (sku === null || date === null || onHand === null) return;
    const asOf = this.asOfBySku.get(sku);
    if (asOf === undefined || date > asOf) return;
    const current = into.get(sku);
    if (current && current.observedOn !== null && current.observedOn >= date) return;
    // A newer observation updates the SKU's record in place: a day-ordered read would otherwise leave one dead record per row.
    if (current) {
      current.onHand = onHand;
      current.onOrder = onOrder;
      current.observedOn = date;
    } else into.set(sku, { onHand, onOrder, observedOn: date });
  }

  /** The newer observation wins; a snapshot carries on-order, so it wins ties. */
  of(sku: string): DatedStock {
    const snapshot = this.fromSnapshots.get(sku);
    const demand = this.fromDemand.get(sku);
    const chosen = snapshot && demand ? (demand.observedOn! > snapshot.observedOn! ? demand : snapshot) : (snapshot ?? demand);
    return chosen ?? { onHand: null, onOrder: 0, observedOn: null };
  }
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
  const stock = new LatestStock(asOfBySku);
  for (const row of snapshots) stock.addSnapshot(row);
  for (const row of dailyDemand) stock.addDemand(row);
  return new Map([...asOfBySku.keys()].map((sku) => [sku, stock.of(sku)]));
}
