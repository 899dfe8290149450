/**
 * End to end: `demand run --sample --json` (in-process, the real CLI, host, activities and lake),
 * checked against figures this test computes on its own from the bundled sample CSV, following
 * the documented rule set (docs/cleansing-rules.md) without calling the project's cleansing code.
 */
import { promises as fs } from 'node:fs';
import { createReadStream } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { main } from '../../src/cli/main';
import { loadSettings } from '../../src/lib/config/settings';
import { openLakeTable } from '../../src/lib/delta';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables } from '../../src/lib/lakeTables';
import type { RunSummary } from '../../src/orchestrators/summary';
import { captureCli } from '../support/cliCapture';

const samplePath = path.resolve(__dirname, '../../sample/orders/online_retail_sample.csv.gz');
const nonProduct = [
  /^POST$/,
  /^DOT$/,
  /^M$/,
  /^C2$/,
  /^C3$/,
  /^D$/,
  /^S$/,
  /^B$/,
  /^CRUK$/,
  /^PADS$/,
  /^AMAZONFEE$/,
  /^BANK CHARGES$/,
  /^ADJUST\d*$/,
  /^TEST\d*$/,
  /^SP\d+$/,
  /^GIFT$/,
  /^GIFT_0001_\d+$/,
  /^DCGS/,
];

interface Expected {
  records: number;
  quantitySum: number;
  reasons: Record<string, number>;
  cancellations: number;
  kept: number;
  keptSkus: Set<string>;
  activeSkus: number;
}

async function expectedFromSample(): Promise<Expected> {
  const rows: Array<Record<string, string>> = [];
  const parser = createReadStream(samplePath)
    .pipe(createGunzip())
    .pipe(parse({ columns: true }));
  for await (const row of parser) rows.push(row as Record<string, string>);
  const reasons: Record<string, number> = {};
  const bump = (k: string) => (reasons[k] = (reasons[k] ?? 0) + 1);
  const seen = new Set<string>();
  const lastSale = new Map<string, string>();
  let cancellations = 0;
  let kept = 0;
  let quantitySum = 0;
  for (const r of rows) {
    const qty = Number(r['Quantity']);
    const price = Number(r['UnitPrice']);
    quantitySum += qty;
    const invoice = (r['InvoiceNo'] ?? '').trim();
    const sku = (r['StockCode'] ?? '').trim().toUpperCase().replace(/\s+/g, ' ');
    if (/^A/.test(invoice)) bump('bad_debt_adjustment');
    else if (nonProduct.some((p) => p.test(sku))) bump('non_product_code');
    else if (/^C/.test(invoice)) cancellations++;
    else if (qty <= 0) bump('quantity_not_positive');
    else if (price <= 0) bump('price_not_positive');
    else {
      const customer = (r['CustomerID'] ?? '').trim().replace(/\.0+$/, '');
      const description = (r['Description'] ?? '').trim().replace(/\s+/g, ' ');
      const key = [invoice, sku, description, qty, r['InvoiceDate'], price, customer, (r['Country'] ?? '').trim()].join('\u0001');
      if (seen.has(key)) {
        bump('duplicate_line');
        continue;
      }
      seen.add(key);
      kept++;
      const day = (r['InvoiceDate'] ?? '').slice(0, 10);
      if ((lastSale.get(sku) ?? '') < day) lastSale.set(sku, day);
    }
  }
  const end = [...lastSale.values()].sort().at(-1) as string;
  const cutoff = new Date(Date.parse(`${end}T00:00:00Z`) - 365 * 86_400_000).toISOString().slice(0, 10);
  const activeSkus = [...lastSale.values()].filter((d) => d >= cutoff).length;
  return { records: rows.length, quantitySum, reasons, cancellations, kept, keptSkus: new Set(lastSale.keys()), activeSkus };
}

describe('demand run --sample --json (end to end on the bundled sample)', () => {
  let workspace: string;
  let summary: RunSummary;
  let expected: Expected;

  beforeAll(async () => {
    workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'demand-e2e-'));
    expected = await expectedFromSample();
    const cli = captureCli();
    await main(['node', 'demand', '--workspace', workspace, 'run', '--sample', '--json'], cli.context);
    expect(cli.exitCode()).toBe(0);
    expect(cli.out).toHaveLength(1);
    summary = JSON.parse(cli.out[0] as string) as RunSummary;
  }, 600_000);

  afterAll(async () => {
    await fs.rm(workspace, { recursive: true, force: true });
  });

  it('completes with a run id and every stage', () => {
    expect(summary.status).toBe('Completed');
    expect(summary.runId).toMatch(/^run-/);
    expect(Object.keys(summary.stages).sort()).toEqual([
      'drift',
      'forecast',
      'ingestInventory',
      'ingestOrders',
      'inventory',
      'publish',
      'silver',
      'tracking',
    ]);
  });

  it('ingests exactly the sample’s order lines into Bronze (count and sum of quantity)', () => {
    expect(summary.stages.ingestOrders?.records).toBe(expected.records);
    expect(summary.stages.ingestOrders?.quantitySum).toBe(expected.quantitySum);
    expect(summary.stages.silver?.orderLinesRead).toBe(expected.records);
  });

  it('quarantines by the documented rules, with the same counts per reason', () => {
    expect(summary.quarantineReasons).toEqual(expected.reasons);
    expect(summary.stages.silver?.cancellations).toBe(expected.cancellations);
    expect(summary.stages.silver?.orderLinesKept).toBe(expected.kept);
    const s = summary.stages.silver!;
    expect(s.orderLinesKept + s.cancellations + s.quarantined).toBe(s.orderLinesRead);
  });

  it('forecasts every SKU that sold in the last year, horizon rows each, into Gold', async () => {
    expect(summary.stages.silver?.skus).toBe(expected.keptSkus.size);
    const horizon = loadSettings({}).DEMAND_FORECAST_HORIZON_DAYS;
    expect(summary.stages.forecast?.skus).toBe(expected.activeSkus);
    expect(summary.stages.forecast?.forecastRows).toBe(expected.activeSkus * horizon);
    const lake = FileSystemLake.fromDirectory(path.join(workspace, 'lake'));
    const rows = await openLakeTable(lake, lakeTables.forecasts).readAll({ partitionFilter: (p) => p['run_id'] === summary.runId });
    expect(rows).toHaveLength(expected.activeSkus * horizon);
    expect(rows.every((r) => Number.isFinite(r['point'] as number) && Number.isFinite(r['q95'] as number))).toBe(true);
  });

  it('rejects the malformed partner inventory file and ingests the others', () => {
    const inv = summary.stages.ingestInventory!;
    expect(inv.filesRejected).toBe(1);
    expect(inv.filesIngested).toBe(inv.filesFound - 1);
    expect(inv.records).toBeGreaterThan(0);
  });

  it('writes the dashboard where the summary says', async () => {
    const dashboard = summary.outputs['dashboard'] as string;
    expect(dashboard).toBe(path.join(workspace, 'dashboard.html'));
    const html = await fs.readFile(dashboard, 'utf8');
    expect(html).toContain('<html');
    expect(html).toContain('85123A');
  });
});
