/**
 * Demand lines held as columns of typed arrays (~45 bytes a line) with dictionaries for SKUs,
 * invoices and customers: what the daily aggregation and cancellation netting need, without
 * keeping a million line objects alive.
 */
import { dayNumber } from './orderRecord';

export class Dictionary {
  private readonly index = new Map<string, number>();
  readonly values: string[] = [];

  id(value: string): number {
    let id = this.index.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.index.set(value, id);
    }
    return id;
  }

  find(value: string): number | undefined {
    return this.index.get(value);
  }

  get size(): number {
    return this.values.length;
  }
}

export interface DemandLineInput {
  sku: string;
  orderDate: string;
  orderTs: string;
  quantity: number;
  revenue: number;
  invoiceNo: string;
  customerId: string | null;
}

function grow<T extends Int32Array | Float64Array | Uint8Array>(arr: T, size: number): T {
  const next = new (arr.constructor as new (n: number) => T)(size);
  next.set(arr);
  return next;
}

export class DemandLines {
  readonly skus = new Dictionary();
  readonly invoices = new Dictionary();
  readonly customers = new Dictionary();
  length = 0;
  sku = new Int32Array(1024);
  day = new Int32Array(1024);
  /** Epoch seconds of the order time (shop-local time read as UTC). */
  ts = new Float64Array(1024);
  quantity = new Float64Array(1024);
  revenue = new Float64Array(1024);
  invoice = new Int32Array(1024);
  /** -1 when the customer is unknown. */
  customer = new Int32Array(1024);
  /** 1 when a matched cancellation takes the line out of demand. */
  netted = new Uint8Array(1024);

  private lastTsText: string | undefined = undefined;
  private lastTs = 0;

  add(line: DemandLineInput): number {
    return this.addLine(line, line.revenue);
  }

  /** add() for a line object without a revenue field (saves a copy per line). */
  addLine(line: Omit<DemandLineInput, 'revenue'>, revenue: number): number {
    // Lines of one invoice share their time: parse each distinct time once in a row.
    if (line.orderTs !== this.lastTsText) {
      this.lastTsText = line.orderTs;
      this.lastTs = Date.parse(line.orderTs) / 1000;
    }
    return this.addValues(line.sku, dayNumber(line.orderDate), this.lastTs, line.quantity, revenue, line.invoiceNo, line.customerId);
  }

  /** Adds one line from its values (`tsSeconds`: epoch seconds of the order time). */
  addValues(
    sku: string,
    day: number,
    tsSeconds: number,
    quantity: number,
    revenue: number,
    invoiceNo: string,
    customerId: string | null,
  ): number {
    if (this.length === this.sku.length) this.reserve(this.length + 1);
    const i = this.length;
    this.sku[i] = this.skus.id(sku);
    this.day[i] = day;
    this.ts[i] = tsSeconds;
    this.quantity[i] = quantity;
    this.revenue[i] = revenue;
    this.invoice[i] = this.invoices.id(invoiceNo);
    this.customer[i] = customerId === null ? -1 : this.customers.id(customerId);
    this.netted[i] = 0;
    this.length += 1;
    return i;
  }

  /** Room for at least `lines` lines (capacity doubles, so appends stay amortised O(1)). */
  private reserve(lines: number): void {
    let size = this.sku.length;
    while (size < lines) size *= 2;
    if (size === this.sku.length) return;
    this.sku = grow(this.sku, size);
    this.day = grow(this.day, size);
    this.ts = grow(this.ts, size);
    this.quantity = grow(this.quantity, size);
    this.revenue = grow(this.revenue, size);
    this.invoice = grow(this.invoice, size);
    this.customer = grow(this.customer, size);
    this.netted = grow(this.netted, size);
  }

  /** Appends another set's lines, in order (its dictionaries' first appearances keep their order here). */
  appendLines(other: DemandLines): void {
    const n = other.length;
    this.appendColumns({
      length: n,
      skus: other.skus.values,
      sku: other.sku.subarray(0, n),
      day: other.day.subarray(0, n),
      ts: other.ts.subarray(0, n),
      quantity: other.quantity.subarray(0, n),
      revenue: other.revenue.subarray(0, n),
      invoices: other.invoices.values,
      invoice: other.invoice.subarray(0, n),
      customers: other.customers.values,
      customer: other.customer.subarray(0, n),
    });
  }

  /** Appends lines given as columns with their own dictionaries (a month built on a worker thread). */
  appendColumns(part: {
    length: number;
    skus: readonly string[];
    sku: Int32Array;
    day: Int32Array;
    ts: Float64Array;
    quantity: Float64Array;
    revenue: Float64Array;
    invoices: readonly string[];
    invoice: Int32Array;
    customers: readonly string[];
    customer: Int32Array;
  }): void {
    const skuIds = part.skus.map((s) => this.skus.id(s));
    const invoiceIds = part.invoices.map((s) => this.invoices.id(s));
    const customerIds = part.customers.map((s) => this.customers.id(s));
    this.reserve(this.length + part.length);
    const at = this.length;
    this.day.set(part.day, at);
    this.ts.set(part.ts, at);
    this.quantity.set(part.quantity, at);
    this.revenue.set(part.revenue, at);
    for (let i = 0; i < part.length; i += 1) {
      this.sku[at + i] = skuIds[part.sku[i] as number] as number;
      this.invoice[at + i] = invoiceIds[part.invoice[i] as number] as number;
      const c = part.customer[i] as number;
      this.customer[at + i] = c < 0 ? -1 : (customerIds[c] as number);
      this.netted[at + i] = 0;
    }
    this.length += part.length;
  }

  /**
   * A copy holding only the lines on or after `firstDay` (netted flags kept, dictionaries rebuilt),
   * so a month-by-month pass keeps a bounded window of lines.
   */
  retainFrom(firstDay: number): DemandLines {
    const kept = new DemandLines();
    for (let i = 0; i < this.length; i += 1) {
      if ((this.day[i] as number) < firstDay) continue;
      const c = this.customer[i] as number;
      const j = kept.addValues(
        this.skus.values[this.sku[i] as number] as string,
        this.day[i] as number,
        this.ts[i] as number,
        this.quantity[i] as number,
        this.revenue[i] as number,
        this.invoices.values[this.invoice[i] as number] as string,
        c < 0 ? null : (this.customers.values[c] as string),
      );
      kept.netted[j] = this.netted[i] as number;
    }
    return kept;
  }
}

/** Line revenue rounded to 1/10000 so sums do not carry binary noise (0.85 × 12 = 10.2). */
export function lineRevenue(quantity: number, unitPrice: number): number {
  return roundRevenue(quantity * unitPrice);
}

export function roundRevenue(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
