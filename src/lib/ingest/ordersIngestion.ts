import { BronzeIntegrityError } from '../errors';
import type { LakeStore } from '../lake/lakeStore';
import type { BronzeBatchRef } from '../bronze/batchRef';
import type { IngestOrdersOutput } from './ingestOutputs';
import type { ReasonCounts } from '../quality/reasonCounts';
import type { BronzeManifest } from '../bronze/manifest';
import { bronzeRunFolder } from '../bronze/paths';
import { listBronzeManifests, readManifest } from '../bronze/reader';
import { verifyBronzePart, writeGzippedBronzePart } from '../bronze/writer';
import { GzipPart } from './gzipPart';
import type { OrdersClient, OrdersPage } from './ordersClient';
import { addReasons, mergeReasons, numericQuantity, orderRecordProblems, wellFormedInvoiceDate } from './orderRecord';
import { crashPoint } from '../testing/crashPoints';
import { sinceFromWatermark, type OrdersWatermark, type OrdersWatermarks, type StoredWatermark } from './watermarks';

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

/** Pages fetched but not yet written (gzipped as they came): they become one Bronze part. */
interface PartBuffer {
  lines: GzipPart;
  pageFrom: number;
  pageTo: number;
  cursorFrom: string | null;
  quantitySum: number;
  problems: ReasonCounts;
  maxInvoiceDate: string | null;
}

type RecordFacts = NonNullable<OrdersIngestionOptions['recordFacts']>;

interface CommittedPart {
  path: string;
  manifest: BronzeManifest;
}

/** Where the run's fetching stands: the next page and token, and the parts it has. */
interface RunCursor {
  page: number;
  token: string | null;
  finished: boolean;
  /** The token that fetched the last page (the watermark's cursor). */
  lastToken: string | null;
  partIndex: number;
  pagesFetched: number;
}

const maxOf = (a: string | null, b: string | null | undefined): string | null =>
  b !== null && b !== undefined && (a === null || b > a) ? b : a;

/** What the run's parts hold so far, summed over committed and newly written parts. */
class RunTotals {
  readonly batches: BronzeBatchRef[] = [];
  records = 0;
  quantitySum = 0;
  readonly problems: ReasonCounts = {};
  maxInvoiceDate: string | null = null;

  add(ref: BronzeBatchRef, manifest: BronzeManifest): void {
    this.batches.push(ref);
    this.records += manifest.records;
    this.quantitySum += manifest.quantitySum;
    mergeReasons(this.problems, manifest.problems);
    this.maxInvoiceDate = maxOf(this.maxInvoiceDate, manifest.maxInvoiceDate);
  }
}

/** What earlier attempts of this run already committed, each part checked, with no gap. */
async function readCommittedParts(options: OrdersIngestionOptions, ops: { abortSignal?: AbortSignal }): Promise<CommittedPart[]> {
  const { lake, source, runId } = options;
  const committed: CommittedPart[] = [];
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
  return committed;
}

/** The run's `since`: its first part's (a resumed run keeps it), else the watermark minus the overlap window. */
function sinceOf(committed: readonly CommittedPart[], watermark: OrdersWatermark | undefined, overlapMinutes: number): string | null {
  const first = committed[0];
  if (first) return first.manifest.since ?? null;
  return watermark ? sinceFromWatermark(watermark.lastOrderTimestamp, overlapMinutes) : null;
}

function resumeCursor(committed: readonly CommittedPart[]): RunCursor {
  const last = committed.at(-1)?.manifest;
  return {
    page: last ? (last.pageTo ?? -1) + 1 : 0,
    token: last ? last.cursorTo : null,
    finished: last !== undefined && last.cursorTo === null,
    lastToken: last?.cursorFrom ?? null,
    partIndex: committed.length,
    pagesFetched: 0,
  };
}

function committedTotals(committed: readonly CommittedPart[]): RunTotals {
  const totals = new RunTotals();
  for (const { path, manifest } of committed) {
    const ref = { path: path.replace(/\.manifest\.json$/, `.${manifest.format}.gz`), manifestPath: path, records: manifest.records };
    totals.add(ref, manifest);
  }
  return totals;
}

/** Bronze keeps what came: each record re-serialised as received, its problems only counted. */
async function addPageItems(buffer: PartBuffer, items: readonly unknown[], recordFacts: RecordFacts | undefined): Promise<void> {
  await buffer.lines.add(items);
  for (const item of items) {
    const facts = recordFacts?.(item);
    addReasons(buffer.problems, facts ? facts.problems : orderRecordProblems(item));
    buffer.quantitySum += (facts ? facts.quantity : numericQuantity(item)) ?? 0;
    // Only a record whose timestamp passed validation may move the watermark.
    buffer.maxInvoiceDate = maxOf(buffer.maxInvoiceDate, facts ? facts.timestamp : wellFormedInvoiceDate(item));
  }
}

/** The state one run's fetch loop shares. */
interface RunContext {
  options: OrdersIngestionOptions;
  ops: { abortSignal?: AbortSignal };
  folder: string;
  since: string | null;
  totals: RunTotals;
}

/** Writes the buffered pages as the run's next part. */
async function writePart(run: RunContext, cursor: RunCursor, buffer: PartBuffer, cursorTo: string | null): Promise<void> {
  const { options, totals } = run;
  const records = buffer.lines.records;
  const gz = await buffer.lines.end();
  const draft = {
    source: options.source,
    runId: options.runId,
    records,
    pageFrom: buffer.pageFrom,
    pageTo: buffer.pageTo,
    cursorFrom: buffer.cursorFrom,
    cursorTo,
    quantitySum: buffer.quantitySum,
    problems: buffer.problems,
    since: run.since,
    maxInvoiceDate: buffer.maxInvoiceDate,
  };
  const writeOptions = { ...run.ops, ...(options.now ? { now: options.now } : {}) };
  const written = await writeGzippedBronzePart(options.lake, run.folder, cursor.partIndex, 'ndjson', gz, draft, writeOptions);
  totals.add(written.ref, written.manifest);
  cursor.partIndex++;
  crashPoint('ingest-orders:part-committed');
  options.progress?.('ingest-orders', totals.records);
}

/** Fetches pages from the cursor to the end, a part every pagesPerPart pages and one for the last pages. */
async function fetchIntoParts(run: RunContext, cursor: RunCursor): Promise<void> {
  const { options } = run;
  let buffer: PartBuffer | undefined;
  try {
    while (!cursor.finished) {
      options.abortSignal?.throwIfAborted();
      const fetched: OrdersPage = await options.client.fetchPage(cursor.page, cursor.token, run.since, options.abortSignal);
      cursor.pagesFetched++;
      options.progress?.('ingest-orders:pages', cursor.pagesFetched);
      cursor.lastToken = cursor.token;
      buffer ??= {
        lines: new GzipPart(),
        pageFrom: cursor.page,
        pageTo: cursor.page,
        cursorFrom: cursor.token,
        quantitySum: 0,
        problems: {},
        maxInvoiceDate: null,
      };
      buffer.pageTo = cursor.page;
      await addPageItems(buffer, fetched.items, options.recordFacts);
      cursor.finished = fetched.nextToken === null;
      cursor.token = fetched.nextToken;
      cursor.page++;
      const pagesInBuffer = buffer.pageTo - buffer.pageFrom + 1;
      // An empty first page of an empty run writes nothing; every other page lands in a part.
      if (cursor.finished && buffer.lines.records === 0 && buffer.pageFrom === 0) break;
      if (cursor.finished || pagesInBuffer >= options.pagesPerPart) {
        const full = buffer;
        buffer = undefined;
        await writePart(run, cursor, full, cursor.token);
      }
    }
  } finally {
    buffer?.lines.discard();
  }
}

/** Every part is committed: only now may the watermark move (and never backwards). */
async function advanceWatermark(
  run: RunContext,
  before: StoredWatermark,
  lastToken: string | null,
): Promise<{ watermarkBefore: string | null; watermarkAfter: string | null }> {
  const { options } = run;
  const { source, runId } = options;
  const watermarkBefore = before.watermark?.lastOrderTimestamp ?? null;
  const watermarkAfter = maxOf(watermarkBefore, run.totals.maxInvoiceDate);
  if (watermarkAfter !== null && (watermarkAfter !== watermarkBefore || before.watermark?.runId !== runId)) {
    const updatedAt = (options.now?.() ?? new Date()).toISOString();
    await options.watermarks.advance(
      { source, lastOrderTimestamp: watermarkAfter, cursor: lastToken, runId, updatedAt },
      before.etag,
      run.ops,
    );
  }
  return { watermarkBefore, watermarkAfter };
}

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
  const { source, runId, abortSignal } = options;
  const ops = abortSignal ? { abortSignal } : {};
  const log = options.log ?? (() => undefined);
  const before = await options.watermarks.get(source, ops);
  const committed = await readCommittedParts(options, ops);
  const since = sinceOf(committed, before.watermark, options.overlapMinutes);
  const lastCommitted = committed.at(-1)?.manifest;
  if (lastCommitted) log(`orders "${source}": resuming run ${runId} after part ${lastCommitted.part} (${committed.length} committed)`);

  const totals = committedTotals(committed);
  const run: RunContext = { options, ops, folder: bronzeRunFolder(source, options.runDate, runId), since, totals };
  const cursor = resumeCursor(committed);
  await fetchIntoParts(run, cursor);

  crashPoint('ingest-orders:before-watermark');
  const { watermarkBefore, watermarkAfter } = await advanceWatermark(run, before, cursor.lastToken);
  crashPoint('ingest-orders:watermark-saved');
  log(
    `orders "${source}": run ${runId} ${cursor.pagesFetched} page(s) fetched, ${totals.records} record(s) in ${totals.batches.length} part(s), watermark ${watermarkBefore ?? '(none)'} → ${watermarkAfter ?? '(none)'}`,
  );
  const { records, quantitySum, batches, problems } = totals;
  return { source, pages: cursor.page, records, quantitySum, batches, problems, watermarkBefore, watermarkAfter };
}
