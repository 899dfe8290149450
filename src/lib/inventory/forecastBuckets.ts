import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DeltaRow } from '../delta/types';
import type { ForecastDay } from './inventoryPolicy';
import { expectedOf } from './planInventoryRows';
import { dayNumberOf as dayNumber, isoDateOfDayNumber as isoOfDayNumber } from '../calendar/dayNumbers';
import { withFloat64Room } from '../buffers/float64Growth';

/** A SKU's forecast days at its origin, as inventory planning takes them. */
export interface SkuForecastDays {
  asOf: string;
  days: ForecastDay[];
}

/** SKUs whose forecast days are in memory at a time. */
export const defaultBucketSkus = 2_000;
/** Rows buffered before they are spilled to the buckets' scratch files. */
export const defaultSpillRows = 100_000;
/** A spilled row: SKU's index in its bucket, target day number, point, q05, q95, expected (NaN for none). */
const fieldsPerRow = 6;

/**
 * A run's Gold forecast rows regrouped by SKU through scratch files (DEMAND_SCRATCH_DIR or the OS
 * temp folder), so inventory planning holds one bucket of SKUs' forecast days at a time, never the
 * fleet's. SKUs are bucketed in sorted order, so buckets come out sorted too; within a SKU the rows
 * keep the order they were added in. Only rows of a SKU's origin (`asOfBySku`) are kept, as
 * ForecastGroups does.
 */
export class ForecastBuckets {
  private readonly skus: string[];
  private readonly slot: Map<string, number>;
  // Per bucket a growable Float64Array: no boxed number per value, outside the V8 heap.
  private readonly buffers = new Map<number, { values: Float64Array; length: number }>();
  private buffered = 0;

  private constructor(
    private readonly dir: string,
    private readonly asOfBySku: ReadonlyMap<string, string>,
    private readonly bucketSkus: number,
    private readonly spillRows: number,
  ) {
    this.skus = [...asOfBySku.keys()].sort();
    this.slot = new Map(this.skus.map((sku, i) => [sku, i]));
  }

  static async create(
    asOfBySku: ReadonlyMap<string, string>,
    options: { scratchDir?: string | undefined; bucketSkus?: number; spillRows?: number } = {},
  ): Promise<ForecastBuckets> {
    const dir = await fs.mkdtemp(path.join(options.scratchDir ?? os.tmpdir(), 'inventory-'));
    return new ForecastBuckets(dir, asOfBySku, options.bucketSkus ?? defaultBucketSkus, options.spillRows ?? defaultSpillRows);
  }

  /** Values the spill buffers hold (their capacity) right now: bounded by the spill size, never by the fleet or the rows added. */
  get heldValues(): number {
    let held = 0;
    for (const { values } of this.buffers.values()) held += values.length;
    return held;
  }

  get bucketCount(): number {
    return Math.ceil(this.skus.length / this.bucketSkus);
  }

  /**
   * A Gold forecasts row (sku, origin_date, target_date, point, q05, q95 and, when the lake has it,
   * expected). Returns a promise only when the buffer is spilled (a per-row await costs more than the row).
   */
  add(row: DeltaRow): Promise<void> | undefined {
    return this.addValues(row.sku, row.origin_date, row.target_date, row.point, row.q05, row.q95, expectedOf(row));
  }

  /** add() by values (a column batch's row i): no row object. `expected` null or undefined for none. */
  addValues(
    sku: unknown,
    originDate: unknown,
    targetDate: unknown,
    point: unknown,
    q05: unknown,
    q95: unknown,
    expected: unknown,
  ): Promise<void> | undefined {
    if (typeof sku !== 'string' || typeof targetDate !== 'string' || typeof originDate !== 'string') return undefined;
    const index = this.slot.get(sku);
    if (index === undefined || originDate !== this.asOfBySku.get(sku)) return undefined;
    const bucket = Math.floor(index / this.bucketSkus);
    let buffer = this.buffers.get(bucket);
    if (!buffer) this.buffers.set(bucket, (buffer = { values: new Float64Array(64 * fieldsPerRow), length: 0 }));
    buffer.values = withFloat64Room(buffer.values, buffer.length + fieldsPerRow);
    const v = buffer.values;
    const at = buffer.length;
    v[at] = index % this.bucketSkus;
    v[at + 1] = dayNumber(targetDate);
    v[at + 2] = Number(point);
    v[at + 3] = Number(q05);
    v[at + 4] = Number(q95);
    v[at + 5] = expected === null || expected === undefined ? Number.NaN : Number(expected);
    buffer.length += fieldsPerRow;
    return ++this.buffered >= this.spillRows ? this.spill() : undefined;
  }

  private fileOf(bucket: number): string {
    return path.join(this.dir, `${bucket}.f64`);
  }

  private async spill(): Promise<void> {
    for (const [bucket, { values, length }] of this.buffers) {
      await fs.appendFile(this.fileOf(bucket), new Uint8Array(values.buffer, 0, length * Float64Array.BYTES_PER_ELEMENT));
    }
    // Dropped, not kept for reuse: a bucket's buffer can grow to the whole spill, and kept for every bucket that would follow the fleet.
    this.buffers.clear();
    this.buffered = 0;
  }

  /** Each bucket's SKUs with their forecast days, in SKU order; one bucket in memory at a time. */
  async *buckets(): AsyncIterable<Map<string, SkuForecastDays>> {
    for await (const members of this.skuForecasts()) yield new Map([...members].map(({ sku, forecast }) => [sku, forecast]));
  }

  /**
   * buckets() SKU by SKU: each bucket's SKUs in SKU order (every SKU of the bucket, with or without
   * rows), a SKU's forecast days built only when the caller takes it. The bucket itself stays its
   * spilled numbers: a bucket's worth of day objects, alive while the whole bucket was planned and
   * written, was promoted to the old generation (measured 110 MB at 32k SKUs).
   */
  async *skuForecasts(): AsyncIterable<Iterable<{ sku: string; forecast: SkuForecastDays }>> {
    await this.spill();
    for (let b = 0; b < this.bucketCount; b++) {
      const members = this.skus.slice(b * this.bucketSkus, (b + 1) * this.bucketSkus);
      yield this.membersOf(members, await this.readBucket(b));
    }
  }

  /** The members' days from a bucket's rows, by a stable counting sort on the member index (rows keep their added order). */
  private *membersOf(members: readonly string[], rows: Float64Array): Iterable<{ sku: string; forecast: SkuForecastDays }> {
    const count = rows.length / fieldsPerRow;
    const starts = new Int32Array(members.length + 1);
    for (let k = 0; k < rows.length; k += fieldsPerRow) starts[rows[k]! + 1]!++;
    for (let m = 1; m <= members.length; m++) starts[m]! += starts[m - 1]!;
    const next = starts.slice(0, members.length);
    const order = new Int32Array(count);
    for (let i = 0; i < count; i++) order[next[rows[i * fieldsPerRow]!]!++] = i;
    for (let m = 0; m < members.length; m++) {
      const sku = members[m]!;
      const days: ForecastDay[] = [];
      for (let j = starts[m]!; j < starts[m + 1]!; j++) {
        const k = order[j]! * fieldsPerRow;
        days.push({
          targetDate: isoOfDayNumber(rows[k + 1]!),
          point: rows[k + 2]!,
          q05: rows[k + 3]!,
          q95: rows[k + 4]!,
          expected: Number.isNaN(rows[k + 5]!) ? null : rows[k + 5]!,
        });
      }
      yield { sku, forecast: { asOf: this.asOfBySku.get(sku)!, days } };
    }
  }

  private async readBucket(bucket: number): Promise<Float64Array> {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(this.fileOf(bucket));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Float64Array(0); // no rows for these SKUs
      throw err;
    }
    // A fresh ArrayBuffer: a small file's Buffer may sit at an offset in a pool, unaligned for Float64Array.
    return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }

  async close(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
