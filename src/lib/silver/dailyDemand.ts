/**
 * Daily demand per SKU: one row per SKU and day over the SKU's whole active range (first to last
 * sale), zero-filled, produced month by month so a run can overwrite only the months it affects
 * and never holds more than one month of rows.
 */
import { roundRevenue } from './demandLines';
import { dayFromNumber, dayNumber } from './orderRecord';

export interface DayRange {
  /** Day numbers (days since 1970-01-01), inclusive. */
  first: number;
  last: number;
}

/** Snapshots as columns: SKU (index into a SKU list), day number, units on hand. */
export interface OnHandSlice {
  sku: Int32Array;
  day: Int32Array;
  onHand: Float64Array;
}

/** The line columns daily demand reads (DemandLines, or the same columns rebuilt on a worker). */
export interface DemandLinesView {
  readonly length: number;
  readonly skus: { find(value: string): number | undefined; readonly size: number };
  readonly sku: Int32Array;
  readonly day: Int32Array;
  readonly quantity: Float64Array;
  readonly revenue: Float64Array;
  readonly invoice: Int32Array;
  readonly customer: Int32Array;
  readonly netted: Uint8Array;
}

/** Stock on hand per SKU: snapshots sorted by day; the latest at or before a day applies. */
export class OnHandIndex {
  private readonly bySku = new Map<string, { days: number[]; onHand: number[] }>();

  static fromSnapshots(snapshots: Iterable<{ sku: string; snapshotDate: string; onHand: number }>): OnHandIndex {
    const builder = OnHandIndex.builder();
    for (const s of snapshots) builder.add(s.sku, s.snapshotDate, s.onHand);
    return builder.build();
  }

  /** Snapshots added one by one (e.g. as a table is read), so no list of snapshot objects is held. */
  static builder(): { add(sku: string, snapshotDate: string, onHand: number): void; build(): OnHandIndex } {
    const grouped = new Map<string, Map<number, number>>();
    return {
      add(sku, snapshotDate, onHand) {
        let m = grouped.get(sku);
        if (!m) grouped.set(sku, (m = new Map<number, number>()));
        // A later record for the same SKU and day replaces the earlier one.
        m.set(dayNumber(snapshotDate), onHand);
      },
      build() {
        const index = new OnHandIndex();
        for (const [sku, m] of grouped) {
          const days = [...m.keys()].sort((a, b) => a - b);
          index.bySku.set(sku, { days, onHand: days.map((d) => m.get(d) as number) });
        }
        grouped.clear();
        return index;
      },
    };
  }

  /** An index from columns (each SKU's snapshots in day order), as sliceFor() gives them. */
  static fromColumns(skus: readonly string[], slice: OnHandSlice): OnHandIndex {
    const index = new OnHandIndex();
    for (let i = 0; i < slice.sku.length; i += 1) {
      const sku = skus[slice.sku[i] as number] as string;
      let s = index.bySku.get(sku);
      if (!s) index.bySku.set(sku, (s = { days: [], onHand: [] }));
      s.days.push(slice.day[i] as number);
      s.onHand.push(slice.onHand[i] as number);
    }
    return index;
  }

  /** The snapshots that decide `skus`' stock from `first` to `last` (the one in force at `first`, then those after). */
  sliceFor(skus: readonly string[], first: number, last: number): OnHandSlice {
    const sku: number[] = [];
    const day: number[] = [];
    const onHand: number[] = [];
    skus.forEach((name, k) => {
      const s = this.bySku.get(name);
      if (!s) return;
      let from = 0;
      while (from + 1 < s.days.length && (s.days[from + 1] as number) <= first) from += 1;
      for (let i = from; i < s.days.length && (s.days[i] as number) <= last; i += 1) {
        sku.push(k);
        day.push(s.days[i] as number);
        onHand.push(s.onHand[i] as number);
      }
    });
    return { sku: Int32Array.from(sku), day: Int32Array.from(day), onHand: Float64Array.from(onHand) };
  }

  onHand(sku: string, day: number): number | null {
    const s = this.bySku.get(sku);
    if (!s) return null;
    let lo = 0;
    let hi = s.days.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((s.days[mid] as number) <= day) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? null : (s.onHand[found] as number);
  }
}

export function monthOfDay(day: number): string {
  return dayFromNumber(day).slice(0, 7);
}

export function monthBounds(month: string): DayRange {
  const first = dayNumber(`${month}-01`);
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
  return { first, last: dayNumber(next) - 1 };
}

/** Every month ('YYYY-MM') from the month of `from` to the month of `to` (day numbers). */
export function monthsBetween(from: number, to: number): string[] {
  const months: string[] = [];
  let month = monthOfDay(from);
  const end = monthOfDay(to);
  while (month <= end) {
    months.push(month);
    month = monthOfDay(monthBounds(month).last + 1);
  }
  return months;
}

/** Line indexes grouped by SKU id, each group sorted by day; netted lines left out. */
function linesBySku(lines: DemandLinesView): Int32Array[] {
  const counts = new Int32Array(lines.skus.size);
  for (let i = 0; i < lines.length; i += 1)
    if (lines.netted[i] === 0) counts[lines.sku[i] as number] = (counts[lines.sku[i] as number] as number) + 1;
  const groups = Array.from(counts, (n) => new Int32Array(n));
  const fill = new Int32Array(lines.skus.size);
  for (let i = 0; i < lines.length; i += 1) {
    if (lines.netted[i] === 1) continue;
    const s = lines.sku[i] as number;
    (groups[s] as Int32Array)[fill[s] as number] = i;
    fill[s] = (fill[s] as number) + 1;
  }
  for (const g of groups) g.sort((a, b) => (lines.day[a] as number) - (lines.day[b] as number) || a - b);
  return groups;
}

/** One month of daily demand as columns (days as day numbers; the month is the partition). */
export interface DailyDemandColumns {
  month: string;
  length: number;
  /** The SKU of each row, as an index into `skus`. */
  skuIndex: Int32Array;
  skus: readonly string[];
  date: Int32Array;
  units: Float64Array;
  revenue: Float64Array;
  orders: Float64Array;
  customers: Float64Array;
  onHand: Array<number | null>;
  stockout: boolean[];
}

/** Builds daily demand columns month by month from one grouping of the lines. */
export class DailyDemandBuilder {
  private readonly groups: Int32Array[];
  private readonly invoiceSet = new Set<number>();
  private readonly customerSet = new Set<number>();

  constructor(
    private readonly lines: DemandLinesView,
    private readonly ranges: Map<string, DayRange>,
    private readonly onHand: OnHandIndex,
    private readonly skus: readonly string[] = [...ranges.keys()].sort(),
  ) {
    this.groups = linesBySku(lines);
  }

  month(month: string): DailyDemandColumns {
    const { lines, groups } = this;
    const bounds = monthBounds(month);
    let size = 0;
    for (const sku of this.skus) {
      const range = this.ranges.get(sku) as DayRange;
      const n = Math.min(range.last, bounds.last) - Math.max(range.first, bounds.first) + 1;
      if (n > 0) size += n;
    }
    const out: DailyDemandColumns = {
      month,
      length: size,
      skuIndex: new Int32Array(size),
      skus: this.skus,
      date: new Int32Array(size),
      units: new Float64Array(size),
      revenue: new Float64Array(size),
      orders: new Float64Array(size),
      customers: new Float64Array(size),
      onHand: new Array<number | null>(size),
      stockout: new Array<boolean>(size),
    };
    let row = 0;
    for (let s = 0; s < this.skus.length; s += 1) {
      const sku = this.skus[s] as string;
      const range = this.ranges.get(sku) as DayRange;
      const from = Math.max(range.first, bounds.first);
      const to = Math.min(range.last, bounds.last);
      if (from > to) continue;
      const skuId = lines.skus.find(sku);
      const group = skuId === undefined ? undefined : groups[skuId];
      // First line on or after `from` (binary search; groups are sorted by day).
      let pos = 0;
      if (group) {
        let lo = 0;
        let hi = group.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if ((lines.day[group[mid] as number] as number) < from) lo = mid + 1;
          else hi = mid;
        }
        pos = lo;
      }
      for (let day = from; day <= to; day += 1) {
        let units = 0;
        let revenue = 0;
        this.invoiceSet.clear();
        this.customerSet.clear();
        while (group && pos < group.length && lines.day[group[pos] as number] === day) {
          const i = group[pos] as number;
          units += lines.quantity[i] as number;
          revenue += lines.revenue[i] as number;
          this.invoiceSet.add(lines.invoice[i] as number);
          const c = lines.customer[i] as number;
          if (c >= 0) this.customerSet.add(c);
          pos += 1;
        }
        const onHand = this.onHand.onHand(sku, day);
        out.skuIndex[row] = s;
        out.date[row] = day;
        out.units[row] = units;
        out.revenue[row] = roundRevenue(revenue);
        out.orders[row] = this.invoiceSet.size;
        out.customers[row] = this.customerSet.size;
        out.onHand[row] = onHand;
        out.stockout[row] = onHand !== null && onHand <= 0;
        row += 1;
      }
    }
    return out;
  }
}
