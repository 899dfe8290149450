/**
 * checkOrderRecord takes a fast path for well-formed records before falling back to zod: it must
 * give exactly zod's verdict and output, for good and bad records alike.
 */
import { sampleOrderRecord } from './sampleOrderRecord';
import { checkOrderRecord, isValidCalendarDate, orderRecordSchema } from '../../src/lib/silver/orderRecord';

const base: Record<string, unknown> = { ...sampleOrderRecord };

const variants: Array<Record<string, unknown>> = [
  {},
  { extra: 'dropped' },
  { Description: null },
  { Description: undefined },
  { Description: '' },
  { Description: 5 },
  { Country: null },
  { Country: 7 },
  { CustomerID: 17850 },
  { CustomerID: 17850.5 },
  { CustomerID: null },
  { CustomerID: undefined },
  { CustomerID: Infinity },
  { CustomerID: NaN },
  { CustomerID: true },
  { Quantity: -3 },
  { Quantity: 1.5 },
  { Quantity: 2 ** 60 },
  { Quantity: '6' },
  { Quantity: NaN },
  { UnitPrice: 0 },
  { UnitPrice: -1.25 },
  { UnitPrice: Infinity },
  { UnitPrice: '2.55' },
  { InvoiceDate: '2010-12-01T08:26' },
  { InvoiceDate: '2010-12-01 08:26' },
  { InvoiceDate: '2010-02-30 08:26:00' },
  { InvoiceDate: '01/12/2010 08:26' },
  { InvoiceDate: 20101201 },
  { StockCode: '   ' },
  { StockCode: ' 85123a ' },
  { StockCode: 85123 },
  { InvoiceNo: '' },
  { InvoiceNo: 536365 },
  { orderLineId: '' },
  { orderLineId: undefined },
];

function viaZod(raw: unknown): unknown {
  const parsed = orderRecordSchema.safeParse(raw);
  if (!parsed.success) return { ok: false };
  if (!isValidCalendarDate(parsed.data.InvoiceDate.slice(0, 10))) return { ok: false };
  return { ok: true, record: parsed.data };
}

describe('checkOrderRecord fast path', () => {
  it.each(
    variants.map((v) => [
      JSON.stringify(v, (_k, x: unknown) => (x === undefined ? 'undefined' : typeof x === 'number' && !Number.isFinite(x) ? String(x) : x)),
      v,
    ]),
  )('agrees with the zod schema for %s', (_name, over) => {
    const raw = { ...base, ...over };
    const got = checkOrderRecord(raw);
    const want = viaZod(raw) as { ok: boolean; record?: unknown };
    expect(got.ok).toBe(want.ok);
    if (got.ok) expect(got.record).toStrictEqual(want.record);
  });

  it('refuses non-objects with a field-naming detail', () => {
    for (const raw of [null, 'text', 42, [base]]) {
      const got = checkOrderRecord(raw);
      expect(got.ok).toBe(false);
      expect(viaZod(raw)).toEqual({ ok: false });
    }
  });
});
