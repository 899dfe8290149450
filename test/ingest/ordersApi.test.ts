import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { OrdersClient, type RetryEvent } from '../../src/lib/ingest/ordersClient';
import { readOnlineRetailCsv } from '../../src/lib/sample/onlineRetailCsv';
import { startOrdersApi, type OrdersApi } from '../../src/lib/sample/ordersApi';
import { makeOrders, tempDir } from './helpers';

describe('local orders API', () => {
  let api: OrdersApi | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('pages in (InvoiceDate, orderLineId) order with nextCursor, next link and Link header; since filters', async () => {
    const records = makeOrders(30).reverse(); // served sorted whatever the input order
    api = await startOrdersApi({ records });
    const first = await fetch(`${api.url}?since=2011-01-03T01:00:00Z&limit=10`);
    expect(first.status).toBe(200);
    const body = (await first.json()) as { items: Array<{ InvoiceDate: string; orderLineId: string }>; nextCursor: string; next: string };
    const sorted = [...records].sort((a, b) => (a.InvoiceDate + a.orderLineId < b.InvoiceDate + b.orderLineId ? -1 : 1));
    const expected = sorted.filter((r) => r.InvoiceDate >= '2011-01-03 01:00:00');
    expect(body.items.map((r) => r.orderLineId)).toEqual(expected.slice(0, 10).map((r) => r.orderLineId));
    expect(first.headers.get('link')).toBe(`<${body.next}>; rel="next"`);
    const viaNext = (await (await fetch(body.next)).json()) as { items: unknown[] };
    const viaCursor = (await (await fetch(`${api.url}?cursor=${body.nextCursor}&limit=10`)).json()) as { items: unknown[] };
    expect(viaNext.items).toEqual(viaCursor.items);
    expect(viaNext.items).toEqual(expected.slice(10, 20));
    const last = (await (await fetch(`${api.url}?since=2011-01-03T01:00:00Z&limit=100`)).json()) as { items: unknown[]; nextCursor: unknown; next: unknown };
    expect(last.items).toHaveLength(expected.length);
    expect(last.nextCursor).toBeNull();
    expect(last.next).toBeNull();
  });

  it('answers 400 naming the parameter for a bad limit, since or cursor', async () => {
    api = await startOrdersApi({ records: makeOrders(5), pageSizeMax: 50 });
    for (const [query, parameter] of [['limit=0', 'limit'], ['limit=51', 'limit'], ['since=yesterday', 'since'], ['cursor=zzz', 'cursor']] as const) {
      const res = await fetch(`${api.url}?${query}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { parameter: string } }).error.parameter).toBe(parameter);
    }
    expect((await fetch(api.url.replace('/orders', '/nope'))).status).toBe(404);
  });

  it('streams a factory source page by page (continuing one iterator) and serves the same pages as an array', async () => {
    const records = makeOrders(95);
    let opened = 0;
    api = await startOrdersApi({ records: () => (opened++, (async function* () { yield* records; })()) });
    const client = OrdersClient.fromOptions({ source: 's', url: api.url, pageSize: 20, requestTimeoutInMs: 1000, retryBudgetInMs: 2000 });
    const got: unknown[] = [];
    let token: string | null = null;
    let page = 0;
    do {
      const p = await client.fetchPage(page++, token, null);
      got.push(...p.items);
      token = p.nextToken;
    } while (token !== null);
    expect(got).toEqual(records);
    expect(page).toBe(5);
    expect(opened).toBe(1);
  });

  it('the client honours Retry-After on 429 and backs off with jitter on 5xx', async () => {
    api = await startOrdersApi({ records: makeOrders(10), faults: { seed: 3, rate: 1, kinds: ['throttle'], maxPerPage: 2, retryAfterSeconds: 0.25 } });
    const events: RetryEvent[] = [];
    const client = OrdersClient.fromOptions({ source: 's', url: api.url, pageSize: 50, requestTimeoutInMs: 1000, retryBudgetInMs: 5000, onRetry: (e) => events.push(e) });
    const page = await client.fetchPage(0, null, null);
    expect(page.items).toHaveLength(10);
    expect(page.attempts).toBe(3);
    expect(events.map((e) => [e.status, e.delayInMs])).toEqual([
      [429, 250],
      [429, 250],
    ]);
    await api.close();

    api = await startOrdersApi({ records: makeOrders(10), faults: { seed: 3, rate: 1, kinds: ['error500'], maxPerPage: 3 } });
    const backoffs: number[] = [];
    const client2 = OrdersClient.fromOptions({ source: 's', url: api.url, pageSize: 50, requestTimeoutInMs: 1000, retryBudgetInMs: 5000, initialBackoffInMs: 20, maxBackoffInMs: 200, onRetry: (e) => backoffs.push(e.delayInMs) });
    expect((await client2.fetchPage(0, null, null)).attempts).toBe(4);
    expect(backoffs).toHaveLength(3);
    expect(backoffs.every((d) => d >= 0 && d <= 200)).toBe(true);
  });

  it('a timeout is retried: the slow answer is abandoned and the next attempt succeeds', async () => {
    api = await startOrdersApi({ records: makeOrders(10), faults: { seed: 9, rate: 1, kinds: ['slow'], maxPerPage: 1, slowDelayInMs: 1500 } });
    const events: RetryEvent[] = [];
    const client = OrdersClient.fromOptions({ source: 's', url: api.url, pageSize: 50, requestTimeoutInMs: 200, retryBudgetInMs: 3000, initialBackoffInMs: 10, onRetry: (e) => events.push(e) });
    const page = await client.fetchPage(0, null, null);
    expect(page.items).toHaveLength(10);
    expect(events[0]?.outcome).toBe('timeout after 200 ms');
  });
});

describe('Online Retail CSV reader', () => {
  it('maps both releases to the API record and numbers lines within each invoice', async () => {
    const { dir, cleanup } = await tempDir('retail-csv-');
    try {
      const ii = path.join(dir, 'ii.csv.gz');
      await fs.writeFile(
        ii,
        gzipSync(
          'Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n' +
            '489434,85048,"15CM CHRISTMAS GLASS BALL, 20 LIGHTS",12,2009-12-01 07:45:00,6.95,13085,United Kingdom\n' +
            '489435,22350,CAT BOWL ,12,2009-12-01 07:45:00,2.55,,United Kingdom\n' +
            '489434,79323P,,x,2009-12-01 07:45:00,6.75,13085,\n',
        ),
      );
      const out = [];
      for await (const r of readOnlineRetailCsv(ii)) out.push(r);
      expect(out).toEqual([
        { orderLineId: '489434-0001', InvoiceNo: '489434', StockCode: '85048', Description: '15CM CHRISTMAS GLASS BALL, 20 LIGHTS', Quantity: 12, InvoiceDate: '2009-12-01 07:45:00', UnitPrice: 6.95, CustomerID: '13085', Country: 'United Kingdom' },
        { orderLineId: '489434-0002', InvoiceNo: '489434', StockCode: '79323P', Description: null, Quantity: 'x', InvoiceDate: '2009-12-01 07:45:00', UnitPrice: 6.75, CustomerID: '13085', Country: null },
        { orderLineId: '489435-0001', InvoiceNo: '489435', StockCode: '22350', Description: 'CAT BOWL ', Quantity: 12, InvoiceDate: '2009-12-01 07:45:00', UnitPrice: 2.55, CustomerID: null, Country: 'United Kingdom' },
      ]);
    } finally {
      await cleanup();
    }
  });
});
