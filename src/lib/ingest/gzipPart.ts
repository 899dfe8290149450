import { once } from 'node:events';
import { createGzip, type Gzip } from 'node:zlib';

/**
 * A Bronze part's NDJSON gzipped record by record as pages arrive, so a part of many pages is held
 * compressed (about a tenth of its text) and never as text or as one joined payload. Fed without
 * flushes, deflate gives the same bytes however the input is split: the same records make the same
 * part as gzipping them at once (writeBronzePart), which is what re-runs and sha256 checks rely on.
 */
export class GzipPart {
  private readonly gzip: Gzip = createGzip();
  private readonly chunks: Buffer[] = [];
  private failure: Error | undefined;
  records = 0;

  constructor() {
    this.gzip.on('data', (chunk: Buffer) => this.chunks.push(chunk));
    this.gzip.on('error', (err: Error) => (this.failure = err));
  }

  /** Appends records, one JSON line each (`null` for a record JSON cannot represent). */
  async add(records: readonly unknown[]): Promise<void> {
    if (records.length === 0) return;
    this.records += records.length;
    const text = `${records.map((r) => JSON.stringify(r) ?? 'null').join('\n')}\n`;
    if (!this.gzip.write(text)) await once(this.gzip, 'drain');
    if (this.failure) throw this.failure;
  }

  /** The gzipped part (an empty payload's gzip when nothing was added). */
  async end(): Promise<Buffer> {
    const ended = once(this.gzip, 'end');
    this.gzip.end();
    await ended;
    if (this.failure) throw this.failure;
    return Buffer.concat(this.chunks);
  }

  /** Drops a part that will not be written (an aborted fetch). */
  discard(): void {
    this.gzip.destroy();
  }
}
