/**
 * Hostile values through definition sources, as badInput.test.ts sends them to the Online Retail
 * path: a year-9999 timestamp, a leap second, a quantity of 2^31 and a path as SKU, through the
 * shopify preset (REST, against the fake of its Admin API) and a files-kind CSV. The run completes,
 * Silver quarantines each with a reason naming the field and value, the watermark never moves past
 * now, and the next run still fetches new orders.
 */
import { promises as fs } from 'node:fs';
import { openLakeTable } from '../../src/lib/delta';
import { OrdersWatermarks } from '../../src/lib/ingest/watermarks';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables } from '../../src/lib/lakeTables';
import type { IngestOrdersOutput } from '../../src/contracts/messages';
import { ruleSetByName } from '../../src/lib/silver/ruleSet';
import { buildSilverTables } from '../../src/lib/silver/silverBuild';
import type { FilesSourceDefinition, RestSourceDefinition } from '../../src/lib/sources/definition';
import { ingestOrderFiles } from '../../src/lib/sources/files/ingestOrderFiles';
import { loadOrdersSource, parseSourceDefinition } from '../../src/lib/sources/loadDefinition';
import { ingestRestSource } from '../../src/lib/sources/rest/ingestRestSource';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { fieldBoundsFromSettings } from '../../src/lib/validation/fields';
import { buildSilver } from '../../src/activities/buildSilver';
import { ingestOrders } from '../../src/activities/ingestOrders';
import { servicesFor, settingsWith, tempDir } from '../ingest/helpers';
import { shopifyToken, startShopifyFake, type ShopifyOrder } from './fakes/shopifyFake';
import { expect } from '@jest/globals';

const nowText = (): string => new Date().toISOString().slice(0, 19).replace('T', ' ');

async function quarantineByKey(lake: FileSystemLake): Promise<Array<{ reason: string; detail: string; raw: string }>> {
  return (await openLakeTable(lake, lakeTables.quarantine).readAll()).map((q) => ({
    reason: String(q.reason),
    detail: String(q.detail),
    raw: String(q.raw),
  }));
}

function shopifyOrder(id: number, at: string, item: Partial<ShopifyOrder['line_items'][number]> = {}, updatedAt = at): ShopifyOrder {
  return {
    id,
    created_at: at,
    updated_at: updatedAt,
    cancelled_at: null,
    financial_status: 'paid',
    currency: 'USD',
    customer: { id: 207119551 },
    line_items: [
      {
        id: id * 10,
        variant_id: 39072856,
        product_id: 632910392,
        sku: 'IPOD2008GREEN',
        title: 'IPod Nano - 8gb',
        quantity: 1,
        price: '199.00',
        ...item,
      },
    ],
  };
}

describe('hostile values through definition sources', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let lake: FileSystemLake;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('demand-hostile-'));
    lake = FileSystemLake.fromDirectory(`${dir}/lake`);
  });
  afterEach(() => cleanup());

  it('shopify preset: quarantined with reasons, the watermark stays at the last valid update, the next run fetches new orders', async () => {
    const orders: ShopifyOrder[] = [
      shopifyOrder(1001, '2024-03-02T10:00:00-05:00'),
      shopifyOrder(1002, '2024-03-03T10:00:00-05:00'),
      shopifyOrder(1003, '9999-12-31T23:59:59Z'),
      shopifyOrder(1004, '2011-06-01T23:59:60Z'),
      shopifyOrder(1005, '2024-03-03T11:00:00-05:00', { quantity: 2147483648 }),
      shopifyOrder(1006, '2024-03-03T12:00:00-05:00', { sku: '../../ETC/PASSWD' }),
      // A sane order time but a year-9999 update time: the watermark field alone is bad.
      shopifyOrder(1007, '2024-03-03T13:00:00-05:00', {}, '9999-01-01T00:00:00Z'),
    ];
    const fake = await startShopifyFake(orders, { maxPerPage: 3 });
    try {
      const definition = (await loadOrdersSource('shopify')).definition as RestSourceDefinition;
      const watermarks = await OrdersWatermarks.fromEntityStore(EmbeddedEntityStore.fromDirectory(`${dir}/state`));
      const bounds = fieldBoundsFromSettings({});
      const run = (runId: string): Promise<IngestOrdersOutput> =>
        ingestRestSource({
          source: 'shopify',
          runId,
          runDate: '2024-03-10',
          lake,
          watermarks,
          overlapMinutes: 0,
          pagesPerPart: 2,
          definition,
          shopTimeZone: 'America/New_York',
          fieldBounds: bounds,
          client: {
            url: fake.url,
            pageSize: 250,
            requestTimeoutInMs: 5_000,
            retryBudgetInMs: 10_000,
            initialBackoffInMs: 10,
            authorization: async () => shopifyToken,
          },
        });

      const first = await run('run-1');
      expect(first.records).toBe(7);
      // Largest valid updated_at (1006's, 17:00Z), not 9999: the hostile lines never move it.
      expect(first.watermarkAfter).toBe('2024-03-03 17:00:00');
      expect(first.watermarkAfter! <= nowText()).toBe(true);
      expect(first.problems).toMatchObject({
        'impossible_or_out_of_range:orderedAt': 1,
        'impossible_or_out_of_range:updatedAt': 1,
        'unmapped:orderedAt': 1,
        'schema_invalid:quantity': 1,
        'schema_invalid:sku': 1,
      });

      const silver = await buildSilverTables(lake, {
        runId: 'run-1',
        orderParts: first.batches.map((b) => b.manifestPath),
        ruleSet: ruleSetByName('order-status'),
        workers: 0,
        fieldBounds: bounds,
      });
      expect(silver.orderLinesKept).toBe(2);
      const quarantine = await quarantineByKey(lake);
      const of = (orderId: number) =>
        quarantine.find((q) => q.raw.includes(`"orderId":"${orderId}"`) || q.raw.includes(`"id":${orderId},`));
      expect(of(1003)).toMatchObject({
        reason: 'schema_invalid:orderedAt',
        detail: expect.stringMatching(/^orderedAt="9999-12-31T23:59:59.000Z": later than now/),
      });
      expect(of(1004)).toMatchObject({ reason: 'unmapped:orderedAt', detail: expect.stringContaining('2011-06-01T23:59:60Z') });
      expect(of(1005)).toMatchObject({ reason: 'schema_invalid:quantity', detail: 'quantity=2147483648: |value| must be at most 1000000' });
      expect(of(1006)).toMatchObject({
        reason: 'schema_invalid:sku',
        detail: expect.stringMatching(/^sku="\.\.\/\.\.\/ETC\/PASSWD": letters, digits/),
      });
      expect(of(1007)).toMatchObject({
        reason: 'schema_invalid:updatedAt',
        detail: expect.stringMatching(/^updatedAt="9999-01-01T00:00:00.000Z": later than now/),
      });
      expect(quarantine).toHaveLength(5);

      // The next run asks from the valid watermark and gets the new order.
      orders.push(shopifyOrder(1100, '2024-03-09T09:00:00-05:00'));
      const requestsBefore = fake.requests.length;
      const second = await run('run-2');
      expect(fake.requests[requestsBefore]!.url.searchParams.get('updated_at_min')).toBe('2024-03-03T17:00:00Z');
      expect(second.watermarkAfter).toBe('2024-03-09 14:00:00');
      const silver2 = await buildSilverTables(lake, {
        runId: 'run-2',
        orderParts: second.batches.map((b) => b.manifestPath),
        ruleSet: ruleSetByName('order-status'),
        workers: 0,
        fieldBounds: bounds,
      });
      expect(silver2.orderLinesKept).toBe(1);
    } finally {
      await fake.close();
    }
  });

  it('files kind: a CSV with the same values is ingested, each hostile line quarantined with its reason; the next file is read', async () => {
    const definition = parseSourceDefinition(
      {
        kind: 'files',
        folder: 'landing/orders',
        timeZone: 'UTC',
        fields: {
          orderId: 'order',
          lineId: 'line',
          sku: 'sku',
          quantity: 'qty',
          unitPrice: 'price',
          orderedAt: 'at',
          status: { path: 'state', default: 'placed' },
          description: 'text',
        },
      },
      'test',
    ) as FilesSourceDefinition;
    const header = 'order,line,sku,qty,price,at,state,text';
    const longText = 'X'.repeat(2_000);
    const day1 = [
      header,
      `A-1,1,SKU-1,2,9.90,2024-03-30 10:00:00,,${longText}`,
      'A-2,1,SKU-1,1,9.90,9999-12-31 23:59:59,,',
      'A-3,1,SKU-1,1,9.90,2011-06-01 23:59:60,,',
      'A-4,1,SKU-1,2147483648,9.90,2024-03-30 11:00:00,,',
      'A-5,1,../../ETC/PASSWD,1,9.90,2024-03-30 12:00:00,,',
      'A-6,1,SKU-2,1,1e308,2024-03-30 12:00:00,,',
    ].join('\n');
    await lake.put('landing/orders/day1.csv', Buffer.from(day1));
    const ingest = (runId: string) =>
      ingestOrderFiles({
        source: 'orders',
        definition,
        shopTimeZone: 'UTC',
        runId,
        runDate: '2024-04-01',
        lake,
        fieldBounds: fieldBoundsFromSettings({}),
      });
    const first = await ingest('run-1');
    expect(first.records).toBe(6);
    expect(first.problems).toEqual({
      'impossible_or_out_of_range:orderedAt': 1,
      'unmapped:orderedAt': 1,
      'schema_invalid:quantity': 1,
      'schema_invalid:sku': 1,
      'schema_invalid:unitPrice': 1,
    });
    expect(first.watermarkAfter).toBeNull();

    const silver = await buildSilverTables(lake, {
      runId: 'run-1',
      orderParts: first.batches.map((b) => b.manifestPath),
      ruleSet: ruleSetByName('order-status'),
      workers: 0,
    });
    expect(silver.orderLinesKept).toBe(1);
    const quarantine = await quarantineByKey(lake);
    const of = (orderId: string) => quarantine.find((q) => q.raw.includes(`"${orderId}"`));
    expect(of('A-2')).toMatchObject({
      reason: 'schema_invalid:orderedAt',
      detail: expect.stringMatching(/^orderedAt="9999-12-31T23:59:59.000Z": later than now/),
    });
    expect(of('A-3')).toMatchObject({ reason: 'unmapped:orderedAt', detail: expect.stringContaining('2011-06-01 23:59:60') });
    expect(of('A-4')).toMatchObject({ reason: 'schema_invalid:quantity', detail: 'quantity=2147483648: |value| must be at most 1000000' });
    expect(of('A-5')).toMatchObject({ reason: 'schema_invalid:sku' });
    expect(of('A-6')).toMatchObject({ reason: 'schema_invalid:unitPrice' });
    expect(quarantine).toHaveLength(5);
    const kept = await openLakeTable(lake, lakeTables.order_lines).readAll();
    expect(String(kept[0]?.description)).toHaveLength(500);

    await lake.put('landing/orders/day2.csv', Buffer.from([header, 'B-1,1,SKU-3,4,2.50,2024-03-31 09:00:00,,'].join('\n')));
    const second = await ingest('run-2');
    expect(second.records).toBe(1);
    const silver2 = await buildSilverTables(lake, {
      runId: 'run-2',
      orderParts: second.batches.map((b) => b.manifestPath),
      ruleSet: ruleSetByName('order-status'),
      workers: 0,
    });
    expect(silver2.orderLinesKept).toBe(1);
  });

  it('the bounds are settings here too: through the activities, DEMAND_MAX_ORDER_QUANTITY=100 quarantines a quantity of 500 from a file', async () => {
    const definitionFile = `${dir}/orders-source.json`;
    await fs.writeFile(
      definitionFile,
      JSON.stringify({
        kind: 'files',
        folder: 'landing/orders',
        timeZone: 'UTC',
        fields: {
          orderId: 'order',
          lineId: 'line',
          sku: 'sku',
          quantity: 'qty',
          unitPrice: 'price',
          orderedAt: 'at',
          status: { path: 'state', default: 'placed' },
        },
      }),
    );
    await lake.put(
      'landing/orders/a.csv',
      Buffer.from('order,line,sku,qty,price,at,state\nA-1,1,SKU-1,500,1,2024-03-30 10:00:00,\nA-2,1,SKU-1,50,1,2024-03-30 10:00:00,\n'),
    );
    const services = servicesFor(
      settingsWith({ DEMAND_ORDERS_SOURCE: definitionFile, DEMAND_MAX_ORDER_QUANTITY: '100' }),
      lake,
      `${dir}/state`,
    );
    const run = { runId: 'run-1', runDate: '2024-04-01', startedAt: '2024-04-01T00:00:00Z' };
    const out = await ingestOrders({ ...run, source: 'orders' }, services);
    expect(out.problems).toEqual({ 'schema_invalid:quantity': 1 });
    await buildSilver({ ...run, orderManifests: out.batches.map((b) => b.manifestPath), inventoryManifests: [] }, services);
    expect((await quarantineByKey(lake)).map((q) => [q.reason, q.detail])).toEqual([
      ['schema_invalid:quantity', 'quantity=500: |value| must be at most 100'],
    ]);
  });
});
