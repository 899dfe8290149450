import { BronzeIntegrityError } from '../errors';
import type { LakeStore } from '../lake/lakeStore';
import type { BronzeBatchRef } from '../bronze/batchRef';
import type { IngestOrdersOutput } from './ingestOutputs';
import type { ReasonCounts } from '../quality/reasonCounts';
import type { BronzeManifest } from '../bronze/manifest';
import { bronzeRunFolder } from '../bronze/paths';
import { listBronzeManifests, readManifest } from '../bronze/reader';
import { verifyBronzePart, writeBronzePart } from '../bronze/writer';
import type { OrdersClient, OrdersPage } from './ordersClient';
import { addReasons, mergeReasons, numericQuantity, orderRecordProblems, wellFormedInvoiceDate } from './orderRecord';
import { crashPoint } from '../testing/crashPoints';
import { sinceFromWatermark, type OrdersWatermarks } from './watermarks';

export interface OrdersIngestionOptions {
  source: string;
  runId: string;
  /** Bronze ingest_date partition (the run's date). */
  runDate: string;
  client: Pick<OrdersClient, 'fetchPage'>;
  /**
   * What a received record says for the manifest (problems, units, watermark time as
   * `YYYY-MM-DD HH:MM:SS`); default: the Online Retail API record's fields.
   */
  recordFacts?: (item: unknown) => { problems: string[]; quantity: number | undefined; timestamp: string | undefined };
  lake: LakeStore;
  watermarks: OrdersWatermarks;
  overlapMinutes: number;
  pagesPerPart: number;
  abortSignal?: AbortSignal;
  log?: (message: string) => void;
  progress?: (stage: string, done: number, total?: number) => void;
  now?: () => Date;
}

interface PartBuffer {
  lines: string[];
  pageFrom: number;
  pageTo: number;
  cursorFrom: string | null;
  quantitySum: number;
  problems: ReasonCounts;
  maxInvoiceDate: string | null;
}

const maxOf = (a: string | null, b: string | null | undefined): string | null =>
  b !== null && b !== undefined && (a === null || b > a) ? b : a;

/**
 * One run of one orders source into Bronze, exactly once:
 * - the first attempt of a run starts at the watermark minus the overlap window;
 * - part k holds pages [k·P, (k+1)·P) of the run, so the part sequence follows the cursor sequence;
 * - a re-run of the same run id finds the committed parts (manifests), checks their sha256 and
 *   resumes from the last committed part's `cursorTo` with the same `since`, so nothing is fetched
 *   into Bronze twice and nothing is skipped;
 * - the watermark moves only after every part of the run is committed.
 */
export async function ingestOrdersRun(options: OrdersIngestionOptions): Promise<IngestOrdersOutput> {
  const { source, runId, lake, client, abortSignal } = options;
  const ops = abortSignal ? { abortSignal } : {};
  const log = options.log ?? (() => undefined);
  const folder = bronzeRunFolder(source, options.runDate, runId);
  const before = await options.watermarks.get(source, ops);

  // What earlier attempts of this run already committed.
  const committed: Array<{ path: string; manifest: BronzeManifest }> = [];
  for (const manifestPath of await listBronzeManifests(lake, source, runId, { ingestDate: options.runDate, ...ops })) {
    const manifest = await readManifest(lake, manifestPath, ops);
    if (manifest.part !== committed.length) {
      throw new BronzeIntegrityError(
        manifestPath,
        `expected part ${committed.length} of run ${runId}, found part ${manifest.part} (a gap in the committed parts)`,
      );
    }
    await verifyBronzePart(lake, manifestPath, manifest, ops);
    committed.push({ path: manifestPath, manifest });
  }
  const lastCommitted = committed.at(-1)?.manifest;
  const since = committed[0]
    ? (committed[0].manifest.since ?? null)
    : before.watermark
      ? sinceFromWatermark(before.watermark.lastOrderTimestamp, options.overlapMinutes)
      : null;
  if (lastCommitted) log(`orders "${source}": resuming run ${runId} after part ${lastCommitted.part} (${committed.length} committed)`);

  const batches: BronzeBatchRef[] = committed.map(({ path, manifest }) => ({
    path: path.replace(/\.manifest\.json$/, `.${manifest.format}.gz`),
    manifestPath: path,
    records: manifest.records,
  }));
  let records = 0;
  let quantitySum = 0;
  const problems: ReasonCounts = {};
  let maxInvoiceDate: string | null = null;
  for (const { manifest } of committed) {
    records += manifest.records;
    quantitySum += manifest.quantitySum;
    mergeReasons(problems, manifest.problems);
    maxInvoiceDate = maxOf(maxInvoiceDate, manifest.maxInvoiceDate);
  }

  let page = lastCommitted ? (lastCommitted.pageTo ?? -1) + 1 : 0;
  let token: string | null = lastCommitted ? lastCommitted.cursorTo : null;
  let finished = lastCommitted !== undefined && lastCommitted.cursorTo === null;
  let lastToken: string | null = lastCommitted?.cursorFrom ?? null;
  let partIndex = committed.length;
  let pagesFetched = 0;

  const flush = async (buffer: PartBuffer, cursorTo: string | null): Promise<void> => {
    const payload = Buffer.from(buffer.lines.length ? `${buffer.lines.join('\n')}\n` : '', 'utf8');
    const written = await writeBronzePart(
      lake,
      folder,
      partIndex,
      'ndjson',
      payload,
      {
        source,
        runId,
        records: buffer.lines.length,
        pageFrom: buffer.pageFrom,
        pageTo: buffer.pageTo,
        cursorFrom: buffer.cursorFrom,
        cursorTo,
        quantitySum: buffer.quantitySum,
        problems: buffer.problems,
        since,
        maxInvoiceDate: buffer.maxInvoiceDate,
      },
      { ...ops, ...(options.now ? { now: options.now } : {}) },
    );
    batches.push(written.ref);
    records += written.manifest.records;
    quantitySum += written.manifest.quantitySum;
    mergeReasons(problems, written.manifest.problems);
    maxInvoiceDate = maxOf(maxInvoiceDate, written.manifest.maxInvoiceDate);
    partIndex++;
    crashPoint('ingest-orders:part-committed');
    options.progress?.('ingest-orders', records);
  };

  let buffer: PartBuffer | undefined;
  while (!finished) {
    abortSignal?.throwIfAborted();
    const fetched: OrdersPage = await client.fetchPage(page, token, since, abortSignal);
    pagesFetched++;
    options.progress?.('ingest-orders:pages', pagesFetched);
    lastToken = token;
    buffer ??= { lines: [], pageFrom: page, pageTo: page, cursorFrom: token, quantitySum: 0, problems: {}, maxInvoiceDate: null };
    buffer.pageTo = page;
    for (const item of fetched.items) {
      // Bronze keeps what came: the record re-serialised as received, problems only counted.
      buffer.lines.push(JSON.stringify(item) ?? 'null');
      const facts = options.recordFacts?.(item);
      addReasons(buffer.problems, facts ? facts.problems : orderRecordProblems(item));
      buffer.quantitySum += (facts ? facts.quantity : numericQuantity(item)) ?? 0;
      // Only a record whose timestamp passed validation may move the watermark.
      buffer.maxInvoiceDate = maxOf(buffer.maxInvoiceDate, facts ? facts.timestamp : wellFormedInvoiceDate(item));
    }
    finished = fetched.nextToken === null;
    token = fetched.nextToken;
    page++;
    const pagesInBuffer = buffer.pageTo - buffer.pageFrom + 1;
    // An empty first page of an empty run writes nothing; every other page lands in a part.
    if (finished && buffer.lines.length === 0 && buffer.pageFrom === 0) break;
    if (finished || pagesInBuffer >= options.pagesPerPart) {
      await flush(buffer, token);
      buffer = undefined;
    }
  }

  crashPoint('ingest-orders:before-watermark');
  // Every part is committed: only now may the watermark move (and never backwards).
  const watermarkBefore = before.watermark?.lastOrderTimestamp ?? null;
  const watermarkAfter = maxOf(watermarkBefore, maxInvoiceDate);
  if (watermarkAfter !== null && (watermarkAfter !== watermarkBefore || before.watermark?.runId !== runId)) {
    await options.watermarks.advance(
      { source, lastOrderTimestamp: watermarkAfter, cursor: lastToken, runId, updatedAt: (options.now?.() ?? new Date()).toISOString() },
      before.etag,
      ops,
    );
  }
  crashPoint('ingest-orders:watermark-saved');
  log(
    `orders "${source}": run ${runId} ${pagesFetched} page(s) fetched, ${records} record(s) in ${batches.length} part(s), watermark ${watermarkBefore ?? '(none)'} → ${watermarkAfter ?? '(none)'}`,
  );
  return {
    source,
    pages: page,
    records,
    quantitySum,
    batches,
    problems,
    watermarkBefore,
    watermarkAfter,
  };
}
