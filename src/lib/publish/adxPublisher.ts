/**
 * Publishes Gold/Silver rows to Azure Data Explorer with azure-kusto-ingest.
 *
 * Batch runs use queued ingestion: each (table, partition) of the run is read from the lake through
 * the Delta module, written as gzipped JSON lines to the ingestion service's temp storage and queued
 * with the table's JSON mapping and the tag `ingest-by:<runId>|<table>|<partition>` plus
 * `ingestIfNotExists` on the same tag — ADX drops a repeated ingestion, so re-publishing a run never
 * duplicates rows. Daily demand months are tagged by content instead (their Delta files), so a
 * month no run has changed is not ingested again by the next run. A single-SKU re-forecast streams its few rows (seconds instead of minutes of
 * batching); streaming has no tags, so the LatestForecast view's arg_max hides any repeat.
 * After every table of a whole full run is queued, one Runs row records the run as completed with
 * the rows it queued (adxRunsTable): ADX's LatestRunId() counts only such runs once they landed.
 */
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import { KustoConnectionStringBuilder } from 'azure-kusto-data';
import {
  CompressionType,
  DataFormat,
  IngestClient,
  IngestionMappingKind,
  StreamDescriptor,
  StreamingIngestClient,
} from 'azure-kusto-ingest';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { addDays, formatISO, parseISO } from 'date-fns';
import { openLakeTable } from '../delta';
import type { DeltaRow } from '../delta/types';
import { UpstreamError, ValidationError, errorText } from '../errors';
import type { LakeStore } from '../lake/lakeStore';
import { lakeTables } from '../lakeTables';
import { adxRunsTable, adxTables, type AdxRunRecord, type AdxTableDef } from './adxModel';
import { lakePartitions, readLakeRows } from './lakeRows';
import type { PublishOptions, PublishResult, Publisher } from './publisher';

export interface AdxPublisherOptions {
  /** Query/engine endpoint, e.g. https://demand.westeurope.kusto.windows.net (streaming ingestion goes here). */
  clusterUrl: string;
  /** Data management endpoint, e.g. https://ingest-demand.westeurope.kusto.windows.net (queued ingestion). */
  ingestUrl: string;
  database: string;
  lake: LakeStore;
  /** Entra ID credential for both endpoints (default: DefaultAzureCredential, i.e. managed identity in Azure). */
  credential?: TokenCredential;
  /** Days of daily demand history (before the newest day) published with each run. */
  historyDays?: number;
  log?: (message: string) => void;
  /** Publish time stamped on rows (the views keep the newest); injectable for tests. */
  now?: () => Date;
}

const defaultHistoryDays = 180;

/** The tag value that makes one (run, table, partition) ingestion happen at most once. */
export function ingestByTag(runId: string, table: string, partition: string): string {
  return `${runId}|${table}|${partition}`;
}

function toNdjsonGzip(rows: DeltaRow[]): Buffer {
  return gzipSync(Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n', 'utf8'));
}

function assertHttpUrl(field: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError(field, `${field} must be a URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ValidationError(field, `${field} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
}

export class AdxPublisher implements Publisher {
  readonly target = 'adx';
  private readonly queued: IngestClient;
  private readonly streaming: StreamingIngestClient;
  private readonly log: (message: string) => void;
  private readonly now: () => Date;
  private readonly historyDays: number;

  private constructor(private readonly options: AdxPublisherOptions) {
    assertHttpUrl('DEMAND_ADX_CLUSTER_URL', options.clusterUrl);
    assertHttpUrl('DEMAND_ADX_INGEST_URL', options.ingestUrl);
    if (!/^[A-Za-z0-9_.-]+$/.test(options.database)) {
      throw new ValidationError('DEMAND_ADX_DATABASE', `ADX database name is invalid: ${JSON.stringify(options.database)}`);
    }
    const credential = options.credential ?? new DefaultAzureCredential();
    // autoCorrectEndpoint=false: both endpoints are given explicitly.
    this.queued = new IngestClient(
      KustoConnectionStringBuilder.withTokenCredential(options.ingestUrl, credential),
      { database: options.database },
      false,
    );
    this.streaming = new StreamingIngestClient(
      KustoConnectionStringBuilder.withTokenCredential(options.clusterUrl, credential),
      { database: options.database },
      false,
    );
    this.log = options.log ?? (() => undefined);
    this.now = options.now ?? (() => new Date());
    this.historyDays = options.historyDays ?? defaultHistoryDays;
  }

  static fromOptions(options: AdxPublisherOptions): AdxPublisher {
    return new AdxPublisher(options);
  }

  get databaseUrl(): string {
    return `${this.options.clusterUrl.replace(/\/+$/, '')}/${this.options.database}`;
  }

  /** Rows of one table for a run, grouped by the lake partition they are published as. */
  private async partitionsOf(def: AdxTableDef, runId: string, options: PublishOptions): Promise<Map<string, DeltaRow[]>> {
    const signal = options.abortSignal ? { abortSignal: options.abortSignal } : {};
    const publishedAt = this.now().toISOString();
    const stamp = (row: DeltaRow): DeltaRow => ({
      ...row,
      ...(def.publishColumns.some((c) => c.name === 'run_id') ? { run_id: runId } : {}),
      published_at: publishedAt,
    });
    if (def.lakeTable !== 'daily_demand') {
      const rows = await readLakeRows(this.options.lake, def.lakeTable, { runId, ...signal });
      return new Map(rows.length > 0 ? [[`run_id=${runId}`, rows.map(stamp)]] : []);
    }
    // Daily demand: the months covering the last `historyDays` days before the newest month.
    const lastMonth = (await lakePartitions(this.options.lake, 'daily_demand', 'month', signal)).sort().at(-1);
    if (!lastMonth) return new Map();
    const firstMonth = formatISO(addDays(parseISO(`${lastMonth}-28`), -this.historyDays - 31), { representation: 'date' }).slice(0, 7);
    const rows = await readLakeRows(this.options.lake, 'daily_demand', {
      partitionFilter: (v) => (v.month ?? '') >= firstMonth,
      ...signal,
    });
    const byMonth = new Map<string, DeltaRow[]>();
    for (const row of rows) {
      const key = `month=${String(row.month)}`;
      const list = byMonth.get(key) ?? [];
      list.push(stamp(row));
      byMonth.set(key, list);
    }
    return new Map([...byMonth.entries()].sort((a, b) => a[0].localeCompare(b[0])));
  }

  /**
   * Content fingerprints of daily_demand's month partitions (their Delta data file paths, which
   * change whenever a run rewrites the month). Tagging by content instead of by run lets
   * ingestIfNotExists skip months no run has changed, so DailyDemand does not grow by the whole
   * history window on every run.
   */
  private async monthFingerprints(options: PublishOptions): Promise<Map<string, string>> {
    const snapshot = await openLakeTable(this.options.lake, lakeTables.daily_demand).snapshot(
      options.abortSignal ? { abortSignal: options.abortSignal } : {},
    );
    const paths = new Map<string, string[]>();
    for (const file of snapshot.files) {
      const key = `month=${file.partitionValues['month'] ?? ''}`;
      paths.set(key, [...(paths.get(key) ?? []), file.path]);
    }
    return new Map(
      [...paths.entries()].map(([key, list]) => [key, createHash('sha256').update(list.sort().join('\n')).digest('hex').slice(0, 16)]),
    );
  }

  /** Queues rows once per tag: ADX drops a repeated ingestion with the same ingest-by tag. */
  private async queueOnce(table: string, mapping: string, partition: string, tag: string, rows: DeltaRow[]): Promise<void> {
    try {
      await this.queued.ingestFromStream(new StreamDescriptor(Readable.from([toNdjsonGzip(rows)]), null, CompressionType.GZIP), {
        database: this.options.database,
        table,
        format: DataFormat.JSON,
        ingestionMappingReference: mapping,
        ingestionMappingKind: IngestionMappingKind.JSON,
        ingestByTags: [tag],
        ingestIfNotExists: JSON.stringify([tag]),
      });
    } catch (err) {
      throw new UpstreamError(`Queued ingestion into ADX table ${table} (${partition}) failed: ${errorText(err, 500)}`, undefined, {
        cause: err,
      });
    }
  }

  async publishRun(runId: string, options: PublishOptions = {}): Promise<PublishResult> {
    const tables: Record<string, number> = {};
    for (const def of adxTables.filter((d) => !options.tables || options.tables.includes(d.lakeTable))) {
      options.abortSignal?.throwIfAborted();
      const partitions = await this.partitionsOf(def, runId, options);
      const fingerprints = def.lakeTable === 'daily_demand' && partitions.size > 0 ? await this.monthFingerprints(options) : undefined;
      let published = 0;
      for (const [partition, rows] of partitions) {
        const content = fingerprints?.get(partition);
        const tag = content ? ingestByTag(`daily_demand@${content}`, def.table, partition) : ingestByTag(runId, def.table, partition);
        await this.queueOnce(def.table, def.mapping, partition, tag, rows);
        published += rows.length;
      }
      tables[def.table] = published;
      this.log(`adx: queued ${published} rows for ${def.table} in ${partitions.size} partition(s)`);
    }
    // A whole full run (not a table subset such as the drift check's, nor a re-forecast of some
    // SKUs) is recorded as completed, last.
    if (!options.tables && !(options.reforecastSkus && options.reforecastSkus.length > 0)) await this.recordRun(runId, tables);
    return { target: this.target, tables, outputs: { adx: this.databaseUrl } };
  }

  /** Queues the run's Runs row (see adxRunsTable) with the row counts just queued. */
  private async recordRun(runId: string, tables: Record<string, number>): Promise<void> {
    const now = this.now().toISOString();
    const record: AdxRunRecord = {
      run_id: runId,
      kind: 'full',
      completed_at: now,
      forecast_rows: tables['Forecasts'] ?? 0,
      accuracy_rows: tables['ForecastAccuracy'] ?? 0,
      inventory_rows: tables['InventoryActions'] ?? 0,
      published_at: now,
    };
    await this.queueOnce(adxRunsTable.table, adxRunsTable.mapping, 'run', ingestByTag(runId, adxRunsTable.table, 'run'), [{ ...record }]);
    this.log(`adx: recorded run ${runId} as completed`);
  }

  async publishSkus(runId: string, skus: string[], options: PublishOptions = {}): Promise<PublishResult> {
    if (skus.length === 0) throw new ValidationError('skus', 'publishSkus needs at least one SKU');
    const wanted = new Set(skus);
    const tables: Record<string, number> = {};
    const publishedAt = this.now().toISOString();
    for (const def of adxTables.filter((t) => t.streaming)) {
      options.abortSignal?.throwIfAborted();
      const rows = (
        await readLakeRows(this.options.lake, def.lakeTable, {
          runId,
          ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
        })
      )
        .filter((r) => typeof r.sku === 'string' && wanted.has(r.sku))
        .map((r) => ({ ...r, published_at: publishedAt }));
      tables[def.table] = rows.length;
      if (rows.length === 0) continue;
      try {
        await this.streaming.ingestFromStream(new StreamDescriptor(Readable.from([toNdjsonGzip(rows)]), null, CompressionType.GZIP), {
          database: this.options.database,
          table: def.table,
          format: DataFormat.JSON,
          ingestionMappingReference: def.mapping,
          ingestionMappingKind: IngestionMappingKind.JSON,
        });
      } catch (err) {
        throw new UpstreamError(`Streaming ingestion into ADX table ${def.table} failed: ${errorText(err, 500)}`, undefined, {
          cause: err,
        });
      }
      this.log(`adx: streamed ${rows.length} rows for ${def.table}`);
    }
    return { target: this.target, tables, outputs: { adx: this.databaseUrl } };
  }

  async close(): Promise<void> {
    this.queued.close();
    this.streaming.close();
  }
}
