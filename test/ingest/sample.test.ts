import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { OrderRecord } from '../../src/lib/ingest/orderRecord';
import { ingestInventory } from '../../src/activities/ingestInventory';
import { ingestOrders } from '../../src/activities/ingestOrders';
import { writeSampleInventory } from '../../src/lib/sample/inventorySnapshots';
import { startOrdersApi } from '../../src/lib/sample/ordersApi';
import { loadSampleOrders } from '../../src/lib/sample/sampleOrders';
import { lakeAt, servicesFor, settingsWith, tempDir } from './helpers';

const summary = JSON.parse(readFileSync(path.resolve(__dirname, '../../sample/orders/sample-summary.json'), 'utf8')) as {
  counts: Record<string, number>;
  skus: Record<string, Array<{ sku: string }>>;
};

describe('bundled sample', () => {
  let sample: OrderRecord[];
  beforeAll(async () => {
    sample = [];
    for await (const r of loadSampleOrders()) sample.push(r);
  });

  it('holds the documented lines: 40 SKUs over the year plus every quarantine case', () => {
    expect(sample).toHaveLength(summary.counts.lines!);
    const skus = Object.values(summary.skus).flat();
    expect(skus).toHaveLength(40);
    expect(sample[0]!.InvoiceDate >= '2010-12-01').toBe(true);
    expect(sample.at(-1)!.InvoiceDate >= '2011-12-01').toBe(true);
    const codes = new Set(sample.map((r) => r.StockCode));
    for (const code of ['POST', 'DOT', 'M', 'BANK CHARGES', 'AMAZONFEE']) expect(codes.has(code)).toBe(true);
    expect(sample.some((r) => r.InvoiceNo.startsWith('C'))).toBe(true);
    expect(sample.some((r) => r.Quantity <= 0 && !r.InvoiceNo.startsWith('C'))).toBe(true);
    expect(sample.some((r) => r.UnitPrice <= 0)).toBe(true);
    expect(sample.some((r) => /[a-z]$/.test(r.StockCode))).toBe(true);
    expect(sample.some((r) => r.CustomerID?.endsWith('.0'))).toBe(true);
    expect(sample.some((r) => r.CustomerID === null)).toBe(true);
    const lines = sample.map((r) => JSON.stringify({ ...r, orderLineId: undefined }));
    expect(new Set(lines).size).toBeLessThan(lines.length); // exact duplicate lines are kept
    expect(new Set(sample.map((r) => r.orderLineId)).size).toBe(sample.length); // ids stay unique
  });

  it('serves through the API and lands in Bronze exactly (count and quantity); snapshots land, the malformed file is rejected', async () => {
    const { dir, cleanup } = await tempDir('sample-');
    const api = await startOrdersApi({ records: () => loadSampleOrders() });
    try {
      const lake = lakeAt(`${dir}/lake`);
      const settings = settingsWith({ DEMAND_ORDERS_API_URL: api.url, DEMAND_ORDERS_PAGE_SIZE: '2000' });
      const run = { runId: 'sample', runDate: '2011-12-10', startedAt: '2011-12-10T02:00:00Z' };
      const out = await ingestOrders({ ...run, source: 'orders' }, servicesFor(settings, lake, `${dir}/state`));
      expect(out.records).toBe(sample.length);
      expect(out.quantitySum).toBe(sample.reduce((s, r) => s + r.Quantity, 0));
      expect(out.problems).toEqual({});

      const inventory = await writeSampleInventory(lake, { seed: 7 });
      expect(inventory.files.length).toBeGreaterThanOrEqual(52);
      expect(inventory.files.some((f) => f.endsWith('.csv')) && inventory.files.some((f) => f.endsWith('.ndjson'))).toBe(true);
      for (const p of inventory.policies) expect(p.orderUpTo).toBeGreaterThan(p.reorderPoint);
      // Same seed, same files.
      const again = await writeSampleInventory(lakeAt(`${dir}/lake2`), { seed: 7 });
      expect((await lakeAt(`${dir}/lake2`).read(again.files[10]!)).equals(await lake.read(inventory.files[10]!))).toBe(true);

      const ingested = await ingestInventory(run, servicesFor(settings, lake, `${dir}/state`));
      expect(ingested.filesIngested).toBe(inventory.files.length);
      expect(ingested.filesRejected).toBe(1);
      expect(ingested.rejected[0]?.file).toBe(inventory.malformedFile);
      expect(ingested.records).toBe(inventory.rows);
    } finally {
      await api.close();
      await cleanup();
    }
  });
});
