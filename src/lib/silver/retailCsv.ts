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

function pick(row: Record<string, string>, ...names: string[]): string | undefined {
  for (const n of names) if (row[n] !== undefined) return row[n];
  return undefined;
}

function numberOrText(text: string | undefined): number | string | null {
  if (text === undefined || text === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

export async function* readRetailCsv(filePath: string, options: RetailCsvOptions): AsyncIterable<SourceRecord> {
  const input = createReadStream(filePath);
  const rows = (filePath.endsWith('.gz') ? input.pipe(createGunzip()) : input).pipe(parse({ columns: true, bom: true, relax_column_count: true }));
  let rowNumber = 0;
  let index = 0;
  const shift = options.shiftYears ?? 0;
  for await (const row of rows as AsyncIterable<Record<string, string>>) {
    rowNumber += 1;
    let invoiceDate = pick(row, 'InvoiceDate') ?? '';
    if (options.before !== undefined && invoiceDate.slice(0, 10) >= options.before) continue;
    if (options.from !== undefined && invoiceDate.slice(0, 10) < options.from) continue;
    let invoice = pick(row, 'InvoiceNo', 'Invoice') ?? '';
    if (shift !== 0) {
      const year = Number(invoiceDate.slice(0, 4)) + shift;
      invoiceDate = `${year}${invoiceDate.slice(4)}`;
      // 29 February does not exist in every year.
      if (invoiceDate.slice(5, 10) === '02-29') invoiceDate = `${invoiceDate.slice(0, 5)}02-28${invoiceDate.slice(10)}`;
      invoice = `${invoice}-${shift}`;
    }
    const customer = pick(row, 'CustomerID', 'Customer ID');
    const description = pick(row, 'Description');
    const country = pick(row, 'Country');
    yield {
      record: {
        orderLineId: `${options.idPrefix}:${rowNumber}`,
        InvoiceNo: invoice,
        StockCode: pick(row, 'StockCode') ?? '',
        Description: description === undefined || description === '' ? null : description,
        Quantity: numberOrText(pick(row, 'Quantity')),
        InvoiceDate: invoiceDate,
        UnitPrice: numberOrText(pick(row, 'UnitPrice', 'Price')),
        CustomerID: customer === undefined || customer === '' ? null : customer,
        Country: country === undefined || country === '' ? null : country,
      },
      index: index++,
      sourcePath: filePath,
    };
  }
}
