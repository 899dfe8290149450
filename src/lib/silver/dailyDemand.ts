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

/** A growable column of numbers in a typed array (a fleet's snapshots as JS arrays were ~4x the bytes). */
class GrowableColumn<T extends Int32Array | Float64Array> {
  length = 0;
  constructor(private values: T) {}

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new (this.values.constructor as new (n: number) => T)(Math.max(1024, 2 * this.values.length));
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length] = value;
    this.length += 1;
  }

  get(i: number): number {
    return this.values[i] as number;
  }
}

/**
 * Stock on hand per SKU: snapshots sorted by day; the latest at or before a day applies. Held as
 * columns (each SKU's days and figures a run of two typed arrays), since the main thread keeps the
 * fleet's index through the whole month pass.
 */
export class OnHandIndex {
  private constructor(
    /** Each SKU's slot: its snapshots are `days`/`values` from `start[slot]` to `start[slot + 1]`. */
    private readonly slots: ReadonlyMap<string, number>,
    private readonly start: Int32Array,
    private readonly days: Int32Array,
    private readonly values: Float64Array,
  ) {}

  static fromSnapshots(snapshots: Iterable<{ sku: string; snapshotDate: string; onHand: number }>): OnHandIndex {
    const builder = OnHandIndex.builder();
    for (const s of snapshots) builder.add(s.sku, s.snapshotDate, s.onHand);
    return builder.build();
  }

  /** Snapshots added one by one (e.g. as a table is read), so no list of snapshot objects is held. */
  static builder(): { add(sku: string, snapshotDate: string, onHand: number): void; build(): OnHandIndex } {
    const entries = new OnHandEntries();
    return {
      add: (sku, snapshotDate, onHand) => entries.add(sku, dayNumber(snapshotDate), onHand),
      build: () => OnHandIndex.built(entries),
    };
  }

  /** An index from columns (each SKU's snapshots in day order), as sliceFor() gives them. */
  static fromColumns(skus: readonly string[], slice: OnHandSlice): OnHandIndex {
    const entries = new OnHandEntries();
    for (let i = 0; i < slice.sku.length; i += 1) {
      entries.add(skus[slice.sku[i] as number] as string, slice.day[i] as number, slice.onHand[i] as number);
    }
    return OnHandIndex.built(entries);
  }

  private static built(entries: OnHandEntries): OnHandIndex {
    const { slots, start, days, values } = entries.grouped();
    return new OnHandIndex(slots, start, days, values);
  }

  /** Snapshots held (for the tests that keep the index compact). */
  get size(): number {
    return this.days.length;
  }

  /** The snapshots that decide `skus`' stock from `first` to `last` (the one in force at `first`, then those after). */
  sliceFor(skus: readonly string[], first: number, last: number): OnHandSlice {
    const sku: number[] = [];
    const day: number[] = [];
    const onHand: number[] = [];
    skus.forEach((name, k) => {
      const slot = this.slots.get(name);
      if (slot === undefined) return;
      const begin = this.start[slot] as number;
      const end = this.start[slot + 1] as number;
      let from = begin;
      while (from + 1 < end && (this.days[from + 1] as number) <= first) from += 1;
      for (let i = from; i < end && (this.days[i] as number) <= last; i += 1) {
        sku.push(k);
        day.push(this.days[i] as number);
        onHand.push(this.values[i] as number);
      }
    });
    return { sku: Int32Array.from(sku), day: Int32Array.from(day), onHand: Float64Array.from(onHand) };
  }

  onHand(sku: string, day: number): number | null {
    const slot = this.slots.get(sku);
    if (slot === undefined) return null;
    let lo = this.start[slot] as number;
    let hi = (this.start[slot + 1] as number) - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.days[mid] as number) <= day) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? null : (this.values[found] as number);
  }
}

/** Snapshots as they come: each SKU a slot (in first-seen order), then grouped and sorted by day once. */
class OnHandEntries {
  private readonly slots = new Map<string, number>();
  private readonly slot = new GrowableColumn(new Int32Array(0));
  private readonly day = new GrowableColumn(new Int32Array(0));
  private readonly value = new GrowableColumn(new Float64Array(0));

  add(sku: string, day: number, onHand: number): void {
    let slot = this.slots.get(sku);
    if (slot === undefined) this.slots.set(sku, (slot = this.slots.size));
    this.slot.push(slot);
    this.day.push(day);
    this.value.push(onHand);
  }

  grouped(): { slots: ReadonlyMap<string, number>; start: Int32Array; days: Int32Array; values: Float64Array } {
    const n = this.slot.length;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i += 1) order[i] = i;
    // By SKU, then day; of one SKU and day the later record replaces the earlier (stable sort: the last one).
    order.sort((a, b) => this.slot.get(a) - this.slot.get(b) || this.day.get(a) - this.day.get(b) || a - b);
    const start = new Int32Array(this.slots.size + 1);
    const days: number[] = [];
    const values: number[] = [];
    let previous = -1;
    for (let k = 0; k < n; k += 1) {
      const i = order[k] as number;
      const next = k + 1 < n ? (order[k + 1] as number) : -1;
      if (next >= 0 && this.slot.get(next) === this.slot.get(i) && this.day.get(next) === this.day.get(i)) continue;
      const slot = this.slot.get(i);
      while (previous < slot) start[++previous] = days.length;
      days.push(this.day.get(i));
      values.push(this.value.get(i));
    }
    while (previous < this.slots.size) start[++previous] = days.length;
    return { slots: this.slots, start, days: Int32Array.from(days), values: Float64Array.from(values) };
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
