/**
 * The Silver build's second pass for one order month, on a worker thread: the month's spilled lines
 * are de-duplicated (line id, then exact copy, against earlier Silver lines of the month too),
 * written as order_lines / cancellations data files, and summed into the SKU catalogue. Months are
 * independent here (a line's identity includes its month), so two months run at once; what needs
 * the months in order (cancellation netting, daily demand) stays with the caller, which gets the
 * month's demand lines back as columns.
 */
import { returnedLineSuffix } from './canonicalRecord';
import { encodeDataFile, type EncodedDataFile } from '../delta/dataFile';
import type { DeltaField } from '../delta/types';
import { DemandLines, lineRevenue } from './demandLines';
import { lineKind, lineOf, type LineBatch, type LineKind } from './lineBatch';
import { duplicateDetail, SeenLines } from './orderLineCleanser';
import { OrderLineColumns } from './orderLineColumns';
import type { OrderLine } from './orderRecord';
import { FingerprintSet } from './fingerprintSet';
import { readMonthSpill, readMonthSpillOrder, type SpilledChunk } from './monthSpill';
import type { InvalidRecord } from './orderChunkScan';
import { rawText } from './rawText';
import { ProductCatalogue, type SkuStats } from './products';
import { bucketOfHash, shardOfHash, type SkuBucket } from './skuBucket';

/** Fingerprints of lines already in Silver for the month (line id and exact-copy key). */
export interface PriorFingerprints {
  idHi: Uint32Array;
  idLo: Uint32Array;
  dupHi: Uint32Array;
  dupLo: Uint32Array;
  /** Ids of stored lines of other SKU buckets (only a re-delivery of their id matters here). */
  otherIdHi?: Uint32Array;
  otherIdLo?: Uint32Array;
  /**
   * Lines earlier runs rejected by a rule (rejected_lines): their id and content, as a full build
   * sees a rejected line first (a later delivery of its id is a re-delivery); never an exact-copy key.
   */
  rejectedIdHi?: Uint32Array;
  rejectedIdLo?: Uint32Array;
  rejectedDupHi?: Uint32Array;
  rejectedDupLo?: Uint32Array;
}

export interface MonthTask {
  month: string;
  spillDir: string;
  runId: string;
  prior: PriorFingerprints;
  duplicates: { quarantine: boolean; reason: string };
  tieBreak: 'latest' | 'earliest';
  /** Data fields of order_lines / cancellations; null when that table's write is already committed. */
  orderLineFields: DeltaField[] | null;
  cancellationFields: DeltaField[] | null;
  /** Data fields of rejected_lines; null when its write is already committed (or not wanted). */
  rejectedLineFields?: DeltaField[] | null;
  fileRows: number;
  /**
   * The SKU bucket this task keeps (absent: all). Only the spill shards of its SKUs are decoded; of
   * the other lines it sees the ids alone (in the order they came), so a line id delivered again
   * under another SKU is still a re-delivery, as with one bucket.
   */
  bucket?: SkuBucket;
}

/** The month's demand lines as DemandLines columns (dictionaries as plain arrays). */
export interface DemandColumns {
  length: number;
  skus: string[];
  sku: Int32Array;
  day: Int32Array;
  ts: Float64Array;
  quantity: Float64Array;
  revenue: Float64Array;
  invoices: string[];
  invoice: Int32Array;
  customers: string[];
  customer: Int32Array;
}

export interface MonthCancellations {
  sku: string[];
  customerId: Array<string | null>;
  /** Units cancelled, positive. */
  quantity: Float64Array;
  /** Epoch seconds. */
  ts: Float64Array;
}

export interface MonthResult {
  month: string;
  kept: number;
  unitsKept: number;
  cancellations: number;
  /** Of the cancellations, lines returned (canonical status `returned`). */
  returns: number;
  redelivered: number;
  quarantine: InvalidRecord[];
  orderLineFiles: EncodedDataFile[];
  cancellationFiles: EncodedDataFile[];
  /** Lines a rule rejected (first deliveries of their id), for rejected_lines. */
  rejectedLineFiles: EncodedDataFile[];
  demand: DemandColumns;
  cancelled: MonthCancellations;
  catalogue: Map<string, SkuStats>;
  /** Spilled lines this task decoded (its bucket's shards): about the bucket's lines, not the month's. */
  linesDecoded: number;
}

/** A line as the Bronze record it came from (quarantine keeps a duplicate's normalised form). */
function bronzeShape(line: OrderLine): Record<string, unknown> {
  return {
    orderLineId: line.orderLineId,
    InvoiceNo: line.invoiceNo,
    StockCode: line.sku,
    Description: line.description,
    Quantity: line.quantity,
    InvoiceDate: `${line.orderDate} ${line.orderTs.slice(11, 19)}`,
    UnitPrice: line.unitPrice,
    CustomerID: line.customerId,
    Country: line.country,
  };
}

function encodeAll(fields: DeltaField[] | null, columns: OrderLineColumns, out: EncodedDataFile[]): void {
  if (!fields || columns.length === 0) return;
  const taken = columns.take();
  const ordered = fields.map((field) => {
    const column = taken.columns[field.name];
    if (!column) throw new Error(`no column ${field.name} for an order line data file`);
    return column;
  });
  out.push(encodeDataFile(fields, ordered, taken.length));
}

/** Quarantine reason of a re-delivered line id whose content differs from its first delivery. */
export const redeliveryConflictReason = 'redelivered_conflict';

/** Where a line of a batch came from, for its quarantine row. */
interface LineSource {
  sourcePath: string;
  recordIndex: number;
}

/** One month's lines, batch by batch: de-duplicated, sorted into demand and cancellations, encoded. */
class MonthProcessor {
  private readonly seen: SeenLines;
  // The content fingerprint each line id was first delivered with: a later delivery of the id
  // with other content is a conflict (recorded, the first delivery kept), not a silent drop.
  private readonly contentOf = new Map<string, string>();
  private readonly counts = { kept: 0, unitsKept: 0, cancellations: 0, returns: 0, redelivered: 0 };
  private readonly quarantine: InvalidRecord[] = [];
  private readonly orderLineFiles: EncodedDataFile[] = [];
  private readonly cancellationFiles: EncodedDataFile[] = [];
  private readonly rejectedLineFiles: EncodedDataFile[] = [];
  private readonly demand = new DemandLines();
  private readonly catalogue: ProductCatalogue;
  private readonly orderColumns: OrderLineColumns;
  private readonly cancellationColumns: OrderLineColumns;
  private readonly rejectedColumns: OrderLineColumns;
  private readonly cancelled = {
    sku: [] as string[],
    customerId: [] as Array<string | null>,
    quantity: [] as number[],
    ts: [] as number[],
  };
  private lastDate = '';
  private lastDay = 0;
  private linesDecoded = 0;

  /**
   * `own`: the line ids of this bucket's lines in the spill (a task of one of several buckets). A line
   * of another bucket matters here only when a line of this bucket has its id (a re-delivery under
   * another SKU), so only those ids are remembered: the task's sets hold about a bucket's lines, not
   * the month's (at 32,000 SKUs a month's ids took a 16 MB set, 24 MB while it grew, in every task).
   */
  constructor(
    private readonly task: MonthTask,
    private readonly own?: FingerprintSet,
  ) {
    const prior = task.prior;
    const others = own ? own.size : (prior.otherIdHi?.length ?? 0);
    this.seen = new SeenLines(prior.idHi.length + others + 4096, task.duplicates.quarantine);
    for (let i = 0; i < prior.idHi.length; i += 1) {
      this.seen.remember(prior.idHi[i] as number, prior.idLo[i] as number, prior.dupHi[i] as number, prior.dupLo[i] as number);
      this.contentOf.set(`${prior.idHi[i]}:${prior.idLo[i]}`, `${prior.dupHi[i]}:${prior.dupLo[i]}`);
    }
    const otherLo = prior.otherIdLo;
    prior.otherIdHi?.forEach((hi, i) => this.rememberOther(hi, otherLo?.[i] as number));
    const { rejectedIdLo, rejectedDupHi, rejectedDupLo } = prior;
    prior.rejectedIdHi?.forEach((hi, i) => {
      const lo = rejectedIdLo?.[i] as number;
      this.seen.rememberId(hi, lo);
      const idKey = `${hi}:${lo}`;
      if (!this.contentOf.has(idKey)) this.contentOf.set(idKey, `${rejectedDupHi?.[i]}:${rejectedDupLo?.[i]}`);
    });
    this.catalogue = new ProductCatalogue(task.tieBreak);
    this.orderColumns = new OrderLineColumns(task.runId);
    this.cancellationColumns = new OrderLineColumns(task.runId);
    this.rejectedColumns = new OrderLineColumns(task.runId);
  }

  /** One spill file: its lines in the order they came, those of other buckets by id alone. */
  handle(chunk: SpilledChunk): void {
    this.linesDecoded += chunk.linesDecoded;
    const { skuHash, idHi, idLo } = chunk.order;
    const bucket = this.task.bucket;
    const cursors = chunk.shards.map((batch) => (batch ? { batch, next: 0, nextRejection: 0 } : undefined));
    for (let j = 0; j < skuHash.length; j += 1) {
      const hash = skuHash[j] as number;
      const cursor = cursors[shardOfHash(hash)];
      if (bucket && bucketOfHash(hash, bucket.count) !== bucket.index) {
        if (cursor) cursor.next += 1;
        this.rememberOther(idHi[j] as number, idLo[j] as number);
        continue;
      }
      if (!cursor) throw new Error(`spill of ${this.task.month}: line ${j} is in a shard that was not read`);
      this.handleLine(cursor.batch, cursor.next, cursor);
      cursor.next += 1;
    }
    for (const cursor of cursors) {
      if (cursor && cursor.next !== cursor.batch.length) {
        throw new Error(`spill of ${this.task.month}: a shard holds ${cursor.batch.length} lines, its order ${cursor.next}`);
      }
    }
  }

  /** The id of a line of another bucket (stored or this run's), when a line of this bucket has it. */
  private rememberOther(hi: number, lo: number): void {
    if (!this.own || this.own.hasFingerprint(hi, lo)) this.seen.rememberId(hi, lo);
  }

  private handleLine(batch: LineBatch, i: number, cursor: { nextRejection: number }): void {
    const kind = batch.kind[i] as LineKind;
    const verdict = this.seen.check(
      batch.idHi[i] as number,
      batch.idLo[i] as number,
      batch.dupHi[i] as number,
      batch.dupLo[i] as number,
      kind === lineKind.quarantine,
    );
    const idKey = `${batch.idHi[i]}:${batch.idLo[i]}`;
    const contentKey = `${batch.dupHi[i]}:${batch.dupLo[i]}`;
    const from: LineSource = {
      sourcePath: batch.sourcePaths[batch.source[i] as number] as string,
      recordIndex: batch.recordIndex[i] as number,
    };
    if (verdict === 'redelivered') {
      this.redelivered(batch, i, idKey, contentKey, from);
      return;
    }
    if (!this.contentOf.has(idKey)) this.contentOf.set(idKey, contentKey);
    if (verdict === 'rejected') {
      while ((batch.rejections[cursor.nextRejection]?.line ?? Infinity) < i) cursor.nextRejection += 1;
      const rejection = batch.rejections[cursor.nextRejection];
      if (rejection) this.quarantine.push({ ...from, reason: rejection.reason, detail: rejection.detail, raw: rejection.raw });
      if (this.task.rejectedLineFields) {
        this.rejectedColumns.push(batch, i, lineRevenue(batch.quantity[i] as number, batch.unitPrice[i] as number));
      }
    } else if (verdict === 'duplicate') {
      const line = lineOf(batch, i);
      this.quarantine.push({
        ...from,
        reason: this.task.duplicates.reason,
        detail: duplicateDetail(line),
        raw: rawText(bronzeShape(line)),
      });
    } else if (kind === lineKind.cancellation) this.addCancellation(batch, i);
    else this.addDemand(batch, i);
  }

  finish(): MonthResult {
    const { task } = this;
    encodeAll(task.orderLineFields, this.orderColumns, this.orderLineFiles);
    encodeAll(task.cancellationFields, this.cancellationColumns, this.cancellationFiles);
    encodeAll(task.rejectedLineFields ?? null, this.rejectedColumns, this.rejectedLineFiles);
    const c = this.cancelled;
    return {
      month: task.month,
      ...this.counts,
      quarantine: this.quarantine,
      orderLineFiles: this.orderLineFiles,
      cancellationFiles: this.cancellationFiles,
      rejectedLineFiles: this.rejectedLineFiles,
      demand: this.demandColumns(),
      cancelled: { sku: c.sku, customerId: c.customerId, quantity: Float64Array.from(c.quantity), ts: Float64Array.from(c.ts) },
      catalogue: this.catalogue.entries(),
      linesDecoded: this.linesDecoded,
    };
  }

  /** A line id seen before: dropped, and recorded as a conflict when its content differs from the first delivery. */
  private redelivered(batch: LineBatch, i: number, idKey: string, contentKey: string, from: LineSource): void {
    this.counts.redelivered += 1;
    // No content recorded: the first delivery was a line of another SKU bucket (so another SKU).
    const first = this.contentOf.get(idKey);
    if (first === contentKey) return;
    const line = lineOf(batch, i);
    this.quarantine.push({
      ...from,
      reason: redeliveryConflictReason,
      detail: `line ${line.orderLineId} delivered again with other content (quantity ${line.quantity}, price ${line.unitPrice}); the first delivery stays in Silver (first delivery wins), this one is kept here`,
      raw: rawText(bronzeShape(line)),
    });
  }

  private addCancellation(batch: LineBatch, i: number): void {
    const quantity = batch.quantity[i] as number;
    this.counts.cancellations += 1;
    if ((batch.orderLineId[i] as string).endsWith(returnedLineSuffix)) this.counts.returns += 1;
    if (this.task.cancellationFields) this.cancellationColumns.push(batch, i, lineRevenue(quantity, batch.unitPrice[i] as number));
    this.cancelled.sku.push(batch.sku[i] as string);
    this.cancelled.customerId.push(batch.customerId[i] ?? null);
    this.cancelled.quantity.push(-quantity);
    this.cancelled.ts.push((batch.orderMs[i] as number) / 1000);
  }

  private addDemand(batch: LineBatch, i: number): void {
    const { task } = this;
    const quantity = batch.quantity[i] as number;
    const revenue = lineRevenue(quantity, batch.unitPrice[i] as number);
    const sku = batch.sku[i] as string;
    this.counts.kept += 1;
    this.counts.unitsKept += quantity;
    const orderTs = batch.orderTs[i] as string;
    const orderDate = orderTs.slice(0, 10);
    if (orderDate !== this.lastDate) {
      this.lastDate = orderDate;
      this.lastDay = Math.round(Date.parse(`${orderDate}T00:00:00Z`) / 86_400_000);
    }
    if (task.orderLineFields) this.orderColumns.push(batch, i, revenue);
    const tsSeconds = (batch.orderMs[i] as number) / 1000;
    this.demand.addValues(sku, this.lastDay, tsSeconds, quantity, revenue, batch.invoiceNo[i] as string, batch.customerId[i] ?? null);
    this.catalogue.add({ sku, description: batch.description[i] ?? null, quantity, orderDate, orderTs });
    if (this.orderColumns.length >= task.fileRows) encodeAll(task.orderLineFields, this.orderColumns, this.orderLineFiles);
  }

  private demandColumns(): DemandColumns {
    const demand = this.demand;
    const n = demand.length;
    return {
      length: n,
      skus: demand.skus.values,
      sku: demand.sku.slice(0, n),
      day: demand.day.slice(0, n),
      ts: demand.ts.slice(0, n),
      quantity: demand.quantity.slice(0, n),
      revenue: demand.revenue.slice(0, n),
      invoices: demand.invoices.values,
      invoice: demand.invoice.slice(0, n),
      customers: demand.customers.values,
      customer: demand.customer.slice(0, n),
    };
  }
}

/** The line ids of the bucket's lines in the month's spill (read from the spill's order segments alone). */
function ownLineIds(task: MonthTask, bucket: SkuBucket): FingerprintSet {
  const ids = FingerprintSet.withCapacity(4096);
  for (const { skuHash, idHi, idLo } of readMonthSpillOrder(task.spillDir, task.month)) {
    for (let j = 0; j < skuHash.length; j += 1) {
      if (bucketOfHash(skuHash[j] as number, bucket.count) === bucket.index) ids.addFingerprint(idHi[j] as number, idLo[j] as number);
    }
  }
  return ids;
}

export function processMonth(task: MonthTask): MonthResult {
  const bucket = task.bucket;
  const processor = new MonthProcessor(task, bucket && bucket.count > 1 ? ownLineIds(task, bucket) : undefined);
  for (const chunk of readMonthSpill(task.spillDir, task.month, task.bucket)) processor.handle(chunk);
  return processor.finish();
}
