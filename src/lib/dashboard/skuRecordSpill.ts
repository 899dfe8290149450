import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Record characters buffered before they are appended to the buckets' scratch files. */
export const defaultSpillChars = 1_000_000;

/**
 * SkuRowSpill for small JSON records (a SKU's metrics, inventory action, product): records come in
 * any SKU order and come back one bucket of SKUs at a time, in the order they were added, so the
 * writer holds one bucket's records instead of the fleet's.
 */
export class SkuRecordSpill<T> {
  private readonly buffers = new Map<number, string[]>();
  private buffered = 0;

  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly bucketSkus: number,
    private readonly spillChars = defaultSpillChars,
  ) {}

  async add(skuIndex: number, record: T): Promise<void> {
    const bucket = Math.floor(skuIndex / this.bucketSkus);
    const line = `${JSON.stringify([skuIndex, record])}\n`;
    let buffer = this.buffers.get(bucket);
    if (!buffer) this.buffers.set(bucket, (buffer = []));
    buffer.push(line);
    this.buffered += line.length;
    if (this.buffered >= this.spillChars) await this.flush();
  }

  private fileOf(bucket: number): string {
    return path.join(this.dir, `${this.name}-${bucket}.jsonl`);
  }

  async flush(): Promise<void> {
    for (const [bucket, lines] of this.buffers) await fs.appendFile(this.fileOf(bucket), lines.join(''), 'utf8');
    this.buffers.clear();
    this.buffered = 0;
  }

  /** The bucket's records as [SKU index, record], in the order added; call flush() once after the last add. */
  async read(bucket: number): Promise<Array<[number, T]>> {
    let text: string;
    try {
      text = await fs.readFile(this.fileOf(bucket), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []; // no records for these SKUs
      throw err;
    }
    const out: Array<[number, T]> = [];
    for (const line of text.split('\n')) if (line.length > 0) out.push(JSON.parse(line) as [number, T]);
    return out;
  }
}
