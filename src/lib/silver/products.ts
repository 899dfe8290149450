/**
 * The SKU catalogue: per SKU its sale range, units, line count and one canonical description
 * (the most frequent non-empty one; ties go to the one seen latest, or earliest, per rule set).
 */
import type { DeltaRow } from '../delta/types';
import { dayFromNumber, dayNumber } from './orderRecord';

export interface SkuStats {
  first: number;
  last: number;
  units: number;
  lines: number;
  descriptions: Map<string, { count: number; lastTs: string; firstTs: string }>;
}

export interface ProductRow extends DeltaRow {
  sku: string;
  description: string | null;
  first_sale_date: string;
  last_sale_date: string;
  total_units: number;
  order_lines: number;
}

/** One description of one SKU, as `product_descriptions` stores it. */
export interface ProductDescriptionRow extends DeltaRow {
  sku: string;
  description: string;
  order_lines: number;
  first_order_ts: string;
  last_order_ts: string;
}

export class ProductCatalogue {
  private readonly stats = new Map<string, SkuStats>();

  constructor(private readonly tieBreak: 'latest' | 'earliest' = 'latest') {}

  /**
   * The catalogue stored by earlier runs: SKU totals from `products`, description counts from
   * `product_descriptions`. A run then merges only its own lines into it, so it never re-reads
   * the order lines of months it does not touch.
   */
  static fromTables(
    products: Iterable<ProductRow>,
    descriptions: Iterable<ProductDescriptionRow>,
    tieBreak: 'latest' | 'earliest' = 'latest',
  ): ProductCatalogue {
    const catalogue = new ProductCatalogue(tieBreak);
    for (const p of products) {
      catalogue.stats.set(p.sku, {
        first: dayNumber(p.first_sale_date),
        last: dayNumber(p.last_sale_date),
        units: p.total_units,
        lines: p.order_lines,
        descriptions: new Map(),
      });
    }
    for (const d of descriptions) {
      let s = catalogue.stats.get(d.sku);
      // Descriptions of a SKU with no product row yet: a run that stored its descriptions but not
      // its products. It has no lines until that run's totals are merged (see `skus`).
      if (!s) catalogue.stats.set(d.sku, (s = { first: Infinity, last: -Infinity, units: 0, lines: 0, descriptions: new Map() }));
      s.descriptions.set(d.description, { count: d.order_lines, firstTs: d.first_order_ts, lastTs: d.last_order_ts });
    }
    return catalogue;
  }

  /**
   * Every SKU's descriptions, sorted, for `product_descriptions`: also those of SKUs with no lines
   * here yet (stored by a run that has still to commit its products), so they are not lost.
   */
  descriptionRows(): ProductDescriptionRow[] {
    const rows: ProductDescriptionRow[] = [];
    for (const sku of [...this.stats.keys()].sort()) {
      const s = this.stats.get(sku) as SkuStats;
      for (const text of [...s.descriptions.keys()].sort()) {
        const d = s.descriptions.get(text) as { count: number; lastTs: string; firstTs: string };
        rows.push({ sku, description: text, order_lines: d.count, first_order_ts: d.firstTs, last_order_ts: d.lastTs });
      }
    }
    return rows;
  }

  add(line: { sku: string; description: string | null; quantity: number; orderDate: string; orderTs: string }): void {
    const day = dayNumber(line.orderDate);
    let s = this.stats.get(line.sku);
    if (!s) this.stats.set(line.sku, (s = { first: day, last: day, units: 0, lines: 0, descriptions: new Map() }));
    if (day < s.first) s.first = day;
    if (day > s.last) s.last = day;
    s.units += line.quantity;
    s.lines += 1;
    if (line.description !== null) {
      const d = s.descriptions.get(line.description);
      if (!d) s.descriptions.set(line.description, { count: 1, lastTs: line.orderTs, firstTs: line.orderTs });
      else {
        d.count += 1;
        if (line.orderTs > d.lastTs) d.lastTs = line.orderTs;
        if (line.orderTs < d.firstTs) d.firstTs = line.orderTs;
      }
    }
  }

  /** The per-SKU figures, to merge into another catalogue (they cross threads as structured clones). */
  entries(): Map<string, SkuStats> {
    return this.stats;
  }

  /**
   * Adds another catalogue's figures (e.g. one month's, built on a worker thread). With
   * `descriptions: false` only the totals are added (their descriptions are already counted here).
   */
  merge(other: Map<string, SkuStats>, options: { descriptions?: boolean } = {}): void {
    const withDescriptions = options.descriptions ?? true;
    for (const [sku, o] of other) {
      const s = this.stats.get(sku);
      if (!s) {
        const copied = withDescriptions ? [...o.descriptions].map(([text, d]) => [text, { ...d }] as const) : [];
        this.stats.set(sku, { ...o, descriptions: new Map(copied) });
        continue;
      }
      if (o.first < s.first) s.first = o.first;
      if (o.last > s.last) s.last = o.last;
      s.units += o.units;
      s.lines += o.lines;
      if (!withDescriptions) continue;
      for (const [text, d] of o.descriptions) {
        const mine = s.descriptions.get(text);
        if (!mine) s.descriptions.set(text, { ...d });
        else {
          mine.count += d.count;
          if (d.lastTs > mine.lastTs) mine.lastTs = d.lastTs;
          if (d.firstTs < mine.firstTs) mine.firstTs = d.firstTs;
        }
      }
    }
  }

  has(sku: string): boolean {
    return this.counted(sku) !== undefined;
  }

  /** A SKU's figures once it has lines (descriptions alone, from `fromTables`, do not count). */
  private counted(sku: string): SkuStats | undefined {
    const s = this.stats.get(sku);
    return s && s.lines > 0 ? s : undefined;
  }

  /** SKUs with at least one line, sorted. */
  skus(): string[] {
    return [...this.stats]
      .filter(([, s]) => s.lines > 0)
      .map(([sku]) => sku)
      .sort();
  }

  range(sku: string): { first: number; last: number } | undefined {
    const s = this.counted(sku);
    return s ? { first: s.first, last: s.last } : undefined;
  }

  canonicalDescription(sku: string): string | null {
    const s = this.stats.get(sku);
    if (!s) return null;
    let best: string | null = null;
    let bestCount = 0;
    let bestTs = '';
    for (const [text, d] of s.descriptions) {
      const ts = this.tieBreak === 'latest' ? d.lastTs : d.firstTs;
      const better =
        d.count > bestCount ||
        (d.count === bestCount && (this.tieBreak === 'latest' ? ts > bestTs : ts < bestTs)) ||
        (d.count === bestCount && ts === bestTs && best !== null && text < best);
      if (best === null || better) {
        best = text;
        bestCount = d.count;
        bestTs = ts;
      }
    }
    return best;
  }

  row(sku: string): ProductRow | undefined {
    const s = this.counted(sku);
    if (!s) return undefined;
    return {
      sku,
      description: this.canonicalDescription(sku),
      first_sale_date: dayFromNumber(s.first),
      last_sale_date: dayFromNumber(s.last),
      total_units: s.units,
      order_lines: s.lines,
    };
  }
}
