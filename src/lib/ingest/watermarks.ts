import { EntityConflictError, ValidationError } from '../errors';
import type { EntityStore, EntityTable } from '../tables/entityStore';
import { invoiceDatePattern } from './orderRecord';

export const watermarksTableName = 'watermarks';
const partitionKey = 'orders';

export interface OrdersWatermark {
  source: string;
  /** Largest InvoiceDate seen by a successful run (`YYYY-MM-DD HH:MM:SS`). */
  lastOrderTimestamp: string;
  /** Paging token of the last page that run fetched (diagnostics and manual resume). */
  cursor: string | null;
  runId: string;
  updatedAt: string;
}

export interface StoredWatermark {
  watermark: OrdersWatermark | undefined;
  etag: string | undefined;
}

/** Incremental state per orders source in the `watermarks` table (partition "orders", row = source). */
export class OrdersWatermarks {
  private constructor(private readonly table: EntityTable) {}

  static async fromEntityStore(entities: EntityStore): Promise<OrdersWatermarks> {
    return new OrdersWatermarks(await entities.table(watermarksTableName));
  }

  async get(source: string, options: { abortSignal?: AbortSignal } = {}): Promise<StoredWatermark> {
    const hit = await this.table.get(partitionKey, source, options);
    if (!hit) return { watermark: undefined, etag: undefined };
    const e = hit.entity;
    if (typeof e.lastOrderTimestamp !== 'string' || !invoiceDatePattern.test(e.lastOrderTimestamp)) {
      throw new ValidationError(
        'lastOrderTimestamp',
        `Watermark of source "${source}" has a bad lastOrderTimestamp: ${JSON.stringify(e.lastOrderTimestamp)}`,
      );
    }
    return {
      etag: hit.etag,
      watermark: {
        source,
        lastOrderTimestamp: e.lastOrderTimestamp,
        cursor: typeof e.cursor === 'string' ? e.cursor : null,
        runId: String(e.runId ?? ''),
        updatedAt: String(e.updatedAt ?? ''),
      },
    };
  }

  /**
   * Moves the watermark, guarded by the etag read at the start of the run: a concurrent run that
   * moved it first makes this throw EntityConflictError rather than silently going backwards.
   */
  async advance(next: OrdersWatermark, readEtag: string | undefined, options: { abortSignal?: AbortSignal } = {}): Promise<void> {
    const entity = { partitionKey, rowKey: next.source, ...next };
    if (readEtag === undefined) {
      try {
        await this.table.insert(entity, options);
      } catch (err) {
        if (err instanceof EntityConflictError) {
          // Only acceptable if it is this very run's own earlier write (an activity re-run).
          const now = await this.get(next.source, options);
          if (now.watermark?.runId === next.runId && now.watermark.lastOrderTimestamp === next.lastOrderTimestamp) return;
        }
        throw err;
      }
      return;
    }
    await this.table.replace(entity, { ...options, ifMatch: readEtag });
  }
  /** Every source's watermark (a stored watermark that is not valid is skipped with its source named). */
  async list(options: { abortSignal?: AbortSignal } = {}): Promise<OrdersWatermark[]> {
    const out: OrdersWatermark[] = [];
    for await (const e of this.table.list({ partitionKey, ...options })) {
      out.push({
        source: e.rowKey,
        lastOrderTimestamp: String(e.lastOrderTimestamp),
        cursor: typeof e.cursor === 'string' ? e.cursor : null,
        runId: String(e.runId ?? ''),
        updatedAt: String(e.updatedAt ?? ''),
      });
    }
    return out;
  }

  /** Sets a watermark unconditionally (an operator's repair: it may move backwards). */
  async set(next: OrdersWatermark, options: { abortSignal?: AbortSignal } = {}): Promise<void> {
    await this.table.upsert({ partitionKey, rowKey: next.source, ...next }, options);
  }
}

/** `YYYY-MM-DD HH:MM:SS` minus minutes, as the ISO instant the API's `since` takes (same wall clock). */
export function sinceFromWatermark(lastOrderTimestamp: string, overlapMinutes: number): string {
  const at = Date.parse(`${lastOrderTimestamp.replace(' ', 'T')}Z`);
  return new Date(at - overlapMinutes * 60_000).toISOString().replace('.000Z', 'Z');
}
