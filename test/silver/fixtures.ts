import { DeltaTable } from '../../src/lib/delta/deltaTable';
import type { DeltaFileWriter } from '../../src/lib/delta/types';
import { seededRandom } from '../../src/lib/sample/seededRandom';

/**
 * Four months of orders with everything the rules act on: exact copies, re-deliveries in a later
 * part, cancellations that net lines of the previous month, non-product codes, zero quantities and
 * prices, and records that are not valid at all.
 */
export function orders(): Array<Record<string, unknown>> {
  const next = seededRandom(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const skus = Array.from({ length: 25 }, (_, i) => `${20000 + i}${i % 5 === 0 ? 'a' : ''}`);
  const out: Array<Record<string, unknown>> = [];
  const start = Date.UTC(2011, 0, 3);
  let id = 0;
  for (let invoice = 0; invoice < 700; invoice++) {
    const ts = new Date(start + Math.floor(next() * 115) * 86_400_000 + Math.floor(next() * 600) * 60_000).toISOString();
    const when = `${ts.slice(0, 10)} ${ts.slice(11, 19)}`;
    const customer = next() < 0.15 ? null : `${12000 + Math.floor(next() * 40)}.0`;
    for (let l = 0, n = 1 + Math.floor(next() * 6); l < n; l++) {
      const sku = next() < 0.02 ? 'POST' : pick(skus);
      const quantity = next() < 0.02 ? 0 : 1 + Math.floor(next() * 12);
      const record = {
        orderLineId: `L${id++}`,
        InvoiceNo: String(530000 + invoice),
        StockCode: next() < 0.1 ? ` ${sku.toLowerCase()} ` : sku,
        Description: `ITEM ${sku}`,
        Quantity: quantity,
        InvoiceDate: when,
        UnitPrice: next() < 0.01 ? 0 : 1.25,
        CustomerID: customer,
        Country: 'United Kingdom',
      };
      out.push(record);
      if (next() < 0.03) out.push({ ...record, orderLineId: `L${id++}` }); // exact copy within the invoice
      if (customer !== null && next() < 0.05) {
        // Cancelled 1–20 days later, often in the next month.
        const later = new Date(Date.parse(`${when.replace(' ', 'T')}Z`) + (1 + Math.floor(next() * 20)) * 86_400_000).toISOString();
        out.push({
          ...record,
          orderLineId: `L${id++}`,
          InvoiceNo: `C${530000 + invoice}`,
          Quantity: -quantity,
          InvoiceDate: `${later.slice(0, 10)} ${later.slice(11, 19)}`,
        });
      }
      if (next() < 0.01) out.push({ ...record, orderLineId: `L${id++}`, Quantity: 'x' });
    }
  }
  // The ingest overlap delivers the last 40 lines again.
  return [...out, ...out.slice(-40)];
}

/** Makes the commit of `tablePath` fail once, before it happens or just after it. */
export function stopAt(tablePath: string, when: 'before' | 'after'): void {
  // Taken unbound on purpose: the spies below call them with the spied instance as `this`.
  const realWrite = Reflect.get(DeltaTable.prototype, 'write');
  const realOpen = Reflect.get(DeltaTable.prototype, 'openWriter');
  let armed = true;
  const fire = (): never => {
    armed = false;
    throw new Error(`host stopped ${when} committing ${tablePath}`);
  };
  jest.spyOn(DeltaTable.prototype, 'write').mockImplementation(async function (this: DeltaTable, rows, options) {
    if (!armed || this.path !== tablePath) return realWrite.call(this, rows, options);
    if (when === 'before') fire();
    await realWrite.call(this, rows, options);
    return fire();
  });
  jest.spyOn(DeltaTable.prototype, 'openWriter').mockImplementation(async function (this: DeltaTable, options) {
    const writer = await realOpen.call(this, options);
    if (this.path !== tablePath) return writer;
    const wrapped: DeltaFileWriter = {
      ...writer,
      addFile: (values, file) => writer.addFile(values, file),
      abort: () => writer.abort(),
      commit: async () => {
        if (!armed) return writer.commit();
        if (when === 'before') fire();
        await writer.commit();
        return fire();
      },
    };
    return wrapped;
  });
}
