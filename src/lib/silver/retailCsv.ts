/**
 * Online Retail (UCI "Online Retail" and "Online Retail II") CSV rows as Bronze-shaped order
 * records, for loading a historical export and for the benchmark. Both header variants are read
 * (Invoice/InvoiceNo, Price/UnitPrice, Customer ID/CustomerID). Values are passed on as they
 * are (numbers parsed, empty → null); judging them is the Silver rules' job.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import type { SourceRecord } from './silverBuild';

export interface RetailCsvOptions {
  /** Prefix of the generated orderLineId: `<idPrefix>:<row number>`. */
  idPrefix: string;
  /** Keep only rows whose InvoiceDate is before this 'YYYY-MM-DD' (drops an overlap window). */
  before?: string;
  /** Keep only rows whose InvoiceDate is on or after this 'YYYY-MM-DD'. */
  from?: string;
  /** Shift every InvoiceDate by this many whole years and suffix ids/invoices (synthetic larger inputs). */
  shiftYears?: number;
}

function numberOrText(text: string | undefined): number | string | null {
  if (text === undefined || text === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

/** Column position of the first header name present, -1 when none is. */
function columnOf(header: readonly string[], ...names: string[]): number {
  for (const n of names) {
    const i = header.indexOf(n);
    if (i >= 0) return i;
  }
  return -1;
}

/** Parsed CSV rows (string arrays, header first) of an Online Retail file. */
export function parseRetailCsvRows(filePath: string): AsyncIterable<string[]> {
  const input = createReadStream(filePath);
  return (filePath.endsWith('.gz') ? input.pipe(createGunzip()) : input).pipe(
    parse({ bom: true, relax_column_count: true }),
  ) as AsyncIterable<string[]>;
}

/**
 * Online Retail rows (header first, then data rows as string arrays) as Bronze-shaped records;
 * `sourcePath` names where they came from.
 */
export async function* retailRecordsFromRows(
  rows: AsyncIterable<string[]> | Iterable<string[]>,
  sourcePath: string,
  options: RetailCsvOptions,
): AsyncIterable<SourceRecord> {
  let header: string[] | undefined;
  let col = { invoice: -1, stockCode: -1, description: -1, quantity: -1, invoiceDate: -1, price: -1, customer: -1, country: -1 };
  const at = (row: readonly string[], i: number): string | undefined => (i >= 0 ? row[i] : undefined);
  let rowNumber = 0;
  let index = 0;
  const shift = options.shiftYears ?? 0;
  for await (const row of rows) {
    if (!header) {
      header = row;
      col = {
        invoice: columnOf(header, 'InvoiceNo', 'Invoice'),
        stockCode: columnOf(header, 'StockCode'),
        description: columnOf(header, 'Description'),
        quantity: columnOf(header, 'Quantity'),
        invoiceDate: columnOf(header, 'InvoiceDate'),
        price: columnOf(header, 'UnitPrice', 'Price'),
        customer: columnOf(header, 'CustomerID', 'Customer ID'),
        country: columnOf(header, 'Country'),
      };
      continue;
    }
    rowNumber += 1;
    let invoiceDate = at(row, col.invoiceDate) ?? '';
    if (options.before !== undefined && invoiceDate.slice(0, 10) >= options.before) continue;
    if (options.from !== undefined && invoiceDate.slice(0, 10) < options.from) continue;
    let invoice = at(row, col.invoice) ?? '';
    if (shift !== 0) {
      const year = Number(invoiceDate.slice(0, 4)) + shift;
      invoiceDate = `${year}${invoiceDate.slice(4)}`;
      // 29 February does not exist in every year.
      if (invoiceDate.slice(5, 10) === '02-29') invoiceDate = `${invoiceDate.slice(0, 5)}02-28${invoiceDate.slice(10)}`;
      invoice = `${invoice}-${shift}`;
    }
    const customer = at(row, col.customer);
    const description = at(row, col.description);
    const country = at(row, col.country);
    yield {
      record: {
        orderLineId: `${options.idPrefix}:${rowNumber}`,
        InvoiceNo: invoice,
        StockCode: at(row, col.stockCode) ?? '',
        Description: description === undefined || description === '' ? null : description,
        Quantity: numberOrText(at(row, col.quantity)),
        InvoiceDate: invoiceDate,
        UnitPrice: numberOrText(at(row, col.price)),
        CustomerID: customer === undefined || customer === '' ? null : customer,
        Country: country === undefined || country === '' ? null : country,
      },
      index: index++,
      sourcePath,
    };
  }
}

export function readRetailCsv(filePath: string, options: RetailCsvOptions): AsyncIterable<SourceRecord> {
  return retailRecordsFromRows(parseRetailCsvRows(filePath), filePath, options);
}
