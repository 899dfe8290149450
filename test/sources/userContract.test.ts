/**
 * The user contract, as written: order items exported one CSV row per item (a Brazilian
 * marketplace's columns, local timestamps), landed in W/lake/landing/orders/, the definition at
 * W/orders.source.json, then `demand --workspace W run --orders-source W/orders.source.json --json`.
 * Expected figures are computed here from the rows this test writes, not by the project's code.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { openLakeTable } from '../../src/lib/delta';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables } from '../../src/lib/lakeTables';
import type { RunSummary } from '../../src/orchestrators/summary';
import { captureCli } from './cliHarness';

const definition = {
  kind: 'files',
  folder: 'landing/orders',
  format: 'csv',
  timeZone: 'America/Sao_Paulo',
  fields: {
    orderId: 'order_id',
    lineId: 'order_item_id',
    sku: 'product_id',
    quantity: { value: 1 },
    unitPrice: 'price',
    orderedAt: 'order_purchase_timestamp',
    status: { path: 'order_status', map: { canceled: 'cancelled', unavailable: 'cancelled' }, default: 'placed' },
    customerId: 'customer_id',
  },
};

interface Row {
  order_id: string;
  order_item_id: number;
  product_id: string;
  price: string;
  order_purchase_timestamp: string;
  order_status: string;
  customer_id: string;
}

/** A deterministic export: 6 products over 120 days, orders of 1–3 items (equal items repeat), some cancelled. */
function exportRows(): Row[] {
  const products = [
    'a1b2c3d4e5f60718293a4b5c6d7e8f90',
    'c0ffee00c0ffee00c0ffee00c0ffee00',
    '0bad0bad0bad0bad0bad0bad0bad0bad',
    '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e',
    'abcdef0123456789abcdef0123456789',
    'ca11ab1eca11ab1eca11ab1eca11ab1e',
  ];
  const rows: Row[] = [];
  let seed = 7;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const start = Date.UTC(2017, 6, 1);
  for (let day = 0; day < 120; day++) {
    const orders = 2 + Math.floor(rand() * 3);
    for (let o = 0; o < orders; o++) {
      // Hex order ids, some starting with a or c (the UCI rules would have taken those out).
      const orderId = `${['a', 'c', 'e', '1', '9'][Math.floor(rand() * 5)]}${Math.floor(rand() * 1e15)
        .toString(16)
        .padStart(13, '0')}${day}${o}`;
      const status =
        rand() < 0.1
          ? rand() < 0.5
            ? 'canceled'
            : 'unavailable'
          : (['delivered', 'shipped', 'invoiced'][Math.floor(rand() * 3)] as string);
      const product = products[Math.floor(rand() * products.length)] as string;
      const items = 1 + Math.floor(rand() * 3);
      const d = new Date(start + day * 86_400_000);
      const hh = String(8 + Math.floor(rand() * 14)).padStart(2, '0');
      const mm = String(Math.floor(rand() * 60)).padStart(2, '0');
      const ts = `${d.toISOString().slice(0, 10)} ${hh}:${mm}:33`;
      for (let item = 1; item <= items; item++) {
        rows.push({
          order_id: orderId,
          order_item_id: item,
          product_id: product,
          price: (10 + (product.charCodeAt(0) % 7) * 3.5).toFixed(2),
          order_purchase_timestamp: ts,
          order_status: status,
          customer_id: `cust${Math.floor(rand() * 40)}`,
        });
      }
    }
  }
  // Late evening in São Paulo is the next day in UTC: it must count on the shop's day.
  rows.push({
    order_id: 'late0001',
    order_item_id: 1,
    product_id: products[0] as string,
    price: '10.00',
    order_purchase_timestamp: '2017-10-02 22:30:00',
    order_status: 'delivered',
    customer_id: 'cust1',
  });
  return rows;
}

function csvOf(rows: Row[]): string {
  const header = 'order_id,order_item_id,product_id,price,order_purchase_timestamp,order_status,customer_id';
  return `${header}\n${rows.map((r) => [r.order_id, r.order_item_id, r.product_id, r.price, r.order_purchase_timestamp, r.order_status, r.customer_id].join(',')).join('\n')}\n`;
}

describe('user contract: one CSV row per order item, America/Sao_Paulo local times, --orders-source <file>', () => {
  let workspace: string;
  let summary: RunSummary;
  let rows: Row[];
  let exitCode: number;

  beforeAll(async () => {
    workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'demand-contract-'));
    rows = exportRows();
    await fs.mkdir(path.join(workspace, 'lake', 'landing', 'orders'), { recursive: true });
    await fs.writeFile(path.join(workspace, 'lake', 'landing', 'orders', 'order_items.csv'), csvOf(rows));
    await fs.writeFile(path.join(workspace, 'orders.source.json'), JSON.stringify(definition, null, 2));
    const cli = captureCli();
    await main(
      [
        'node',
        'demand',
        '--workspace',
        workspace,
        'run',
        '--orders-source',
        path.join(workspace, 'orders.source.json'),
        '--json',
        '--no-progress',
      ],
      cli.context,
    );
    exitCode = cli.exitCode();
    if (cli.out.length !== 1) throw new Error(`expected one JSON summary, got stdout ${cli.out.join('\n')} stderr ${cli.err.join('\n')}`);
    summary = JSON.parse(cli.out[0] as string) as RunSummary;
  }, 300_000);

  afterAll(async () => {
    await fs.rm(workspace, { recursive: true, force: true });
  });

  it('runs the whole pipeline to Completed, exit code 0', () => {
    expect(summary.error).toBeUndefined();
    expect(summary.status).toBe('Completed');
    expect(exitCode).toBe(0);
  });

  it('keeps every line of a non-cancelled order (units = their count), cancelled orders go to cancellations, nothing quarantined', () => {
    const cancelled = rows.filter((r) => r.order_status === 'canceled' || r.order_status === 'unavailable').length;
    const kept = rows.length - cancelled;
    expect(cancelled).toBeGreaterThan(0);
    expect(summary.stages.ingestOrders?.records).toBe(rows.length);
    expect(summary.stages.silver?.orderLinesRead).toBe(rows.length);
    expect(summary.stages.silver?.orderLinesKept).toBe(kept);
    expect(summary.stages.silver?.unitsKept).toBe(kept);
    expect(summary.stages.silver?.cancellations).toBe(cancelled);
    expect(summary.stages.silver?.quarantined).toBe(0);
    expect(summary.quarantineReasons).toEqual({});
  });

  it('counts demand on the shop’s local day (22:30 in São Paulo is 01:30 UTC the next day)', async () => {
    const lake = FileSystemLake.fromDirectory(path.join(workspace, 'lake'));
    const demand = await openLakeTable(lake, lakeTables.daily_demand).readAll();
    const sku = 'A1B2C3D4E5F60718293A4B5C6D7E8F90';
    const localDay = (day: string): number =>
      rows.filter(
        (r) =>
          r.product_id.toUpperCase() === sku &&
          r.order_purchase_timestamp.startsWith(day) &&
          r.order_status !== 'canceled' &&
          r.order_status !== 'unavailable',
      ).length;
    const units = (day: string): number =>
      demand.filter((r) => r['sku'] === sku && String(r['date']).startsWith(day)).reduce((s, r) => s + Number(r['units']), 0);
    expect(localDay('2017-10-02')).toBeGreaterThanOrEqual(1);
    expect(units('2017-10-02')).toBe(localDay('2017-10-02'));
    expect(units('2017-10-03')).toBe(localDay('2017-10-03'));
    const total = demand.reduce((s, r) => s + Number(r['units']), 0);
    expect(total).toBe(summary.stages.silver?.unitsKept);
  });

  it('writes forecasts to Gold and moves the file to processed/', async () => {
    expect(summary.stages.forecast?.forecastRows).toBeGreaterThan(0);
    const lake = FileSystemLake.fromDirectory(path.join(workspace, 'lake'));
    const forecasts = await openLakeTable(lake, lakeTables.forecasts).readAll({ partitionFilter: (p) => p['run_id'] === summary.runId });
    expect(forecasts.length).toBe(summary.stages.forecast?.forecastRows);
    expect(await lake.exists('landing/orders/processed/order_items.csv')).toBe(true);
    expect(await lake.exists('landing/orders/order_items.csv')).toBe(false);
  });
});

describe('a run whose records are mostly quarantined fails, naming the reasons', () => {
  it('ends Failed with exit 1 and no forecast when the timestamps do not map', async () => {
    const workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'demand-contract-bad-'));
    try {
      const rows = exportRows()
        .slice(0, 40)
        .map((r) => ({ ...r, order_purchase_timestamp: r.order_purchase_timestamp.replace(/^(\d{4})-(\d{2})-(\d{2})/, '$3/$2/$1') }));
      await fs.mkdir(path.join(workspace, 'lake', 'landing', 'orders'), { recursive: true });
      await fs.writeFile(path.join(workspace, 'lake', 'landing', 'orders', 'order_items.csv'), csvOf(rows));
      await fs.writeFile(path.join(workspace, 'orders.source.json'), JSON.stringify(definition));
      const cli = captureCli();
      await main(
        [
          'node',
          'demand',
          '--workspace',
          workspace,
          'run',
          '--orders-source',
          path.join(workspace, 'orders.source.json'),
          '--json',
          '--no-progress',
        ],
        cli.context,
      );
      const summary = JSON.parse(cli.out[0] as string) as RunSummary;
      expect(cli.exitCode()).toBe(1);
      expect(summary.status).toBe('Failed');
      expect(summary.error).toMatch(/40 of 40 order records \(100.0%\) were quarantined, above DEMAND_QUARANTINE_MAX_SHARE 50.0%/);
      expect(summary.error).toMatch(/unmapped:orderedAt ×40 \(e.g. orderedAt="\d{2}\/\d{2}\/2017 /);
      expect(summary.stages.forecast).toBeUndefined();
      expect(summary.stages.tracking).toBeUndefined();
    } finally {
      await fs.rm(workspace, { recursive: true, force: true });
    }
  }, 120_000);
});
