import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { ValidationError } from '../errors';
import type { OrderRecord } from '../ingest/orderRecord';

/** Column names of UCI Online Retail, and their Online Retail II spellings. */
const columnAliases: Record<string, keyof OrderRecord> = {
  InvoiceNo: 'InvoiceNo',
  Invoice: 'InvoiceNo',
  StockCode: 'StockCode',
  Description: 'Description',
  Quantity: 'Quantity',
  InvoiceDate: 'InvoiceDate',
  UnitPrice: 'UnitPrice',
  Price: 'UnitPrice',
  CustomerID: 'CustomerID',
  'Customer ID': 'CustomerID',
  Country: 'Country',
};

export interface OnlineRetailReadOptions {
  /** Keep lines with InvoiceDate >= from (`YYYY-MM-DD…`, compared as text). */
  from?: string;
  /** Keep lines with InvoiceDate < to. */
  to?: string;
  abortSignal?: AbortSignal;
}

/** A number when the text is one; otherwise the text itself, so bad source values reach Bronze as they were. */
function numberOrText(text: string): number | string {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

const emptyToNull = (text: string | undefined): string | null => (text === undefined || text === '' ? null : text);

/**
 * Streams an Online Retail (or Online Retail II) CSV, gzipped or not, as API order records in
 * (InvoiceDate, orderLineId) order. orderLineId is `<InvoiceNo>-<line within invoice, 4 digits>`,
 * counted in file order, so the same line gets the same id in both releases. The files are in
 * InvoiceDate order; lines with the same timestamp are held back (a few dozen) and sorted by id.
 */
export async function* readOnlineRetailCsv(filePath: string, options: OnlineRetailReadOptions = {}): AsyncIterable<OrderRecord> {
  const input = createReadStream(filePath);
  const text = filePath.endsWith('.gz') ? input.pipe(createGunzip()) : input;
  input.on('error', (err) => (text as NodeJS.ReadableStream & { destroy(e?: Error): void }).destroy(err));
  const rows = text.pipe(parse({ bom: true, relax_quotes: true }));
  const linesPerInvoice = new Map<string, number>();
  let header: Array<keyof OrderRecord | undefined> | undefined;
  let group: OrderRecord[] = [];
  let groupDate = '';
  let rowNumber = 0;
  const byId = (a: OrderRecord, b: OrderRecord): number => (a.orderLineId < b.orderLineId ? -1 : a.orderLineId > b.orderLineId ? 1 : 0);
  const keep = (d: string): boolean => (options.from === undefined || d >= options.from) && (options.to === undefined || d < options.to);
  try {
    for await (const row of rows as AsyncIterable<string[]>) {
      rowNumber++;
      if (!header) {
        header = row.map((name) => columnAliases[name]);
        for (const needed of ['InvoiceNo', 'StockCode', 'Quantity', 'InvoiceDate', 'UnitPrice'] as const) {
          if (!header.includes(needed)) throw new ValidationError('header', `${filePath}: no ${needed} column in header ${JSON.stringify(row)}`);
        }
        continue;
      }
      options.abortSignal?.throwIfAborted();
      const raw: Partial<Record<keyof OrderRecord, string>> = {};
      header.forEach((name, i) => {
        if (name) raw[name] = row[i];
      });
      const invoice = raw.InvoiceNo ?? '';
      const line = (linesPerInvoice.get(invoice) ?? 0) + 1;
      linesPerInvoice.set(invoice, line);
      const invoiceDate = raw.InvoiceDate ?? '';
      if (invoiceDate < groupDate) {
        throw new ValidationError('InvoiceDate', `${filePath} row ${rowNumber}: InvoiceDate ${JSON.stringify(invoiceDate)} comes after ${JSON.stringify(groupDate)}; the file must be in date order`);
      }
      if (!keep(invoiceDate)) continue;
      if (invoiceDate !== groupDate) {
        yield* group.sort(byId);
        group = [];
        groupDate = invoiceDate;
      }
      group.push({
        orderLineId: `${invoice}-${String(line).padStart(4, '0')}`,
        InvoiceNo: invoice,
        StockCode: raw.StockCode ?? '',
        Description: emptyToNull(raw.Description),
        Quantity: numberOrText(raw.Quantity ?? '') as number,
        InvoiceDate: invoiceDate,
        UnitPrice: numberOrText(raw.UnitPrice ?? '') as number,
        CustomerID: emptyToNull(raw.CustomerID),
        Country: emptyToNull(raw.Country),
      });
    }
    yield* group.sort(byId);
  } finally {
    input.destroy();
  }
}

/**
 * The two years 2009-12-01..2011-12-09: Online Retail II's 2009-2010 sheet, then Online Retail from
 * 2010-12-10 (the files overlap on 2010-12-01..2010-12-09 with the same lines; taken once).
 */
export async function* readOnlineRetailTwoYears(paths: { onlineRetailII: string; onlineRetail: string }, options: { abortSignal?: AbortSignal } = {}): AsyncIterable<OrderRecord> {
  yield* readOnlineRetailCsv(paths.onlineRetailII, { to: '2010-12-10', ...options });
  yield* readOnlineRetailCsv(paths.onlineRetail, { from: '2010-12-10', ...options });
}

/** Each record `copies` times, copy k > 0 with id `<orderLineId>/r<k>` (keeps the sort order): input at k× size. */
export async function* repeatOrders(records: AsyncIterable<OrderRecord>, copies: number): AsyncIterable<OrderRecord> {
  for await (const record of records) {
    yield record;
    for (let k = 1; k < copies; k++) yield { ...record, orderLineId: `${record.orderLineId}/r${k}` };
  }
}
