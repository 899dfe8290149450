/**
 * This run's stock snapshots as columns while the inventory commit reads them: a first build reads
 * the fleet's whole stock history (255,000 snapshots at 32,000 SKUs). Held as objects, with a keyed
 * map of row objects for "the latest of each SKU and day" and the row list handed to the writer,
 * they took about 60 MB of the main thread's heap at once; as columns they take 28 bytes each
 * (plus each distinct SKU, date and source file text once), and the rows are built one at a time
 * as the writer takes them.
 */
import type { DeltaRow } from '../delta/types';
import { Dictionary } from './demandLines';
import type { InventorySnapshot } from './inventoryRecord';
import { StockFigures } from './stockFigures';

/** A typed array twice as long, its values kept. */
function grown<T extends Int32Array | Float64Array>(array: T, make: (n: number) => T): T {
  const next = make(Math.max(1024, array.length * 2));
  next.set(array);
  return next;
}

export class InventoryColumns {
  private readonly skus = new Dictionary();
  private readonly dates = new Dictionary();
  private readonly files = new Dictionary();
  private readonly months = new Map<number, string>();
  private sku = new Int32Array(0);
  private date = new Int32Array(0);
  private file = new Int32Array(0);
  private onHand = new Float64Array(0);
  /** NaN for a snapshot without on_order (validated values are never NaN). */
  private onOrder = new Float64Array(0);
  private count = 0;
  private latest: LatestSnapshots | undefined;

  get length(): number {
    return this.count;
  }

  add(s: InventorySnapshot): void {
    if (this.count === this.sku.length) {
      this.sku = grown(this.sku, (n) => new Int32Array(n));
      this.date = grown(this.date, (n) => new Int32Array(n));
      this.file = grown(this.file, (n) => new Int32Array(n));
      this.onHand = grown(this.onHand, (n) => new Float64Array(n));
      this.onOrder = grown(this.onOrder, (n) => new Float64Array(n));
    }
    const i = this.count;
    this.sku[i] = this.skus.id(s.sku);
    this.date[i] = this.dates.id(s.snapshotDate);
    this.file[i] = this.files.id(s.sourceFile);
    this.onHand[i] = s.onHand;
    this.onOrder[i] = s.onOrder === null ? Number.NaN : s.onOrder;
    this.count += 1;
    this.latest = undefined;
  }

  /** The snapshot months (YYYY-MM), sorted. */
  snapshotMonths(): string[] {
    return [...new Set(this.dates.values.map((d) => d.slice(0, 7)))].sort();
  }

  /** The snapshot at `i` as an inventory_snapshots row (its texts shared, not copied). */
  rowAt(i: number): DeltaRow {
    const dateId = this.date[i] as number;
    const orderUnits = this.onOrder[i] as number;
    return {
      snapshot_date: this.dates.values[dateId] as string,
      sku: this.skus.values[this.sku[i] as number] as string,
      on_hand: this.onHand[i] as number,
      on_order: Number.isNaN(orderUnits) ? null : orderUnits,
      source_file: this.files.values[this.file[i] as number] as string,
      snapshot_month: this.monthOf(dateId),
    };
  }

  /** Which snapshot of each SKU and day counts: the last one read (a partner's corrected file comes later). */
  latestOfEach(): LatestSnapshots {
    this.latest ??= LatestSnapshots.of(this.count, this.sku, this.date, this.skus, this.dates);
    return this.latest;
  }

  /** The figures the order pass reads, in the order read (duplicates included: the later one still wins downstream). */
  stockFigures(): StockFigures {
    const n = this.count;
    return StockFigures.fromColumns(
      this.skus.values,
      this.dates.values,
      this.sku.slice(0, n),
      this.date.slice(0, n),
      this.onHand.slice(0, n),
    );
  }

  private monthOf(dateId: number): string {
    let month = this.months.get(dateId);
    if (month === undefined) this.months.set(dateId, (month = (this.dates.values[dateId] as string).slice(0, 7)));
    return month;
  }
}

/**
 * The last snapshot of each SKU and day among `n`, found by sorting their indexes by (SKU, day, index):
 * two typed arrays instead of a map keyed by text. `has` answers for a stored row (binary search).
 */
export class LatestSnapshots {
  private constructor(
    private readonly flags: Uint8Array,
    /** Indexes of the latest snapshots, sorted by (SKU id, day id). */
    private readonly sorted: Uint32Array,
    private readonly sku: Int32Array,
    private readonly date: Int32Array,
    private readonly skus: Dictionary,
    private readonly dates: Dictionary,
    /** Snapshots replaced by a later one of the same SKU and day in the same batch. */
    readonly replacedInBatch: number,
  ) {}

  static of(n: number, sku: Int32Array, date: Int32Array, skus: Dictionary, dates: Dictionary): LatestSnapshots {
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i += 1) order[i] = i;
    order.sort((a, b) => (sku[a] as number) - (sku[b] as number) || (date[a] as number) - (date[b] as number) || a - b);
    const flags = new Uint8Array(n);
    let unique = 0;
    for (let k = 0; k < n; k += 1) {
      const i = order[k] as number;
      const j = order[k + 1];
      if (j !== undefined && sku[j] === sku[i] && date[j] === date[i]) continue;
      flags[i] = 1;
      order[unique] = i;
      unique += 1;
    }
    return new LatestSnapshots(flags, order.slice(0, unique), sku, date, skus, dates, n - unique);
  }

  /** Whether snapshot `i` is the last one of its SKU and day. */
  isLatest(i: number): boolean {
    return this.flags[i] === 1;
  }

  /** Whether the batch holds a snapshot of this SKU and day (a stored row of it is replaced). */
  has(skuText: string, dateText: string): boolean {
    const s = this.skus.find(skuText);
    const d = this.dates.find(dateText);
    if (s === undefined || d === undefined) return false;
    let lo = 0;
    let hi = this.sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const i = this.sorted[mid] as number;
      const c = (this.sku[i] as number) - s || (this.date[i] as number) - d;
      if (c === 0) return true;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}
