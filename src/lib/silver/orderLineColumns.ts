/**
 * order_lines / cancellations rows of one month, built straight into columns from line batches
 * (no row objects), in the compact numeric form DeltaFileWriter's encoders take.
 */
import type { PhysicalColumn } from '../delta/dataFile';
import type { LineBatch } from './lineBatch';
import { dayNumber } from './orderRecord';

export class OrderLineColumns {
  private orderLineId: string[] = [];
  private invoiceNo: string[] = [];
  private sku: string[] = [];
  private description: Array<string | null> = [];
  private quantity: number[] = [];
  private unitPrice: number[] = [];
  private revenue: number[] = [];
  private customerId: Array<string | null> = [];
  private country: Array<string | null> = [];
  private orderMs: number[] = [];
  private orderDay: number[] = [];

  constructor(private readonly runId: string) {}

  get length(): number {
    return this.orderLineId.length;
  }

  push(batch: LineBatch, i: number, revenue: number): void {
    this.orderLineId.push(batch.orderLineId[i] as string);
    this.invoiceNo.push(batch.invoiceNo[i] as string);
    this.sku.push(batch.sku[i] as string);
    this.description.push(batch.description[i] ?? null);
    this.quantity.push(batch.quantity[i] as number);
    this.unitPrice.push(batch.unitPrice[i] as number);
    this.revenue.push(revenue);
    this.customerId.push(batch.customerId[i] ?? null);
    this.country.push(batch.country[i] ?? null);
    this.orderMs.push(batch.orderMs[i] as number);
    this.orderDay.push(dayNumber((batch.orderTs[i] as string).slice(0, 10)));
  }

  /** The columns gathered so far, by field name (order_month is the partition), and a fresh start. */
  take(): { length: number; columns: Record<string, PhysicalColumn> } {
    const length = this.length;
    const columns: Record<string, PhysicalColumn> = {
      order_line_id: this.orderLineId,
      invoice_no: this.invoiceNo,
      sku: this.sku,
      description: this.description,
      quantity: Float64Array.from(this.quantity),
      unit_price: Float64Array.from(this.unitPrice),
      revenue: Float64Array.from(this.revenue),
      customer_id: this.customerId,
      country: this.country,
      order_ts: Float64Array.from(this.orderMs),
      order_date: Int32Array.from(this.orderDay),
      run_id: { dictionary: [this.runId], indexes: new Int32Array(length) },
    };
    this.orderLineId = [];
    this.invoiceNo = [];
    this.sku = [];
    this.description = [];
    this.quantity = [];
    this.unitPrice = [];
    this.revenue = [];
    this.customerId = [];
    this.country = [];
    this.orderMs = [];
    this.orderDay = [];
    return { length, columns };
  }
}
