/**
 * The shopify and woocommerce presets against local fakes built from each platform's public API
 * docs (test/sources/fakes): paging to the end, the watermark resumed by the next run, a 429 with
 * Retry-After, an order with two lines and a cancelled one, then Silver with the order-status rules.
 */
import { buildSilverTables } from '../../src/lib/silver/silverBuild';
import { ruleSetByName } from '../../src/lib/silver/ruleSet';
import { OrdersWatermarks } from '../../src/lib/ingest/watermarks';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { readBronzeRecords } from '../../src/lib/bronze/reader';
import type { RestSourceDefinition } from '../../src/lib/sources/definition';
import { loadOrdersSource } from '../../src/lib/sources/loadDefinition';
import { ingestRestSource } from '../../src/lib/sources/rest/ingestRestSource';
import type { CanonicalOrderLine } from '../../src/lib/orders/canonicalOrderLine';
import type { IngestOrdersOutput } from '../../src/contracts/messages';
import type { RetryEvent } from '../../src/lib/ingest/ordersClient';
import { tempDir } from '../ingest/helpers';
import { shopifyToken, startShopifyFake, type ShopifyOrder } from './fakes/shopifyFake';
import { startWooFake, wooAuth, type WooOrder } from './fakes/wooFake';

interface Harness {
  dir: string;
  lake: FileSystemLake;
  watermarks: OrdersWatermarks;
  cleanup: () => Promise<void>;
}

async function harness(): Promise<Harness> {
  const { dir, cleanup } = await tempDir('demand-presets-');
  return {
    dir,
    cleanup,
    lake: FileSystemLake.fromDirectory(`${dir}/lake`),
    watermarks: await OrdersWatermarks.fromEntityStore(EmbeddedEntityStore.fromDirectory(`${dir}/state`)),
  };
}

async function run(
  h: Harness,
  definition: RestSourceDefinition,
  url: string,
  runId: string,
  auth: string,
  shopTimeZone: string,
  retries: RetryEvent[],
): Promise<IngestOrdersOutput> {
  return ingestRestSource({
    source: definition.name ?? 'orders',
    runId,
    runDate: '2024-03-10',
    lake: h.lake,
    watermarks: h.watermarks,
    overlapMinutes: 60,
    pagesPerPart: 2,
    definition,
    shopTimeZone,
    client: {
      url,
      pageSize: 500,
      requestTimeoutInMs: 5_000,
      retryBudgetInMs: 10_000,
      initialBackoffInMs: 10,
      authorization: async () => auth,
      onRetry: (e) => retries.push(e),
    },
  });
}

async function bronzeLines(h: Harness, output: IngestOrdersOutput): Promise<CanonicalOrderLine[]> {
  const lines: CanonicalOrderLine[] = [];
  for (const batch of output.batches)
    for await (const rec of readBronzeRecords(h.lake, batch.manifestPath)) lines.push(rec.record as CanonicalOrderLine);
  return lines;
}

async function silverOf(h: Harness, runId: string, output: IngestOrdersOutput) {
  return buildSilverTables(h.lake, {
    runId,
    orderParts: output.batches.map((b) => b.manifestPath),
    ruleSet: ruleSetByName('order-status'),
    workers: 0,
  });
}

function shopifyOrders(): ShopifyOrder[] {
  const orders: ShopifyOrder[] = [];
  for (let i = 0; i < 7; i++) {
    const id = 450789469 + i;
    orders.push({
      id,
      // The shop is in New York: 22:30-05:00 on 1 March is 03:30Z on 2 March.
      created_at: i === 0 ? '2024-03-01T22:30:00-05:00' : `2024-03-0${2 + i}T10:0${i}:00-05:00`,
      updated_at: `2024-03-0${2 + i}T12:00:00-05:00`,
      cancelled_at: i === 2 ? `2024-03-0${2 + i}T11:00:00-05:00` : null,
      financial_status: i === 4 ? 'refunded' : 'paid',
      currency: 'USD',
      customer: { id: 207119551 + (i % 3) },
      shipping_address: { country_code: 'US' },
      line_items: [
        {
          id: 466157049 + i * 10,
          variant_id: 39072856,
          product_id: 632910392,
          sku: 'IPOD2008GREEN',
          title: 'IPod Nano - 8gb',
          quantity: 1 + (i % 2),
          price: '199.00',
        },
        ...(i === 0
          ? [
              {
                id: 518995019,
                variant_id: 49148385,
                product_id: 632910393,
                sku: '',
                title: 'IPod Nano - 8gb (red)',
                quantity: 3,
                price: '199.00',
              },
            ]
          : []),
      ],
    });
  }
  return orders;
}

describe('preset shopify against a fake of the Admin REST orders.json', () => {
  let h: Harness;
  beforeEach(async () => (h = await harness()));
  afterEach(async () => h.cleanup());

  it('pages through Link rel="next" to the end (after a 429 with Retry-After), maps two-line, cancelled and refunded orders, resumes from the watermark', async () => {
    const orders = shopifyOrders();
    const fake = await startShopifyFake(orders, { maxPerPage: 3, throttleRequest: 2 });
    try {
      const definition = (await loadOrdersSource('shopify')).definition as RestSourceDefinition;
      const retries: RetryEvent[] = [];
      const first = await run(h, definition, fake.url, 'run-1', shopifyToken, 'America/New_York', retries);

      // Paging: 7 orders at 3 a page = 3 pages, the 2nd request throttled once and retried after Retry-After.
      expect(first.pages).toBe(3);
      expect(retries).toHaveLength(1);
      expect(retries[0]).toMatchObject({ status: 429, delayInMs: 200 });
      expect(fake.requests).toHaveLength(4);
      expect(fake.requests[0]!.url.searchParams.get('status')).toBe('any');
      expect(fake.requests[0]!.url.searchParams.get('limit')).toBe('250');
      expect(fake.requests[0]!.url.searchParams.has('updated_at_min')).toBe(false);
      // Follow-up pages are the Link URLs as given (page_info and limit only: Shopify refuses filters there).
      expect(fake.requests.slice(1).every((r) => r.url.searchParams.has('page_info') && !r.url.searchParams.has('status'))).toBe(true);

      const lines = await bronzeLines(h, first);
      expect(lines).toHaveLength(8); // 7 orders, the first with two line items
      const two = lines.filter((l) => l.orderId === '450789469');
      expect(two.map((l) => [l.lineId, l.sku, l.quantity, l.unitPrice])).toEqual([
        ['466157049', 'IPOD2008GREEN', 1, 199],
        ['518995019', '49148385', 3, 199], // empty sku: the variant id stands in
      ]);
      expect(two[0]).toMatchObject({
        orderedAt: '2024-03-02T03:30:00.000Z',
        orderedAtLocal: '2024-03-01T22:30:00',
        currency: 'USD',
        customerId: '207119551',
        location: 'US',
        status: 'placed',
      });
      expect(lines.find((l) => l.orderId === '450789471')?.status).toBe('cancelled');
      expect(lines.find((l) => l.orderId === '450789473')?.status).toBe('returned');

      const silver = await silverOf(h, 'run-1', first);
      const placed = lines.filter((l) => l.status === 'placed');
      expect(silver.orderLinesKept).toBe(placed.length);
      expect(silver.unitsKept).toBe(placed.reduce((s, l) => s + l.quantity, 0));
      expect(silver.cancellations).toBe(2);
      expect(silver.returns).toBe(1);
      expect(silver.quarantined).toBe(0);

      // The next run starts at the watermark (largest updated_at) minus the 60-minute overlap.
      expect(first.watermarkAfter).toBe('2024-03-08 17:00:00');
      orders.push({
        ...shopifyOrders()[1]!,
        id: 450789499,
        created_at: '2024-03-09T09:00:00-05:00',
        updated_at: '2024-03-09T09:00:00-05:00',
      });
      const second = await run(h, definition, fake.url, 'run-2', shopifyToken, 'America/New_York', []);
      const resumed = fake.requests[4]!.url.searchParams;
      expect(resumed.get('updated_at_min')).toBe('2024-03-08T16:00:00Z');
      expect((await bronzeLines(h, second)).map((l) => l.orderId)).toEqual(['450789475', '450789499']);
      expect(second.watermarkBefore).toBe('2024-03-08 17:00:00');
      expect(second.watermarkAfter).toBe('2024-03-09 14:00:00');
    } finally {
      await fake.close();
    }
  });

  it('names the header and the preset when the token is wrong (401 is not retried)', async () => {
    const fake = await startShopifyFake(shopifyOrders(), { maxPerPage: 3 });
    try {
      const definition = (await loadOrdersSource('shopify')).definition as RestSourceDefinition;
      await expect(run(h, definition, fake.url, 'run-1', 'wrong', 'UTC', [])).rejects.toThrow(/401/);
      expect(fake.requests).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });
});

function wooOrders(): WooOrder[] {
  const statuses = ['processing', 'completed', 'cancelled', 'on-hold', 'refunded', 'completed', 'failed'];
  return statuses.map((status, i) => ({
    id: 727 + i,
    status,
    currency: 'BRL',
    // Site time São Paulo (-03:00); the _gmt fields are UTC without a zone.
    date_created: `2024-03-0${1 + i}T21:30:00`,
    date_created_gmt: `2024-03-0${2 + i}T00:30:00`,
    date_modified_gmt: `2024-03-0${2 + i}T01:00:00`,
    customer_id: i === 3 ? 0 : 25,
    billing: { country: 'BR' },
    line_items: [
      { id: 315 + i * 10, name: 'Woo Single #1', product_id: 93, variation_id: 0, quantity: 2, sku: 'WOO-SINGLE-1', price: 3 },
      ...(i === 0
        ? [{ id: 316, name: 'Ship Your Idea - Color: Black, Size: M', product_id: 22, variation_id: 23, quantity: 1, sku: '', price: 12 }]
        : []),
    ],
  }));
}

describe('preset woocommerce against a fake of wc/v3/orders', () => {
  let h: Harness;
  beforeEach(async () => (h = await harness()));
  afterEach(async () => h.cleanup());

  it('reads the bare array page by page until X-WP-TotalPages (after a 429), maps statuses and lines, resumes with modified_after', async () => {
    const orders = wooOrders();
    const fake = await startWooFake(orders, { maxPerPage: 3, throttleRequest: 1 });
    try {
      const definition = (await loadOrdersSource('woocommerce')).definition as RestSourceDefinition;
      const retries: RetryEvent[] = [];
      const first = await run(h, definition, fake.url, 'run-1', wooAuth, 'America/Sao_Paulo', retries);
      expect(retries.map((r) => r.status)).toEqual([429]);
      // 7 orders, 3 per page: pages 1..3, and no 4th request (X-WP-TotalPages said 3).
      expect(first.pages).toBe(3);
      expect(fake.requests.slice(1).map((r) => r.url.searchParams.get('page'))).toEqual(['1', '2', '3']);
      expect(fake.requests[1]!.url.searchParams.get('per_page')).toBe('100');
      expect(fake.requests[1]!.url.searchParams.get('dates_are_gmt')).toBe('true');

      const lines = await bronzeLines(h, first);
      expect(lines).toHaveLength(8);
      const firstOrder = lines.filter((l) => l.orderId === '727');
      expect(firstOrder.map((l) => [l.lineId, l.sku, l.quantity, l.unitPrice])).toEqual([
        ['315', 'WOO-SINGLE-1', 2, 3],
        ['316', '22', 1, 12],
      ]);
      // 00:30 UTC on 2 March is 21:30 on 1 March in São Paulo: the shop's day.
      expect(firstOrder[0]).toMatchObject({
        orderedAt: '2024-03-02T00:30:00.000Z',
        orderedAtLocal: '2024-03-01T21:30:00',
        currency: 'BRL',
        customerId: '25',
      });
      expect(Object.fromEntries(lines.map((l) => [l.orderId, l.status]))).toEqual({
        '727': 'placed',
        '728': 'placed',
        '729': 'cancelled',
        '730': 'placed',
        '731': 'returned',
        '732': 'placed',
        '733': 'cancelled',
      });

      const silver = await silverOf(h, 'run-1', first);
      expect(silver.orderLinesKept).toBe(5);
      expect(silver.unitsKept).toBe(2 + 1 + 2 + 2 + 2);
      expect(silver.cancellations).toBe(3);
      expect(silver.returns).toBe(1);
      expect(silver.quarantined).toBe(0);

      expect(first.watermarkAfter).toBe('2024-03-08 01:00:00');
      orders.push({ ...wooOrders()[1]!, id: 800, date_modified_gmt: '2024-03-09T08:00:00' });
      const before = fake.requests.length;
      const second = await run(h, definition, fake.url, 'run-2', wooAuth, 'America/Sao_Paulo', []);
      expect(fake.requests[before]!.url.searchParams.get('modified_after')).toBe('2024-03-08T00:00:00Z');
      expect((await bronzeLines(h, second)).map((l) => l.orderId)).toEqual(['733', '800']);
    } finally {
      await fake.close();
    }
  });
});

describe('the default (online-retail) client meeting another API shape', () => {
  it('fails at once, saying the body is a bare array and how to map it, instead of retrying for a minute', async () => {
    const { OrdersClient } = await import('../../src/lib/ingest/ordersClient');
    const fake = await startWooFake(wooOrders(), { maxPerPage: 3 });
    try {
      const client = OrdersClient.fromOptions({
        source: 'orders',
        url: fake.url,
        pageSize: 3,
        requestTimeoutInMs: 2_000,
        retryBudgetInMs: 60_000,
        authorization: async () => wooAuth,
      });
      await expect(client.fetchPage(0, null, null)).rejects.toThrow(/bare JSON array.*--orders-source.*"items": ""/);
      expect(fake.requests).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });
});

describe('demand sources check against a REST source', () => {
  it('reads the first page of the shopify fake with the token from the settings and prints its lines', async () => {
    const { main } = await import('../../src/cli/main');
    const { captureCli } = await import('./cliHarness');
    const fake = await startShopifyFake(shopifyOrders(), { maxPerPage: 3 });
    try {
      const cli = captureCli({ DEMAND_ORDERS_AUTH_HEADER: shopifyToken, DEMAND_SHOP_TIME_ZONE: 'America/New_York' });
      await main(['node', 'demand', 'sources', 'check', 'shopify', '--orders-api-url', fake.url, '--limit', '2'], cli.context);
      const text = cli.out.join('\n');
      expect(text).toMatch(/Read 2 record\(s\) from page 1/);
      expect(text).toMatch(
        /#1 order 450789469 line 466157049 {2}sku IPOD2008GREEN {2}qty 1 {2}price 199 USD {2}2024-03-02T03:30:00.000Z = shop time 2024-03-01 22:30:00 {2}placed/,
      );
      expect(text).toMatch(/demand days in America\/New_York/);
      expect(cli.exitCode()).toBe(0);
      expect(fake.requests[0]!.url.searchParams.get('limit')).toBe('2');
    } finally {
      await fake.close();
    }
  });

  it('takes the definition inline, as a Function App setting would hold it', async () => {
    const definition = await loadOrdersSource(
      JSON.stringify({
        kind: 'files',
        folder: 'landing/x',
        fields: { orderId: 'o', lineId: 'l', sku: 's', quantity: 'q', unitPrice: 'p', orderedAt: 't' },
      }),
    );
    expect(definition).toMatchObject({
      origin: 'inline definition',
      definition: { kind: 'files', folder: 'landing/x', ruleSet: 'order-status' },
    });
  });
});
