import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Values buffered before they are appended to the buckets' scratch files. */
export const defaultSpillValues = 500_000;

/**
 * Rows of numbers regrouped by SKU bucket through scratch files: rows come in any SKU order (a
 * table read month by month), and come back one bucket of SKUs at a time, in the order they were
 * added within a bucket. A row is `fieldsPerRow` numbers, the first the SKU's index in the sorted
 * SKU list; bucket b holds SKU indexes [b·bucketSkus, (b+1)·bucketSkus).
 */
export class SkuRowSpill {
  private readonly buffers = new Map<number, number[]>();
  private buffered = 0;

  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly fieldsPerRow: number,
    private readonly bucketSkus: number,
    private readonly spillValues = defaultSpillValues,
  ) {}

  /** Adds a row; returns a promise only when the buffer is spilled (a per-row await would cost more than the row). */
  add(values: readonly number[]): Promise<void> | undefined {
    if (values.length !== this.fieldsPerRow) throw new Error(`${this.name}: a row has ${this.fieldsPerRow} values, got ${values.length}`);
    const bucket = Math.floor((values[0] as number) / this.bucketSkus);
    let buffer = this.buffers.get(bucket);
    if (!buffer) this.buffers.set(bucket, (buffer = []));
    for (const v of values) buffer.push(v);
    this.buffered += values.length;
    return this.buffered >= this.spillValues ? this.flush() : undefined;
  }

  private fileOf(bucket: number): string {
    return path.join(this.dir, `${this.name}-${bucket}.f64`);
  }

  async flush(): Promise<void> {
    for (const [bucket, values] of this.buffers) await fs.appendFile(this.fileOf(bucket), Buffer.from(new Float64Array(values).buffer));
    this.buffers.clear();
    this.buffered = 0;
  }

  /** The bucket's rows, flat (`fieldsPerRow` values a row); call flush() once after the last add. */
  async read(bucket: number): Promise<Float64Array> {
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
}
