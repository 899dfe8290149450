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
import { readSpills, type InvalidRecord } from './orderChunkScan';
import { rawText } from './rawText';
import { ProductCatalogue, type SkuStats } from './products';

/** Fingerprints of lines already in Silver for the month (line id and exact-copy key). */
export interface PriorFingerprints {
  idHi: Uint32Array;
  idLo: Uint32Array;
  dupHi: Uint32Array;
  dupLo: Uint32Array;
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
  fileRows: number;
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
  demand: DemandColumns;
  cancelled: MonthCancellations;
  catalogue: Map<string, SkuStats>;
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

export function processMonth(task: MonthTask): MonthResult {
  const { month, prior } = task;
  const seen = new SeenLines(prior.idHi.length + 4096, task.duplicates.quarantine);
  // The content fingerprint each line id was first delivered with: a later delivery of the id
  // with other content is a conflict (recorded, the first delivery kept), not a silent drop.
  const contentOf = new Map<string, string>();
  for (let i = 0; i < prior.idHi.length; i += 1) {
    seen.remember(prior.idHi[i] as number, prior.idLo[i] as number, prior.dupHi[i] as number, prior.dupLo[i] as number);
    contentOf.set(`${prior.idHi[i]}:${prior.idLo[i]}`, `${prior.dupHi[i]}:${prior.dupLo[i]}`);
  }
  const result: MonthResult = {
    month,
    kept: 0,
    unitsKept: 0,
    cancellations: 0,
    returns: 0,
    redelivered: 0,
    quarantine: [],
    orderLineFiles: [],
    cancellationFiles: [],
    demand: undefined as unknown as DemandColumns,
    cancelled: { sku: [], customerId: [], quantity: new Float64Array(0), ts: new Float64Array(0) },
    catalogue: new Map(),
  };
  const demand = new DemandLines();
  const catalogue = new ProductCatalogue(task.tieBreak);
  const orderColumns = new OrderLineColumns(task.runId);
  const cancellationColumns = new OrderLineColumns(task.runId);
  const cancelledQuantity: number[] = [];
  const cancelledTs: number[] = [];
  let lastDate = '';
  let lastDay = 0;

  const handle = (batch: LineBatch): void => {
    let nextRejection = 0;
    for (let i = 0; i < batch.length; i += 1) {
      const kind = batch.kind[i] as LineKind;
      const verdict = seen.check(
        batch.idHi[i] as number,
        batch.idLo[i] as number,
        batch.dupHi[i] as number,
        batch.dupLo[i] as number,
        kind === lineKind.quarantine,
      );
      const idKey = `${batch.idHi[i]}:${batch.idLo[i]}`;
      const contentKey = `${batch.dupHi[i]}:${batch.dupLo[i]}`;
      const sourcePath = batch.sourcePaths[batch.source[i] as number] as string;
      const recordIndex = batch.recordIndex[i] as number;
      if (verdict === 'redelivered') {
        result.redelivered += 1;
        const first = contentOf.get(idKey);
        if (first !== undefined && first !== contentKey) {
          const line = lineOf(batch, i);
          result.quarantine.push({
            sourcePath,
            recordIndex,
            reason: redeliveryConflictReason,
            detail: `line ${line.orderLineId} delivered again with other content (quantity ${line.quantity}, price ${line.unitPrice}); the first delivery stays in Silver (first delivery wins), this one is kept here`,
            raw: rawText(bronzeShape(line)),
          });
        }
        continue;
      }
      if (!contentOf.has(idKey)) contentOf.set(idKey, contentKey);
      if (verdict === 'rejected') {
        while ((batch.rejections[nextRejection]?.line ?? Infinity) < i) nextRejection += 1;
        const rejection = batch.rejections[nextRejection];
        if (rejection)
          result.quarantine.push({ sourcePath, recordIndex, reason: rejection.reason, detail: rejection.detail, raw: rejection.raw });
        continue;
      }
      if (verdict === 'duplicate') {
        const line = lineOf(batch, i);
        result.quarantine.push({
          sourcePath,
          recordIndex,
          reason: task.duplicates.reason,
          detail: duplicateDetail(line),
          raw: rawText(bronzeShape(line)),
        });
        continue;
      }
      const quantity = batch.quantity[i] as number;
      const revenue = lineRevenue(quantity, batch.unitPrice[i] as number);
      const tsSeconds = (batch.orderMs[i] as number) / 1000;
      const sku = batch.sku[i] as string;
      const customerId = batch.customerId[i] ?? null;
      if (kind === lineKind.cancellation) {
        result.cancellations += 1;
        if ((batch.orderLineId[i] as string).endsWith(returnedLineSuffix)) result.returns += 1;
        if (task.cancellationFields) cancellationColumns.push(batch, i, revenue);
        result.cancelled.sku.push(sku);
        result.cancelled.customerId.push(customerId);
        cancelledQuantity.push(-quantity);
        cancelledTs.push(tsSeconds);
        continue;
      }
      result.kept += 1;
      result.unitsKept += quantity;
      const orderTs = batch.orderTs[i] as string;
      const orderDate = orderTs.slice(0, 10);
      if (orderDate !== lastDate) {
        lastDate = orderDate;
        lastDay = Math.round(Date.parse(`${orderDate}T00:00:00Z`) / 86_400_000);
      }
      if (task.orderLineFields) orderColumns.push(batch, i, revenue);
      demand.addValues(sku, lastDay, tsSeconds, quantity, revenue, batch.invoiceNo[i] as string, customerId);
      catalogue.add({ sku, description: batch.description[i] ?? null, quantity, orderDate, orderTs });
      if (orderColumns.length >= task.fileRows) encodeAll(task.orderLineFields, orderColumns, result.orderLineFiles);
    }
  };
  for (const batch of readSpills(task.spillDir, month)) handle(batch);
  encodeAll(task.orderLineFields, orderColumns, result.orderLineFiles);
  encodeAll(task.cancellationFields, cancellationColumns, result.cancellationFiles);

  const n = demand.length;
  result.demand = {
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
  result.cancelled.quantity = Float64Array.from(cancelledQuantity);
  result.cancelled.ts = Float64Array.from(cancelledTs);
  result.catalogue = catalogue.entries();
  return result;
}
