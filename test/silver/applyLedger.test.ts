/**
 * Silver applies every committed Bronze batch no Silver build applied, whichever run ingested it:
 * the loss the issue measured (a run killed after the watermark and the landing move, before
 * Silver; the next run, with a new id, fetched only the overlap and found no landing file).
 */
import { openLakeTable } from '../../src/lib/delta';
import { ingestOrdersRun } from '../../src/lib/ingest/ordersIngestion';
import { OrdersWatermarks } from '../../src/lib/ingest/watermarks';
import { buildSilver } from '../../src/activities/buildSilver';
import { ingestInventory } from '../../src/activities/ingestInventory';
import { lakeTables } from '../../src/lib/lakeTables';
import { SilverApplyLedger } from '../../src/lib/silver/applyLedger';
import { startOrdersApi } from '../../src/lib/sample/ordersApi';
import { lakeAt, makeOrders, servicesFor, settingsWith, tempDir, testOrdersClient } from '../ingest/helpers';

const ctx = (runId: string) => ({ runId, runDate: '2011-03-01', startedAt: '2011-03-01T00:00:00Z' });

describe('Silver apply ledger', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('apply-ledger-'));
  });
  afterEach(() => cleanup());

  it('a run that ingested but never built Silver is applied by the next run (new id); nothing is applied twice', async () => {
    const orders = makeOrders(60);
    const api = await startOrdersApi({ records: orders });
    try {
      const lake = lakeAt(`${dir}/lake`);
      const services = servicesFor(settingsWith({}), lake, `${dir}/state`);
      const watermarks = await OrdersWatermarks.fromEntityStore(services.entities);
      const client = testOrdersClient(api.url);
      const ingest = (runId: string) =>
        ingestOrdersRun({ source: 'orders', runId, runDate: '2011-03-01', client, lake, watermarks, overlapMinutes: 60, pagesPerPart: 2 });
      await lake.put('landing/inventory/a.csv', Buffer.from('snapshot_date,sku,on_hand,on_order\n2011-01-10,20001,12,0\n'));

      // The killed run: orders and inventory in Bronze, watermark moved, file moved; no Silver.
      const killed = await ingest('killed');
      await ingestInventory(ctx('killed'), services);
      expect(killed.records).toBe(orders.length);

      // The next run, new id: fetches only the overlap window, finds no landing file…
      const next = await ingest('next');
      const nextInventory = await ingestInventory(ctx('next'), services);
      expect(next.records).toBeLessThan(orders.length);
      expect(nextInventory.batches).toEqual([]);
      // …and its Silver build still applies the killed run's batches.
      const silver = await buildSilver(
        { ...ctx('next'), orderManifests: next.batches.map((b) => b.manifestPath), inventoryManifests: [] },
        services,
      );
      expect(silver.orderLinesKept).toBe(orders.length);
      expect(await openLakeTable(lake, lakeTables.order_lines).readAll()).toHaveLength(orders.length);
      expect(await openLakeTable(lake, lakeTables.inventory_snapshots).readAll()).toHaveLength(1);

      // A third run applies nothing again; the ledger names each batch once.
      const third = await ingest('third');
      await buildSilver({ ...ctx('third'), orderManifests: third.batches.map((b) => b.manifestPath), inventoryManifests: [] }, services);
      expect(await openLakeTable(lake, lakeTables.order_lines).readAll()).toHaveLength(orders.length);
      const ledger = await SilverApplyLedger.load(lake);
      expect(await ledger.pending()).toEqual({ orderManifests: [], inventoryManifests: [] });
      expect(ledger.unfinished()).toEqual([]);
    } finally {
      await api.close();
    }
  });

  it('a Silver build killed after its intent is finished under its own apply id by the next run', async () => {
    const orders = makeOrders(30);
    const api = await startOrdersApi({ records: orders });
    try {
      const lake = lakeAt(`${dir}/lake`);
      const services = servicesFor(settingsWith({}), lake, `${dir}/state`);
      const watermarks = await OrdersWatermarks.fromEntityStore(services.entities);
      const client = testOrdersClient(api.url);
      const killed = await ingestOrdersRun({
        source: 'orders',
        runId: 'killed',
        runDate: '2011-03-01',
        client,
        lake,
        watermarks,
        overlapMinutes: 0,
        pagesPerPart: 2,
      });
      // The intent the killed build wrote, and nothing else.
      const ledger = await SilverApplyLedger.load(lake);
      await ledger.begin({
        applyId: 'killed',
        runId: 'killed',
        createdAt: new Date().toISOString(),
        orderManifests: killed.batches.map((b) => b.manifestPath),
        inventoryManifests: [],
      });
      const silver = await buildSilver({ ...ctx('next'), orderManifests: [], inventoryManifests: [] }, services);
      expect(silver.orderLinesKept).toBe(orders.length);
      const rows = await openLakeTable(lake, lakeTables.order_lines).readAll();
      expect(new Set(rows.map((r) => r.run_id))).toEqual(new Set(['killed']));
      expect((await SilverApplyLedger.load(lake)).get('killed')?.done?.orderLinesKept).toBe(orders.length);
    } finally {
      await api.close();
    }
  });
});
