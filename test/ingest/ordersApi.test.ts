import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { OrdersFetchError } from '../../src/lib/errors';
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
    const last = (await (await fetch(`${api.url}?since=2011-01-03T01:00:00Z&limit=100`)).json()) as {
      items: unknown[];
      nextCursor: unknown;
      next: unknown;
    };
    expect(last.items).toHaveLength(expected.length);
    expect(last.nextCursor).toBeNull();
    expect(last.next).toBeNull();
  });

  it('answers 400 naming the parameter for a bad limit, since or cursor', async () => {
    api = await startOrdersApi({ records: makeOrders(5), pageSizeMax: 50 });
    for (const [query, parameter] of [
      ['limit=0', 'limit'],
      ['limit=51', 'limit'],
      ['since=yesterday', 'since'],
      ['cursor=zzz', 'cursor'],
    ] as const) {
      const res = await fetch(`${api.url}?${query}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { parameter: string } }).error.parameter).toBe(parameter);
    }
    expect((await fetch(api.url.replace('/orders', '/nope'))).status).toBe(404);
  });

  it('streams a factory source page by page (continuing one iterator) and serves the same pages as an array', async () => {
    const records = makeOrders(95);
    let opened = 0;
    api = await startOrdersApi({
      records: () => (
        opened++,
        (async function* () {
          yield* records;
        })()
      ),
    });
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
    api = await startOrdersApi({
      records: makeOrders(10),
      faults: { seed: 3, rate: 1, kinds: ['throttle'], maxPerPage: 2, retryAfterSeconds: 0.25 },
    });
    const events: RetryEvent[] = [];
    const client = OrdersClient.fromOptions({
      source: 's',
      url: api.url,
      pageSize: 50,
      requestTimeoutInMs: 1000,
      retryBudgetInMs: 5000,
      onRetry: (e) => events.push(e),
    });
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
    const client2 = OrdersClient.fromOptions({
      source: 's',
      url: api.url,
      pageSize: 50,
      requestTimeoutInMs: 1000,
      retryBudgetInMs: 5000,
      initialBackoffInMs: 20,
      maxBackoffInMs: 200,
      onRetry: (e) => backoffs.push(e.delayInMs),
    });
    expect((await client2.fetchPage(0, null, null)).attempts).toBe(4);
    expect(backoffs).toHaveLength(3);
    expect(backoffs.every((d) => d >= 0 && d <= 200)).toBe(true);
  });

  it('a timeout is retried: the slow answer is abandoned and the next attempt succeeds', async () => {
    api = await startOrdersApi({
      records: makeOrders(10),
      faults: { seed: 9, rate: 1, kinds: ['slow'], maxPerPage: 1, slowDelayInMs: 1500 },
    });
    const events: RetryEvent[] = [];
    const client = OrdersClient.fromOptions({
      source: 's',
      url: api.url,
      pageSize: 50,
      requestTimeoutInMs: 200,
      retryBudgetInMs: 3000,
      initialBackoffInMs: 10,
      onRetry: (e) => events.push(e),
    });
    const page = await client.fetchPage(0, null, null);
    expect(page.items).toHaveLength(10);
    expect(events[0]?.outcome).toBe('timeout after 200 ms');
  });
});

/** A fake orders API as a fetch function: `pages` pages of one item each, linked by `next(page)`. */
function fakeApi(options: {
  failuresPerPage?: number;
  failuresOn?: Record<number, number>;
  retryAfterSeconds?: number;
  next: (page: number) => string | null;
}): {
  fetch: typeof fetch;
  requests: Array<{ url: string; authorization: string | undefined }>;
} {
  const requests: Array<{ url: string; authorization: string | undefined }> = [];
  const failures = new Map<number, number>();
  const fake = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : input.toString();
    requests.push({ url, authorization: (init?.headers as Record<string, string> | undefined)?.authorization });
    const page = Number(new URL(url).searchParams.get('cursor') ?? '0');
    const failed = failures.get(page) ?? 0;
    if (failed < (options.failuresOn?.[page] ?? options.failuresPerPage ?? 0)) {
      failures.set(page, failed + 1);
      return new Response('{"error":"busy"}', { status: 503, headers: { 'retry-after': String(options.retryAfterSeconds ?? 0) } });
    }
    return new Response(JSON.stringify({ items: [{ page }], next: options.next(page) }), { status: 200 });
  };
  return { fetch: fake, requests };
}

describe('orders client: one retry budget per run, same-origin next links only', () => {
  const base = 'https://shop.example/api/orders';

  it('the retry budget is spent over the whole run, not restarted per page: flapping pages exhaust it', async () => {
    // Every page fails twice with 503 (Retry-After 0.2 s): ~400 ms lost per page. A per-page budget of
    // 1000 ms would let all six pages through; the run's 1000 ms runs out within the first few.
    const api = fakeApi({ failuresPerPage: 2, retryAfterSeconds: 0.2, next: (p) => (p < 5 ? `${base}?cursor=${p + 1}` : null) });
    const client = OrdersClient.fromOptions({
      source: 'flappy',
      url: base,
      pageSize: 1,
      requestTimeoutInMs: 1000,
      retryBudgetInMs: 1000,
      fetch: api.fetch,
    });
    let token: string | null = null;
    const fetched: number[] = [];
    const error = await (async () => {
      for (let page = 0; page < 6; page++) {
        const p = await client.fetchPage(page, token, null);
        fetched.push(p.page);
        token = p.nextToken;
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OrdersFetchError);
    const e = error as OrdersFetchError;
    expect(e.source).toBe('flappy');
    expect(e.status).toBe(503);
    expect(e.page).toBeGreaterThanOrEqual(1);
    expect(e.page).toBeLessThan(5);
    expect(fetched).toEqual([...Array(e.page).keys()]);
    expect(e.message).toMatch(
      new RegExp(`Orders source "flappy" page ${e.page} failed after \\d+ attempt\\(s\\) in \\d+ ms; last status: 503`),
    );
  });

  it('pages that succeed at once do not spend the retry budget: a late blip after a long healthy run is still retried', async () => {
    // 30 healthy pages of ≥ 5 ms each outlast the 100 ms budget; the last page then fails once.
    const api = fakeApi({ failuresOn: { 30: 1 }, retryAfterSeconds: 0.01, next: (p) => (p < 30 ? `${base}?cursor=${p + 1}` : null) });
    const slow = (async (input: string | URL | Request, init?: RequestInit) => {
      await new Promise((r) => setTimeout(r, 5));
      return api.fetch(input, init);
    }) as typeof fetch;
    const client = OrdersClient.fromOptions({
      source: 's',
      url: base,
      pageSize: 1,
      requestTimeoutInMs: 1000,
      retryBudgetInMs: 100,
      fetch: slow,
    });
    let token: string | null = null;
    let page = 0;
    let last;
    do {
      last = await client.fetchPage(page++, token, null);
      token = last.nextToken;
    } while (token !== null);
    expect(page).toBe(31);
    expect(last.attempts).toBe(2);
    expect(api.requests).toHaveLength(32);
  });

  it('follows same-origin next links (absolute or relative) with the Authorization header', async () => {
    const api = fakeApi({ next: (p) => (p === 0 ? `${base}?cursor=1` : p === 1 ? '/api/orders?cursor=2' : null) });
    const client = OrdersClient.fromOptions({
      source: 's',
      url: base,
      pageSize: 1,
      requestTimeoutInMs: 1000,
      retryBudgetInMs: 1000,
      fetch: api.fetch,
      authorization: async () => 'Bearer secret',
    });
    const p0 = await client.fetchPage(0, null, null);
    const p1 = await client.fetchPage(1, p0.nextToken, null);
    const p2 = await client.fetchPage(2, p1.nextToken, null);
    expect([p0, p1, p2].map((p) => p.items)).toEqual([[{ page: 0 }], [{ page: 1 }], [{ page: 2 }]]);
    expect(api.requests.map((r) => r.url)).toEqual([`${base}?limit=1`, `${base}?cursor=1`, `${base}?cursor=2`]);
    expect(api.requests.every((r) => r.authorization === 'Bearer secret')).toBe(true);
  });

  it.each([
    ['an absolute link to another host', 'https://attacker.example/api/orders?cursor=1'],
    ['a protocol-relative link', '//attacker.example/api/orders?cursor=1'],
    ['the same host over plain http', 'http://shop.example/api/orders?cursor=1'],
  ])('refuses %s: fails naming the link, nothing is sent there', async (_what, link) => {
    const api = fakeApi({ next: () => link });
    const client = OrdersClient.fromOptions({
      source: 's',
      url: base,
      pageSize: 1,
      requestTimeoutInMs: 1000,
      retryBudgetInMs: 1000,
      fetch: api.fetch,
      authorization: async () => 'Bearer secret',
    });
    const p0 = await client.fetchPage(0, null, null);
    expect(p0.nextToken).toBe(link);
    const error = await client.fetchPage(1, p0.nextToken, null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OrdersFetchError);
    expect((error as OrdersFetchError).page).toBe(1);
    expect((error as Error).message).toContain(JSON.stringify(link));
    expect((error as Error).message).toContain('https://shop.example');
    expect(api.requests.map((r) => r.url)).toEqual([`${base}?limit=1`]);
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
        {
          orderLineId: '489434-0001',
          InvoiceNo: '489434',
          StockCode: '85048',
          Description: '15CM CHRISTMAS GLASS BALL, 20 LIGHTS',
          Quantity: 12,
          InvoiceDate: '2009-12-01 07:45:00',
          UnitPrice: 6.95,
          CustomerID: '13085',
          Country: 'United Kingdom',
        },
        {
          orderLineId: '489434-0002',
          InvoiceNo: '489434',
          StockCode: '79323P',
          Description: null,
          Quantity: 'x',
          InvoiceDate: '2009-12-01 07:45:00',
          UnitPrice: 6.75,
          CustomerID: '13085',
          Country: null,
        },
        {
          orderLineId: '489435-0001',
          InvoiceNo: '489435',
          StockCode: '22350',
          Description: 'CAT BOWL ',
          Quantity: 12,
          InvoiceDate: '2009-12-01 07:45:00',
          UnitPrice: 2.55,
          CustomerID: null,
          Country: 'United Kingdom',
        },
      ]);
    } finally {
      await cleanup();
    }
  });
});
