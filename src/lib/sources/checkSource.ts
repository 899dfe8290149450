/**
 * `demand sources check`: the first records of a source through its definition, without writing
 * anything (files stay in landing, no Bronze, no watermark): the canonical lines they map to and
 * every problem by field, so a user gets a mapping right in minutes.
 */
import type { LakeStore } from '../lake/lakeStore';
import { isUnmappedOrderRecord, type CanonicalOrderLine } from '../orders/canonicalOrderLine';
import type { OrdersClientOptions } from '../ingest/ordersClient';
import type { OrdersSourceDefinition } from './definition';
import { landedFiles } from './files/landedFilesRun';
import { readSourceFile, sourceFileFormatOf } from './files/sourceFile';
import { createRecordMapper } from './recordMapper';
import { restSourceClient } from './rest/ingestRestSource';

export interface SourceCheckReport {
  /** Where the records came from (files, or the first page URLs). */
  read: string[];
  records: number;
  lines: Array<{ record: number; line: CanonicalOrderLine }>;
  problems: Array<{ record: number; field: string; detail: string }>;
  /** Problem count per field. */
  byField: Record<string, number>;
  statuses: Record<string, number>;
  /** Files that could not be read at all, with the reason. */
  unreadable: Array<{ file: string; reason: string }>;
}

export interface SourceCheckOptions {
  limit: number;
  shopTimeZone: string;
  /** Files kind: the lake to look in, or explicit local files (path and bytes). */
  lake?: LakeStore;
  files?: Array<{ name: string; bytes: Buffer }>;
  /** REST kind: the client's options (URL, auth, timeouts). */
  client?: Omit<OrdersClientOptions, 'source' | 'firstRequestUrl' | 'readPage' | 'authHeaderName'>;
  abortSignal?: AbortSignal;
}

async function* sourceRecords(
  definition: OrdersSourceDefinition,
  options: SourceCheckOptions,
  report: SourceCheckReport,
): AsyncGenerator<unknown> {
  if (definition.kind === 'files') {
    const files: Array<{ name: string; bytes: () => Promise<Buffer> }> = options.files
      ? options.files.map((f) => ({ name: f.name, bytes: async () => f.bytes }))
      : options.lake
        ? (await landedFiles(options.lake, definition.folder.replace(/\/+$/, ''))).map((p) => ({
            name: p,
            bytes: () => (options.lake as LakeStore).read(p),
          }))
        : [];
    for (const file of files) {
      const announced = sourceFileFormatOf(file.name);
      const format = definition.format ?? announced?.format;
      if (!format) {
        report.unreadable.push({
          file: file.name,
          reason: 'unsupported file type (expected .csv, .ndjson, .jsonl or .parquet, optionally .gz)',
        });
        continue;
      }
      const bytes = await file.bytes();
      const read = await readSourceFile(bytes, format, {
        gzipped: announced?.gzipped ?? (bytes[0] === 0x1f && bytes[1] === 0x8b),
        ...(definition.delimiter ? { delimiter: definition.delimiter } : {}),
      });
      if (!read.ok) {
        report.unreadable.push({ file: file.name, reason: read.reason });
        continue;
      }
      report.read.push(file.name);
      yield* read.records;
    }
    return;
  }
  if (!options.client) throw new Error('a REST source needs the orders collection URL (DEMAND_ORDERS_API_URL or --orders-api-url)');
  const client = restSourceClient(definition.name ?? 'orders', definition, options.client);
  let token: string | null = null;
  for (let page = 0; ; page++) {
    const fetched = await client.fetchPage(page, token, null, options.abortSignal);
    report.read.push(`page ${page + 1}${token ? ` (${token})` : ''}`);
    yield* fetched.items;
    token = fetched.nextToken;
    if (token === null) return;
  }
}

export async function checkOrdersSource(definition: OrdersSourceDefinition, options: SourceCheckOptions): Promise<SourceCheckReport> {
  const report: SourceCheckReport = { read: [], records: 0, lines: [], problems: [], byField: {}, statuses: {}, unreadable: [] };
  const mapper = createRecordMapper(definition, options.shopTimeZone);
  for await (const raw of sourceRecords(definition, options, report)) {
    report.records += 1;
    for (const mapped of mapper.map(raw)) {
      if (isUnmappedOrderRecord(mapped)) {
        for (const p of mapped.problems) {
          report.problems.push({ record: report.records, field: p.field, detail: p.detail });
          report.byField[p.field] = (report.byField[p.field] ?? 0) + 1;
        }
      } else {
        report.lines.push({ record: report.records, line: mapped });
        report.statuses[mapped.status] = (report.statuses[mapped.status] ?? 0) + 1;
      }
    }
    if (report.records >= options.limit) break;
  }
  return report;
}
