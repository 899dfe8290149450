import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { withFloat64Room } from '../buffers/float64Growth';

/** Values buffered before they are appended to the buckets' scratch files. */
export const defaultSpillValues = 500_000;

/**
 * Rows of numbers regrouped by SKU bucket through scratch files: rows come in any SKU order (a
 * table read month by month), and come back one bucket of SKUs at a time, in the order they were
 * added within a bucket. A row is `fieldsPerRow` numbers, the first the SKU's index in the sorted
 * SKU list; bucket b holds SKU indexes [b·bucketSkus, (b+1)·bucketSkus).
 */
export class SkuRowSpill {
  // Per bucket a growable Float64Array: no boxed number or array per row (a number[] per bucket and an array per row were most of the spill's CPU and GC).
  private readonly buffers = new Map<number, { values: Float64Array; length: number }>();
  private buffered = 0;

  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly fieldsPerRow: number,
    private readonly bucketSkus: number,
    private readonly spillValues = defaultSpillValues,
  ) {}

  /**
   * Adds a row (its values are copied: a caller may reuse one array for every row); returns a
   * promise only when the buffer is spilled (a per-row await would cost more than the row).
   */
  add(values: readonly number[]): Promise<void> | undefined {
    const n = this.fieldsPerRow;
    if (values.length !== n) throw new Error(`${this.name}: a row has ${n} values, got ${values.length}`);
    const bucket = Math.floor((values[0] as number) / this.bucketSkus);
    let buffer = this.buffers.get(bucket);
    if (!buffer) this.buffers.set(bucket, (buffer = { values: new Float64Array(64 * n), length: 0 }));
    buffer.values = withFloat64Room(buffer.values, buffer.length + n);
    for (let k = 0; k < n; k++) buffer.values[buffer.length + k] = values[k] as number;
    buffer.length += n;
    this.buffered += n;
    return this.buffered >= this.spillValues ? this.flush() : undefined;
  }

  private fileOf(bucket: number): string {
    return path.join(this.dir, `${this.name}-${bucket}.f64`);
  }

  async flush(): Promise<void> {
    for (const [bucket, { values, length }] of this.buffers) {
      await fs.appendFile(this.fileOf(bucket), new Uint8Array(values.buffer, 0, length * Float64Array.BYTES_PER_ELEMENT));
    }
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
