import { listBronzeManifests } from '../../src/lib/bronze/reader';
import { OrdersFetchError } from '../../src/lib/errors';
import type { OrderRecord } from '../../src/lib/ingest/orderRecord';
import type { LakeStore } from '../../src/lib/lake/lakeStore';
import { ingestOrders } from '../../src/activities/ingestOrders';
import { startOrdersApi, type OrdersApi } from '../../src/lib/sample/ordersApi';
import { OrdersWatermarks } from '../../src/lib/ingest/watermarks';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { lakeAt, makeOrders, readAll, servicesFor, settingsWith, sumQuantity, tempDir } from './helpers';

const run = (runId: string, runDate = '2011-06-01') => ({ runId, runDate, startedAt: `${runDate}T02:00:00Z`, source: 'orders' });

describe('ingestOrders', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let api: OrdersApi | undefined;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('ingest-orders-'));
  });
  afterEach(async () => {
    await api?.close();
    api = undefined;
    await cleanup();
  });

  const settingsFor = (url: string, extra: Record<string, string> = {}) =>
    settingsWith({
      DEMAND_ORDERS_API_URL: url,
      DEMAND_ORDERS_PAGE_SIZE: '25',
      DEMAND_ORDERS_PAGES_PER_PART: '3',
      DEMAND_ORDERS_RETRY_BUDGET_MS: '5000',
      DEMAND_ORDERS_REQUEST_TIMEOUT_MS: '300',
      ...extra,
    });

  it('pages through the API with cursors and lands every line once, in parts of whole pages', async () => {
    const source = makeOrders(260);
    api = await startOrdersApi({ records: source });
    const lake = lakeAt(`${dir}/lake`);
    const out = await ingestOrders(run('r1'), servicesFor(settingsFor(api.url), lake, `${dir}/state`));
    expect(out.pages).toBe(11); // 260 / 25 → 11 pages
    expect(out.batches).toHaveLength(4); // 3 pages per part
    expect(out.records).toBe(260);
    expect(out.quantitySum).toBe(sumQuantity(source));
    expect(out.problems).toEqual({});
    expect(out.watermarkBefore).toBeNull();
    expect(out.watermarkAfter).toBe(source.at(-1)?.InvoiceDate);
    expect(out.batches[0]?.path).toBe('bronze/orders/ingest_date=2011-06-01/run_id=r1/part-00000.ndjson.gz');
    const back = await readAll(
      lake,
      out.batches.map((b) => b.manifestPath),
    );
    expect(back.records).toEqual(source); // as received, in API order
    expect(back.manifestRecords).toBe(260);
    // No temporary names left behind.
    const names: string[] = [];
    for await (const e of lake.list('bronze')) names.push(e.path);
    expect(names.every((n) => /part-\d{5}\.(ndjson\.gz|manifest\.json)$/.test(n))).toBe(true);
  });

  it('is incremental: the next run fetches only lines since the watermark minus the overlap window', async () => {
    const all = makeOrders(300); // 100 invoices, 37 minutes apart
    let visible = all.slice(0, 150);
    api = await startOrdersApi({
      records: () =>
        (async function* () {
          yield* visible;
        })(),
    });
    const lake = lakeAt(`${dir}/lake`);
    const services = servicesFor(settingsFor(api.url, { DEMAND_ORDERS_OVERLAP_MINUTES: '60' }), lake, `${dir}/state`);
    const first = await ingestOrders(run('r1'), services);
    expect(first.records).toBe(150);
    visible = all;
    const second = await ingestOrders(run('r2', '2011-06-02'), services);
    // Overlap of 60 minutes re-delivers the last two invoice times (37 and 74 minutes back → the last 2 timestamps ≤ 60 min).
    const watermark = all[149]!.InvoiceDate;
    const sinceMs = Date.parse(`${watermark.replace(' ', 'T')}Z`) - 60 * 60_000;
    const expected = all.filter((r) => Date.parse(`${r.InvoiceDate.replace(' ', 'T')}Z`) >= sinceMs);
    expect(second.records).toBe(expected.length);
    expect(second.records).toBeGreaterThan(150); // new lines plus the overlap
    expect(second.records).toBeLessThan(160);
    expect(second.watermarkBefore).toBe(watermark);
    expect(second.watermarkAfter).toBe(all.at(-1)!.InvoiceDate);
    const back = await readAll(
      lake,
      second.batches.map((b) => b.manifestPath),
    );
    expect((back.records as OrderRecord[]).map((r) => r.orderLineId)).toEqual(expected.map((r) => r.orderLineId));
    // A third run with nothing new re-delivers only the overlap and keeps the watermark.
    const third = await ingestOrders(run('r3', '2011-06-03'), services);
    expect(third.watermarkAfter).toBe(second.watermarkAfter);
    expect(third.records).toBeLessThan(10);
  });

  it('an increment touches nothing of earlier runs: it lists only its own run folder and reads no earlier Bronze part', async () => {
    const all = makeOrders(300);
    let visible = all.slice(0, 250);
    api = await startOrdersApi({
      records: () =>
        (async function* () {
          yield* visible;
        })(),
    });
    const inner: LakeStore = lakeAt(`${dir}/lake`);
    const touched: string[] = [];
    const lake = Object.assign(Object.create(inner) as LakeStore, {
      read: (p: string, o?: { abortSignal?: AbortSignal }) => (touched.push(`read ${p}`), inner.read(p, o)),
      list: (p: string, o?: Parameters<LakeStore['list']>[1]) => (touched.push(`list ${p}`), inner.list(p, o)),
    });
    const services = servicesFor(settingsFor(api.url, { DEMAND_ORDERS_OVERLAP_MINUTES: '0' }), lake, `${dir}/state`);
    await ingestOrders(run('r1'), services);
    visible = all;
    touched.length = 0;
    const second = await ingestOrders(run('r2', '2011-06-02'), services);
    expect(second.records).toBeLessThan(60);
    expect(touched.filter((t) => t.includes('run_id=r1'))).toEqual([]);
    const lists = touched.filter((t) => t.startsWith('list '));
    expect(lists.length).toBeGreaterThan(0); // the spy sees the run's own listing (a resume check)
    expect(lists.every((t) => t.includes('/run_id=r2'))).toBe(true);
  });

  it.each([11, 12, 13])(
    'survives 429/5xx/timeouts/resets/truncated pages (seed %i): manifests add up exactly to the source',
    async (seed) => {
      const source = makeOrders(400);
      api = await startOrdersApi({
        records: source,
        faults: { seed, rate: 0.4, retryAfterSeconds: 0.01, slowDelayInMs: 600, maxPerPage: 3 },
      });
      const lake = lakeAt(`${dir}/lake`);
      const retries: string[] = [];
      const services = servicesFor(settingsFor(api.url, { DEMAND_ORDERS_RETRY_BUDGET_MS: '20000' }), lake, `${dir}/state`, {
        log: (m) => retries.push(m),
      });
      const out = await ingestOrders(run(`seed${seed}`), services);
      const injected = api.faultsInjected();
      expect(Object.values(injected).reduce((a, b) => a + b, 0)).toBeGreaterThan(3);
      expect(retries.filter((m) => m.includes('retry')).length).toBeGreaterThan(3);
      expect(out.records).toBe(400);
      expect(out.quantitySum).toBe(sumQuantity(source));
      const back = await readAll(lake, await listBronzeManifests(lake, 'orders', `seed${seed}`));
      expect(back.manifestRecords).toBe(400);
      expect(back.manifestQuantity).toBe(sumQuantity(source));
      expect(new Set((back.records as OrderRecord[]).map((r) => r.orderLineId)).size).toBe(400);
    },
  );

  it('after a crash in the middle, a re-run of the same run id lands exactly the source: no loss, no duplicates, watermark untouched by the failed run', async () => {
    const source = makeOrders(500);
    api = await startOrdersApi({ records: source, faults: { seed: 5, rate: 0.2, kinds: ['error503', 'truncated'], maxPerPage: 2 } });
    const realLake = lakeAt(`${dir}/lake`);
    // Dies on the 6th object write: part 2's data file is written, its manifest never is.
    let writes = 0;
    const crashingLake: LakeStore = Object.assign(Object.create(realLake) as LakeStore, {
      putIfAbsent: async (p: string, data: Uint8Array) => {
        if (++writes === 6) throw new Error('simulated crash');
        return realLake.putIfAbsent(p, data);
      },
    });
    const settings = settingsFor(api.url);
    await expect(ingestOrders(run('crashy'), servicesFor(settings, crashingLake, `${dir}/state`))).rejects.toThrow('simulated crash');
    const watermarks = await OrdersWatermarks.fromEntityStore(EmbeddedEntityStore.fromDirectory(`${dir}/state`));
    expect((await watermarks.get('orders')).watermark).toBeUndefined();
    expect(await listBronzeManifests(realLake, 'orders', 'crashy')).toHaveLength(2);

    const out = await ingestOrders(run('crashy'), servicesFor(settings, realLake, `${dir}/state`));
    expect(out.records).toBe(500);
    expect(out.quantitySum).toBe(sumQuantity(source));
    const back = await readAll(realLake, await listBronzeManifests(realLake, 'orders', 'crashy'));
    expect(back.records).toEqual(source);
    expect((await watermarks.get('orders')).watermark?.lastOrderTimestamp).toBe(source.at(-1)?.InvoiceDate);

    // A third attempt of the same run id (e.g. an activity retry after success) adds nothing.
    const again = await ingestOrders(run('crashy'), servicesFor(settings, realLake, `${dir}/state`));
    expect(again.records).toBe(500);
    expect(await listBronzeManifests(realLake, 'orders', 'crashy')).toHaveLength(out.batches.length);
  });

  it('an abort in the middle then a re-run gives the same result', async () => {
    const source = makeOrders(300);
    api = await startOrdersApi({ records: source });
    const lake = lakeAt(`${dir}/lake`);
    const controller = new AbortController();
    let seen = 0;
    const settings = settingsFor(api.url);
    const services = servicesFor(settings, lake, `${dir}/state`, {
      abortSignal: controller.signal,
      progress: (_stage, done) => {
        seen = done;
        if (done >= 150) controller.abort(new Error('operator abort'));
      },
    });
    await expect(ingestOrders(run('ab'), services)).rejects.toThrow('operator abort');
    expect(seen).toBe(150);
    const out = await ingestOrders(run('ab'), servicesFor(settings, lake, `${dir}/state`));
    expect(out.records).toBe(300);
    const back = await readAll(
      lake,
      out.batches.map((b) => b.manifestPath),
    );
    expect(back.records).toEqual(source);
  });

  it('fails with a named error naming source, page and last status when the retry budget runs out; watermark unchanged', async () => {
    const source = makeOrders(100);
    api = await startOrdersApi({ records: source, faults: { seed: 1, rate: 1, kinds: ['error503'], maxPerPage: Infinity } });
    const lake = lakeAt(`${dir}/lake`);
    const settings = settingsFor(api.url, { DEMAND_ORDERS_RETRY_BUDGET_MS: '1000' });
    const error = await ingestOrders(run('budget'), servicesFor(settings, lake, `${dir}/state`)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OrdersFetchError);
    const e = error as OrdersFetchError;
    expect(e.name).toBe('OrdersFetchError');
    expect(e.source).toBe('orders');
    expect(e.page).toBe(0);
    expect(e.status).toBe(503);
    expect(e.attempts).toBeGreaterThan(1);
    expect(e.message).toMatch(/Orders source "orders" page 0 failed after \d+ attempt\(s\) in \d+ ms; last status: 503/);
    const watermarks = await OrdersWatermarks.fromEntityStore(EmbeddedEntityStore.fromDirectory(`${dir}/state`));
    expect((await watermarks.get('orders')).watermark).toBeUndefined();
  });

  it('skips orders ingestion when DEMAND_ORDERS_API_URL is unset: nothing fetched or written, watermark unchanged, reported and logged', async () => {
    const lake = lakeAt(`${dir}/lake`);
    const logged: string[] = [];
    const services = servicesFor(settingsWith({}), lake, `${dir}/state`, { log: (m: string) => logged.push(m) });
    const watermarks = await OrdersWatermarks.fromEntityStore(services.entities);
    await watermarks.advance(
      { source: 'orders', lastOrderTimestamp: '2011-05-31 17:00:00', cursor: null, runId: 'earlier', updatedAt: '2011-05-31T18:00:00Z' },
      undefined,
    );
    const out = await ingestOrders(run('skip'), services);
    expect(out).toEqual({
      source: 'orders',
      pages: 0,
      records: 0,
      quantitySum: 0,
      batches: [],
      problems: { orders_source_not_configured: 1 },
      watermarkBefore: '2011-05-31 17:00:00',
      watermarkAfter: '2011-05-31 17:00:00',
    });
    expect((await watermarks.get('orders')).watermark?.runId).toBe('earlier');
    expect(logged.some((m) => /DEMAND_ORDERS_API_URL/.test(m) && /skipped/.test(m))).toBe(true);
    expect(await listBronzeManifests(lake, 'orders', 'skip')).toEqual([]);
  });

  it('does not retry a 401: fails at once naming the status', async () => {
    const { createServer } = await import('node:http');
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":"unauthorized"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const lake = lakeAt(`${dir}/lake`);
      const error = await ingestOrders(
        run('auth'),
        servicesFor(settingsFor(`http://127.0.0.1:${port}/orders`, { DEMAND_ORDERS_AUTH_HEADER: 'Bearer nope' }), lake, `${dir}/state`),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OrdersFetchError);
      expect((error as OrdersFetchError).status).toBe(401);
      expect(hits).toBe(1);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('stores malformed records raw and counts their problems', async () => {
    const good = makeOrders(40);
    const bad = [
      { ...good[5]!, orderLineId: 'bad-1', Quantity: 'twelve' },
      { ...good[6]!, orderLineId: 'bad-2', UnitPrice: undefined },
      { ...good[7]!, orderLineId: 'bad-3', InvoiceDate: '01/12/2010 08:26' },
      { ...good[8]!, orderLineId: 'bad-4', CustomerID: 17850 },
    ] as unknown as OrderRecord[];
    api = await startOrdersApi({ records: [...good, ...bad] });
    const lake = lakeAt(`${dir}/lake`);
    const out = await ingestOrders(run('bad'), servicesFor(settingsFor(api.url), lake, `${dir}/state`));
    expect(out.records).toBe(44);
    expect(out.problems).toEqual({
      'wrong_type:Quantity': 1,
      'missing:UnitPrice': 1,
      'bad_format:InvoiceDate': 1,
      'wrong_type:CustomerID': 1,
    });
    expect(out.quantitySum).toBe(sumQuantity(good) + sumQuantity(bad.slice(1) as never));
    const back = await readAll(
      lake,
      out.batches.map((b) => b.manifestPath),
    );
    const stored = back.records.find((r) => (r as OrderRecord).orderLineId === 'bad-1');
    expect(stored).toEqual({ ...good[5], orderLineId: 'bad-1', Quantity: 'twelve' });
  });
});
