/**
 * The cleansing rules, through the path production runs: records go through the Silver build
 * (cleanseThroughSilver) and each one's fate is read back from the tables it wrote.
 */
import { DemandLines } from '../../src/lib/silver/demandLines';
import { checkInventoryRecord } from '../../src/lib/silver/inventoryRecord';
import { netCancellations } from '../../src/lib/silver/netting';
import { normaliseCustomerId, normaliseSku } from '../../src/lib/silver/orderRecord';
import { ProductCatalogue } from '../../src/lib/silver/products';
import { defaultRuleSet, ruleSetFromJson } from '../../src/lib/silver/ruleSet';
import defaultJson from '../../src/lib/silver/rules/online-retail.v1.json';
import { cleanseThroughSilver, type RecordOutcome } from './cleanseThroughSilver';
import { sampleOrderRecord } from './sampleOrderRecord';
import { expect } from '@jest/globals';

let seq = 0;
function rec(over: Record<string, unknown> = {}): Record<string, unknown> {
  seq += 1;
  return { ...sampleOrderRecord, orderLineId: `t:${seq}`, ...over };
}

describe('rule set', () => {
  it('loads the shipped rule set with its version tag', () => {
    expect(defaultRuleSet().versionTag).toBe('online-retail@1.0.0');
  });
  it('refuses a rule set with a bad pattern or duplicate ids, naming the field', () => {
    const bad = { ...defaultJson, rules: [{ id: 'x', field: 'StockCode', matches: ['('], action: 'quarantine' }] };
    expect(() => ruleSetFromJson(bad)).toThrow(/invalid pattern "\("/);
    const dup = { ...defaultJson, rules: [defaultJson.rules[0], defaultJson.rules[0]] };
    expect(() => ruleSetFromJson(dup)).toThrow(/appears twice/);
    expect(() => ruleSetFromJson({ ...defaultJson, version: 'v1' })).toThrow(/version/);
  });
});

const ruleCases: Array<[Record<string, unknown>, string]> = [
  [{ InvoiceNo: 'C536379', Quantity: -1 }, 'cancellation'],
  [{ InvoiceNo: 'A563185', UnitPrice: -11062.06, StockCode: 'B' }, 'bad_debt_adjustment'],
  [{ StockCode: 'POST' }, 'non_product_code'],
  [{ StockCode: 'm' }, 'non_product_code'],
  [{ StockCode: 'BANK CHARGES' }, 'non_product_code'],
  [{ StockCode: 'gift_0001_20' }, 'non_product_code'],
  [{ StockCode: 'DCGS0066P' }, 'non_product_code'],
  [{ StockCode: 'TEST001' }, 'non_product_code'],
  [{ StockCode: 'SP1002' }, 'non_product_code'],
  [{ StockCode: 'C2', InvoiceNo: 'C1' }, 'non_product_code'],
  [{ Quantity: 0 }, 'quantity_not_positive'],
  [{ Quantity: -5, UnitPrice: 0 }, 'quantity_not_positive'],
  [{ UnitPrice: 0 }, 'price_not_positive'],
  [{ Quantity: 'six' }, 'schema_invalid:Quantity'],
  [{ Quantity: 1.5 }, 'schema_invalid:Quantity'],
  [{ InvoiceDate: '2010-02-30 10:00:00' }, 'schema_invalid:InvoiceDate'],
  [{ UnitPrice: undefined }, 'schema_invalid:UnitPrice'],
  [{ StockCode: '  ' }, 'schema_invalid:StockCode'],
  [{ orderLineId: 7 }, 'schema_invalid:orderLineId'],
];

describe('order line cleansing rules (through the Silver build)', () => {
  // One build for every single-record case: each record is judged on its own (none is a copy of another).
  const normal = rec({ StockCode: ' 85123a ', CustomerID: '17850.0', Description: '  WHITE  HEART ' });
  const malformed = rec({ Quantity: 'six', InvoiceNo: '536999' });
  const cases = ruleCases.map(([over]) => rec(over));
  let outcomes: RecordOutcome[] = [];
  beforeAll(async () => {
    outcomes = (await cleanseThroughSilver([normal, malformed, ...cases])).outcomes;
  });

  it('keeps a normal line with normalised SKU and customer id', () => {
    expect(outcomes[0]).toMatchObject({ kind: 'demand', line: { sku: '85123A', customerId: '17850', description: 'WHITE HEART' } });
  });
  it.each(ruleCases.map(([over, expected], i) => [over, expected, i] as const))('%j → %s', (_over, expected, i) => {
    const v = outcomes[i + 2];
    if (expected === 'cancellation') expect(v?.kind).toBe('cancellation');
    else expect(v).toMatchObject({ kind: 'quarantine', reason: expected });
  });
  it('names the field and value of a malformed record', () => {
    expect(outcomes[1]).toMatchObject({ detail: expect.stringContaining('Quantity="six"') });
  });
  it('quarantines extra exact copies within an invoice, keeps the first, and silently drops re-deliveries', async () => {
    const a = rec();
    const { outcomes: o, result } = await cleanseThroughSilver([
      a,
      { ...a },
      { ...a, orderLineId: 'other' },
      { ...a, orderLineId: 'other2', InvoiceNo: '536366' },
      { ...a, orderLineId: 'other3', Quantity: 7 },
    ]);
    expect(o[0]?.kind).toBe('demand');
    expect(o[1]).toEqual({ kind: 'redelivered' });
    expect(result.redelivered).toBe(1);
    expect(o[2]).toMatchObject({ kind: 'quarantine', reason: 'duplicate_line' });
    expect(o[3]?.kind).toBe('demand');
    expect(o[4]?.kind).toBe('demand');
  });
  it('keeps duplicates when the policy says keep', async () => {
    const a = rec();
    const ruleSet = ruleSetFromJson({ ...defaultJson, duplicates: { policy: 'keep', reason: 'duplicate_line' } });
    const { outcomes: o } = await cleanseThroughSilver([a, { ...a, orderLineId: 'copy' }], { ruleSet });
    expect(o[0]?.kind).toBe('demand');
    expect(o[1]?.kind).toBe('demand');
  });
  it('normalises SKUs and customer ids', () => {
    expect(normaliseSku(' 85123a ')).toBe('85123A');
    expect(normaliseSku('bank  charges')).toBe('BANK CHARGES');
    expect(normaliseCustomerId('17850.0')).toBe('17850');
    expect(normaliseCustomerId(13085)).toBe('13085');
    expect(normaliseCustomerId('')).toBeNull();
  });
});

describe('canonical description', () => {
  it('picks the most frequent non-empty description, ties to the latest', () => {
    const c = new ProductCatalogue('latest');
    const add = (description: string | null, ts: string) =>
      c.add({ sku: 'X', description, quantity: 1, orderDate: ts.slice(0, 10), orderTs: ts });
    add('OLD NAME', '2010-01-01T10:00:00.000Z');
    add('NEW NAME', '2010-02-01T10:00:00.000Z');
    add(null, '2010-03-01T10:00:00.000Z');
    add(null, '2010-03-02T10:00:00.000Z');
    expect(c.canonicalDescription('X')).toBe('NEW NAME');
    add('OLD NAME', '2010-01-05T10:00:00.000Z');
    expect(c.row('X')).toMatchObject({
      description: 'OLD NAME',
      first_sale_date: '2010-01-01',
      last_sale_date: '2010-03-02',
      order_lines: 5,
      total_units: 5,
    });
  });
});

function demandOf(lines: Array<[string, string, number, string, string | null]>): DemandLines {
  const d = new DemandLines();
  for (const [sku, ts, quantity, invoiceNo, customerId] of lines) {
    d.add({ sku, orderDate: ts.slice(0, 10), orderTs: ts, quantity, revenue: quantity, invoiceNo, customerId });
  }
  return d;
}

describe('cancellation netting', () => {
  it('nets a cancellation against the latest earlier line with the same customer, SKU and quantity, one to one', () => {
    const d = demandOf([
      ['23843', '2011-12-09T09:15:00.000Z', 80995, '581483', '16446'],
      ['23843', '2011-12-01T09:15:00.000Z', 80995, '581400', '16446'],
      ['23843', '2011-12-09T09:15:00.000Z', 80995, '581483', '99999'],
      ['23843', '2011-12-09T09:15:00.000Z', 5, '581483', '16446'],
    ]);
    const r = netCancellations(d, [{ sku: '23843', customerId: '16446', quantity: 80995, ts: Date.parse('2011-12-09T09:27:00Z') / 1000 }], {
      maxDaysBetween: 28,
    });
    expect(r.nettedLines).toEqual([0]);
    expect([...d.netted.slice(0, 4)]).toEqual([1, 0, 0, 0]);
  });
  it('does not net outside the window or without a customer', () => {
    const d = demandOf([['A', '2011-01-01T09:00:00.000Z', 3, '1', '5']]);
    expect(
      netCancellations(d, [{ sku: 'A', customerId: '5', quantity: 3, ts: Date.parse('2011-02-15T00:00:00Z') / 1000 }], {
        maxDaysBetween: 28,
      }).matched,
    ).toBe(0);
    expect(
      netCancellations(d, [{ sku: 'A', customerId: null, quantity: 3, ts: Date.parse('2011-01-02T00:00:00Z') / 1000 }], {
        maxDaysBetween: 28,
      }).matched,
    ).toBe(0);
  });
});

describe('daily demand (through the Silver build)', () => {
  it('zero-fills every day of the SKU range, counts distinct orders and customers, joins stock and flags stockouts', async () => {
    const line = (id: string, at: string, quantity: number, invoice: string, customer: string | null) =>
      rec({ orderLineId: id, StockCode: '85123A', InvoiceDate: at, Quantity: quantity, InvoiceNo: invoice, CustomerID: customer });
    const { dailyDemand } = await cleanseThroughSilver(
      [
        line('d1', '2011-01-30 09:00:00', 2, '500001', 'c1'),
        line('d2', '2011-01-30 10:00:00', 3, '500001', 'c1'),
        line('d3', '2011-01-30 11:00:00', 1, '500002', null),
        line('d4', '2011-02-02 09:00:00', 4, '500003', 'c2'),
      ],
      {
        inventory: [
          { snapshot_date: '2011-01-31', sku: '85123A', on_hand: 0 },
          { snapshot_date: '2011-02-02', sku: '85123A', on_hand: 12 },
        ],
      },
    );
    const rows = [...dailyDemand].sort((a, b) => String(a.date).localeCompare(String(b.date)));
    expect(rows.map((r) => [r.date, r.units, r.orders, r.customers, r.on_hand, r.stockout, r.month])).toEqual([
      ['2011-01-30', 6, 2, 1, null, false, '2011-01'],
      ['2011-01-31', 0, 0, 0, 0, true, '2011-01'],
      ['2011-02-01', 0, 0, 0, 0, true, '2011-02'],
      ['2011-02-02', 4, 1, 1, 12, false, '2011-02'],
    ]);
    // Each month's rows are its own partition.
    expect(rows.filter((r) => r.month === '2011-02')).toHaveLength(2);
  });
});

describe('inventory records', () => {
  it('accepts CSV strings and NDJSON numbers, rejects bad values naming the field', () => {
    expect(checkInventoryRecord({ snapshot_date: '2011-01-03', sku: '85123a', on_hand: '12', on_order: '' }, 'f.csv')).toEqual({
      ok: true,
      snapshot: { snapshotDate: '2011-01-03', sku: '85123A', onHand: 12, onOrder: null, sourceFile: 'f.csv' },
    });
    expect(checkInventoryRecord({ snapshot_date: '2011-01-03', sku: 'X', on_hand: 3, on_order: 4 }, 'f').ok).toBe(true);
    expect(checkInventoryRecord({ snapshot_date: '2011-01-03', sku: 'X', on_hand: 'lots' }, 'f')).toMatchObject({
      ok: false,
      field: 'on_hand',
    });
    expect(checkInventoryRecord({ snapshot_date: '03/01/2011', sku: 'X', on_hand: 1 }, 'f')).toMatchObject({
      ok: false,
      field: 'snapshot_date',
    });
  });
});
