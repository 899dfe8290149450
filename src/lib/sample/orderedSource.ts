import type { OrderRecord } from '../ingest/orderRecord';

/** Position in the API's stable order: (InvoiceDate, orderLineId). */
export type OrderKey = readonly [invoiceDate: string, orderLineId: string];

export function keyOf(record: OrderRecord): OrderKey {
  return [String(record.InvoiceDate ?? ''), String(record.orderLineId ?? '')];
}

export function compareKeys(a: OrderKey, b: OrderKey): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

export interface SliceRequest {
  /** Only records with InvoiceDate >= since (`YYYY-MM-DD HH:MM:SS`). */
  since: string | null;
  /** Only records strictly after this key. */
  after: OrderKey | null;
  count: number;
}

/** Records in the API's order, read a slice at a time. */
export interface OrderedSource {
  slice(request: SliceRequest): Promise<{ items: OrderRecord[]; hasMore: boolean }>;
}

const passes = (record: OrderRecord, request: SliceRequest): boolean =>
  (request.since === null || keyOf(record)[0] >= request.since) && (request.after === null || compareKeys(keyOf(record), request.after) > 0);

/** An in-memory source: sorted once, sliced by binary search. */
export class ArrayOrderedSource implements OrderedSource {
  private readonly records: OrderRecord[];

  private constructor(records: OrderRecord[]) {
    this.records = [...records].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  }

  static fromRecords(records: OrderRecord[]): ArrayOrderedSource {
    return new ArrayOrderedSource(records);
  }

  private firstIndex(request: SliceRequest): number {
    let lo = 0;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const record = this.records[mid];
      if (record && !passes(record, request)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async slice(request: SliceRequest): Promise<{ items: OrderRecord[]; hasMore: boolean }> {
    const start = this.firstIndex(request);
    return { items: this.records.slice(start, start + request.count), hasMore: start + request.count < this.records.length };
  }
}

/**
 * Where a restarted stream must begin: a factory may open it at the first record with InvoiceDate >=
 * `since` (a generator can seek, a file cannot); earlier records it yields anyway are skipped.
 */
export interface StreamStart {
  since: string | null;
}

/**
 * A streamed source (e.g. a gzipped CSV) for inputs too large to hold: it keeps one iterator and
 * continues it when the next request starts where the last slice ended (the usual case); any other
 * position restarts the stream (at `since`, where the factory can seek) and skips forward. Memory
 * stays at one page whatever the input size.
 */
export class StreamOrderedSource implements OrderedSource {
  private iterator: AsyncIterator<OrderRecord> | undefined;
  private position: { since: string | null; after: OrderKey | null } | undefined;
  private peeked: OrderRecord | undefined;
  private lastKey: OrderKey | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly open: (start: StreamStart) => AsyncIterable<OrderRecord>) {}

  static fromFactory(open: (start: StreamStart) => AsyncIterable<OrderRecord>): StreamOrderedSource {
    return new StreamOrderedSource(open);
  }

  private async pull(): Promise<OrderRecord | undefined> {
    if (this.peeked) {
      const record = this.peeked;
      this.peeked = undefined;
      return record;
    }
    const next = await this.iterator?.next();
    if (!next || next.done) return undefined;
    const key = keyOf(next.value);
    if (this.lastKey && compareKeys(key, this.lastKey) <= 0) {
      throw new Error(`orders source is not in (InvoiceDate, orderLineId) order at ${JSON.stringify(key)} after ${JSON.stringify(this.lastKey)}`);
    }
    this.lastKey = key;
    return next.value;
  }

  private samePosition(request: SliceRequest): boolean {
    const p = this.position;
    if (!p || p.since !== request.since) return false;
    if (p.after === null || request.after === null) return p.after === request.after;
    return compareKeys(p.after, request.after) === 0;
  }

  slice(request: SliceRequest): Promise<{ items: OrderRecord[]; hasMore: boolean }> {
    const run = async (): Promise<{ items: OrderRecord[]; hasMore: boolean }> => {
      if (!this.samePosition(request)) {
        await this.iterator?.return?.();
        this.iterator = this.open({ since: request.since })[Symbol.asyncIterator]();
        this.peeked = undefined;
        this.lastKey = null;
        for (;;) {
          const record = await this.pull();
          if (!record) break;
          if (passes(record, request)) {
            this.peeked = record;
            break;
          }
        }
      }
      const items: OrderRecord[] = [];
      while (items.length < request.count) {
        const record = await this.pull();
        if (!record) break;
        items.push(record);
      }
      this.peeked = await this.pull();
      const last = items.at(-1);
      this.position = { since: request.since, after: last ? keyOf(last) : request.after };
      return { items, hasMore: this.peeked !== undefined };
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
