/**
 * Bad values as an attacker (or a broken partner export) sends them, through the real activities
 * (orders API → Bronze → Silver) on a local lake: each is quarantined with its reason, none stops
 * the run or poisons the watermark, and the next run still fetches new orders.
 */
import { ingestOrdersRun } from '../../src/lib/ingest/ordersIngestion';
import type { OrderRecord } from '../../src/lib/ingest/orderRecord';
import { OrdersWatermarks } from '../../src/lib/ingest/watermarks';
import { openLakeTable } from '../../src/lib/delta';
import { buildSilver } from '../../src/activities/buildSilver';
import { ingestInventory } from '../../src/activities/ingestInventory';
import { lakeTables } from '../../src/lib/lakeTables';
import { startOrdersApi } from '../../src/lib/sample/ordersApi';
import { capDescription, checkWallClock, defaultFieldBounds } from '../../src/lib/validation/fields';
import { lakeAt, makeOrders, servicesFor, settingsWith, tempDir, testOrdersClient } from './helpers';

const good = makeOrders(30);
const base = good[5] as OrderRecord;
const bad = (id: string, patch: Partial<Record<keyof OrderRecord, unknown>>): OrderRecord =>
  ({ ...base, orderLineId: id, InvoiceNo: id.split('-')[0] as string, ...patch }) as OrderRecord;
const hugeSku = 'A'.repeat(2_000_000);
const badOrders: Array<[string, OrderRecord, RegExp]> = [
  ['leap second', bad('900001-0001', { InvoiceDate: '2011-06-01 23:59:60' }), /^schema_invalid:InvoiceDate$/],
  ['impossible date', bad('900002-0001', { InvoiceDate: '2011-13-45 99:99:99' }), /^schema_invalid:InvoiceDate$/],
  ['year 9999', bad('900003-0001', { InvoiceDate: '9999-12-31 23:59:59' }), /^schema_invalid:InvoiceDate$/],
  ['before the floor', bad('900004-0001', { InvoiceDate: '1900-01-01 00:00:00' }), /^schema_invalid:InvoiceDate$/],
  ['quantity 2^31', bad('900005-0001', { Quantity: 2147483648 }), /^schema_invalid:Quantity$/],
  ['price 1e308', bad('900006-0001', { UnitPrice: 1e308 }), /^schema_invalid:UnitPrice$/],
  ['a 2-million-character SKU', bad('900007-0001', { StockCode: hugeSku }), /^schema_invalid:StockCode$/],
  ['a path as SKU', bad('900008-0001', { StockCode: '../../ETC/PASSWD' }), /^schema_invalid:StockCode$/],
];
const longDescription = bad('900009-0001', { Description: 'X'.repeat(1_000_000) });

const csv = [
  'snapshot_date,sku,on_hand,on_order',
  '2011-01-10,20001,99999999999999999999,0',
  '2011-01-10,20002,-5,0',
  '2011-01-10,20003,5,-3',
  '2099-01-10,20004,5,0',
  '2011-01-10,../X,5,0',
  '2011-01-10,20005,12,3',
].join('\n');

describe('bad input never stops the pipeline nor poisons its state', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('bad-input-'));
  });
  afterEach(() => cleanup());

  it('each bad value is quarantined with its reason, the watermark moves over valid records only, the next run fetches new orders', async () => {
    const day1 = [...good, ...badOrders.map(([, r]) => r), longDescription];
    const withoutOriginal = day1.filter((r) => r !== good.at(-1));
    // The same line id delivered again with another quantity (say 36 vs 1036) on day 2, inside
    // the window the next fetch covers (at the watermark).
    const original = good.at(-1) as OrderRecord;
    const redelivered = { ...original, Quantity: original.Quantity + 1000 };
    const later = makeOrders(6, { startDay: 40, idPrefix: '7' });
    const api1 = await startOrdersApi({ records: day1 });
    const lake = lakeAt(`${dir}/lake`);
    const settings = settingsWith({ DEMAND_ORDERS_API_URL: api1.url });
    const services = servicesFor(settings, lake, `${dir}/state`);
    const watermarks = await OrdersWatermarks.fromEntityStore(services.entities);
    const ingest = (url: string, runId: string) =>
      ingestOrdersRun({
        source: 'orders',
        runId,
        runDate: '2011-03-01',
        client: testOrdersClient(url),
        lake,
        watermarks,
        overlapMinutes: 0,
        pagesPerPart: 2,
      });
    try {
      await lake.put('landing/inventory/inv.csv', Buffer.from(csv));
      const orders = await ingest(api1.url, 'run-1');
      const inventory = await ingestInventory({ runId: 'run-1', runDate: '2011-03-01', startedAt: '2011-03-01T00:00:00Z' }, services);
      expect(inventory.filesIngested).toBe(1);
      const lastGood = good
        .map((r) => r.InvoiceDate)
        .sort()
        .at(-1);
      expect(orders.watermarkAfter).toBe(lastGood);
      const silver = await buildSilver(
        {
          runId: 'run-1',
          runDate: '2011-03-01',
          startedAt: '2011-03-01T00:00:00Z',
          orderManifests: orders.batches.map((b) => b.manifestPath),
          inventoryManifests: inventory.batches.map((b) => b.manifestPath),
        },
        services,
      );

      const quarantine = await openLakeTable(lake, lakeTables.quarantine).readAll();
      for (const [label, record, reason] of badOrders) {
        const row = quarantine.find((q) => String(q.raw).includes(record.orderLineId));
        expect([label, row ? String(row.reason) : 'not quarantined']).toEqual([label, expect.stringMatching(reason)]);
      }
      const inventoryReasons = quarantine
        .filter((q) => q.source === 'inventory')
        .map((q) => String(q.reason))
        .sort();
      expect(inventoryReasons).toEqual([
        'schema_invalid:on_hand',
        'schema_invalid:on_hand',
        'schema_invalid:on_order',
        'schema_invalid:sku',
        'schema_invalid:snapshot_date',
      ]);
      const stock = await openLakeTable(lake, lakeTables.inventory_snapshots).readAll();
      expect(stock.map((r) => r.sku)).toEqual(['20005']);

      const lines = await openLakeTable(lake, lakeTables.order_lines).readAll();
      expect(lines).toHaveLength(good.length + 1);
      expect(String(lines.find((l) => l.order_line_id === longDescription.orderLineId)?.description)).toHaveLength(
        defaultFieldBounds.maxDescriptionLength,
      );
      expect(silver.orderLinesKept).toBe(good.length + 1);

      // Day 2: new orders and a conflicting re-delivery; the watermark was not poisoned, so they come.
      await api1.close();
      const api2 = await startOrdersApi({ records: [...withoutOriginal, redelivered, ...later] });
      try {
        const orders2 = await ingest(api2.url, 'run-2');
        expect(orders2.records).toBeGreaterThanOrEqual(later.length);
        expect(orders2.watermarkAfter).toBe(
          later
            .map((r) => r.InvoiceDate)
            .sort()
            .at(-1),
        );
        await buildSilver(
          {
            runId: 'run-2',
            runDate: '2011-03-02',
            startedAt: '2011-03-02T00:00:00Z',
            orderManifests: orders2.batches.map((b) => b.manifestPath),
            inventoryManifests: [],
          },
          services,
        );
        const lines2 = await openLakeTable(lake, lakeTables.order_lines).readAll();
        expect(lines2).toHaveLength(good.length + 1 + later.length);
        // First delivery wins in Silver; the other version is kept as a conflict in quarantine.
        expect(Number(lines2.find((l) => l.order_line_id === redelivered.orderLineId)?.quantity)).toBe(original.Quantity);
        const conflicts = (await openLakeTable(lake, lakeTables.quarantine).readAll()).filter((q) => q.reason === 'redelivered_conflict');
        expect(conflicts).toHaveLength(1);
        expect(String(conflicts[0]?.raw)).toContain(`"Quantity":${redelivered.Quantity}`);
        // Bad records re-delivered by the second fetch are not quarantined twice.
        const all = await openLakeTable(lake, lakeTables.quarantine).readAll();
        expect(all.filter((q) => String(q.raw).includes('900001-0001'))).toHaveLength(1);
      } finally {
        await api2.close();
      }
    } finally {
      await api1.close().catch(() => undefined);
    }
  });

  it('the bounds are settings: DEMAND_MAX_ORDER_QUANTITY=100 quarantines a quantity of 500', async () => {
    const records = [...makeOrders(6), bad('900010-0001', { Quantity: 500 })];
    const api = await startOrdersApi({ records });
    try {
      const lake = lakeAt(`${dir}/lake`);
      const services = servicesFor(settingsWith({ DEMAND_MAX_ORDER_QUANTITY: '100' }), lake, `${dir}/state`);
      const watermarks = await OrdersWatermarks.fromEntityStore(services.entities);
      const client = testOrdersClient(api.url);
      const orders = await ingestOrdersRun({
        source: 'orders',
        runId: 'run-1',
        runDate: '2011-03-01',
        client,
        lake,
        watermarks,
        overlapMinutes: 0,
        pagesPerPart: 2,
      });
      await buildSilver(
        {
          runId: 'run-1',
          runDate: '2011-03-01',
          startedAt: '2011-03-01T00:00:00Z',
          orderManifests: orders.batches.map((b) => b.manifestPath),
          inventoryManifests: [],
        },
        services,
      );
      const quarantine = await openLakeTable(lake, lakeTables.quarantine).readAll();
      expect(quarantine.map((q) => [q.reason, q.detail])).toEqual([
        ['schema_invalid:Quantity', 'Quantity=500: |value| must be at most 100'],
      ]);
    } finally {
      await api.close();
    }
  });

  it('field validators: calendar instants, bounds and caps', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(checkWallClock('t', '2011-06-01 23:59:59', { now })).toEqual({ ok: true, value: '2011-06-01 23:59:59' });
    expect(checkWallClock('t', '2011-02-29 10:00:00', { now })).toMatchObject({ ok: false, reason: 'impossible_time' });
    expect(checkWallClock('t', '2012-02-29 10:00', { now })).toEqual({ ok: true, value: '2012-02-29 10:00:00' });
    expect(checkWallClock('t', '2011-06-01 24:00:00', { now })).toMatchObject({ ok: false, reason: 'impossible_time' });
    expect(checkWallClock('t', '2026-01-01 23:00:00', { now })).toMatchObject({ ok: true });
    expect(checkWallClock('t', '2026-01-02 01:00:00', { now })).toMatchObject({ ok: false, reason: 'in_future' });
    expect(checkWallClock('t', '1989-12-31 23:59:59', { now })).toMatchObject({ ok: false, reason: 'too_old' });
    expect(capDescription('abc', { maxDescriptionLength: 2 })).toBe('ab');
  });
});
