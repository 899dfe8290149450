/**
 * This run's stock snapshots as columns, held from the inventory commit until the order pass has
 * read them (affected months, the stock index): a first build's snapshots are the fleet's whole
 * stock history (255,000 at 32,000 SKUs), and as objects with their strings they were about 110
 * bytes each on the main thread through the whole scan; as columns they are 16 bytes, plus each
 * distinct SKU and date once.
 */

import { Dictionary } from './demandLines';

/** What the order pass reads of a snapshot. */
export interface StockFigure {
  sku: string;
  snapshotDate: string;
  onHand: number;
}

export class StockFigures implements Iterable<StockFigure> {
  private constructor(
    private readonly skus: readonly string[],
    private readonly dates: readonly string[],
    private readonly sku: Int32Array,
    private readonly date: Int32Array,
    private readonly onHand: Float64Array,
  ) {}

  static readonly none = StockFigures.from([]);

  /** The snapshots' figures, in their order (a later one of the same SKU and day still wins downstream). */
  static from(snapshots: readonly StockFigure[]): StockFigures {
    const skus = new Dictionary();
    const dates = new Dictionary();
    const sku = new Int32Array(snapshots.length);
    const date = new Int32Array(snapshots.length);
    const onHand = new Float64Array(snapshots.length);
    snapshots.forEach((s, i) => {
      sku[i] = skus.id(s.sku);
      date[i] = dates.id(s.snapshotDate);
      onHand[i] = s.onHand;
    });
    return new StockFigures(skus.values, dates.values, sku, date, onHand);
  }

  /** Figures already held as columns (sku and date as indexes into `skus` and `dates`). */
  static fromColumns(
    skus: readonly string[],
    dates: readonly string[],
    sku: Int32Array,
    date: Int32Array,
    onHand: Float64Array,
  ): StockFigures {
    return new StockFigures(skus, dates, sku, date, onHand);
  }

  get length(): number {
    return this.sku.length;
  }

  /** Distinct SKUs held (for the tests that keep the columns compact). */
  get distinctSkus(): number {
    return this.skus.length;
  }

  *[Symbol.iterator](): Iterator<StockFigure> {
    for (let i = 0; i < this.sku.length; i += 1) {
      yield {
        sku: this.skus[this.sku[i] as number] as string,
        snapshotDate: this.dates[this.date[i] as number] as string,
        onHand: this.onHand[i] as number,
      };
    }
  }
}
