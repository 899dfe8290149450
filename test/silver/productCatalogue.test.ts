import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable } from '../../src/lib/delta/deltaTable';
import { IncompleteSilverRunError } from '../../src/lib/errors';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables } from '../../src/lib/lakeTables';
import { seededRandom } from '../../src/lib/sample/seededRandom';
import { buildSilverTables, type SourceRecord } from '../../src/lib/silver/silverBuild';
import { stopAt } from './fixtures';

/**
 * Four months of orders whose SKUs change description over time, so the canonical description of
 * several SKUs depends on lines from more than one run.
 */
function orders(): Array<Record<string, unknown>> {
  const next = seededRandom(11);
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 900; i++) {
    const day = Math.floor(next() * 118); // 2011-01-01 .. 2011-04-28
    const ts = new Date(Date.UTC(2011, 0, 1) + day * 86_400_000 + Math.floor(next() * 600) * 60_000).toISOString();
    const sku = `2${String(Math.floor(next() * 12)).padStart(4, '0')}`;
    // Early lines mostly say "OLD", later ones "NEW"; a few have none.
    const description = next() < 0.05 ? '' : next() < day / 118 ? `NEW ${sku}` : `OLD ${sku}`;
    out.push({
      orderLineId: `L${i}`,
      InvoiceNo: String(540000 + Math.floor(i / 3)),
      StockCode: sku,
      Description: description,
      Quantity: 1 + Math.floor(next() * 9),
      InvoiceDate: `${ts.slice(0, 10)} ${ts.slice(11, 19)}`,
      UnitPrice: 1.5,
      CustomerID: `${13000 + Math.floor(next() * 30)}`,
      Country: 'United Kingdom',
    });
  }
  // A SKU first sold in April, so the last run brings a SKU the catalogue has not seen.
  for (let i = 0; i < 6; i++) {
    out.push({
      orderLineId: `N${i}`,
      InvoiceNo: String(549000 + i),
      StockCode: '29999',
      Description: 'BRAND NEW',
      Quantity: 2,
      InvoiceDate: `2011-04-1${i} 09:00:00`,
      UnitPrice: 3,
      CustomerID: '13001',
      Country: 'United Kingdom',
    });
  }
  return out;
}

async function* source(records: Array<Record<string, unknown>>): AsyncIterable<SourceRecord> {
  let index = 0;
  for (const record of records) yield { record, index: index++, sourcePath: 'bronze/orders/part-00000.ndjson.gz' };
}

const month = (r: Record<string, unknown>): string => String(r.InvoiceDate).slice(0, 7);

async function catalogueOf(lake: FileSystemLake): Promise<{ products: unknown[]; descriptions: unknown[] }> {
  const sorted = async (name: 'products' | 'product_descriptions') => {
    const table = DeltaTable.forPath(lake, lakeTables[name].path);
    return (await table.version()) < 0 ? [] : (await table.readAll()).map((r) => JSON.stringify(r)).sort();
  };
  return { products: await sorted('products'), descriptions: await sorted('product_descriptions') };
}

/** Runs a build that stops (as a host would) just before its products commit. */
async function stopBeforeProducts(lake: FileSystemLake, runId: string, records: Array<Record<string, unknown>>): Promise<void> {
  stopAt(lakeTables.products.path, 'before');
  try {
    await expect(buildSilverTables(lake, { runId, orders: source(records) })).rejects.toThrow(
      'host stopped before committing silver/products',
    );
  } finally {
    jest.restoreAllMocks();
  }
}

describe('the SKU catalogue across runs', () => {
  let dir: string;
  const records = orders();
  const runs = [
    records.filter((r) => month(r) === '2011-01'),
    records.filter((r) => month(r) === '2011-02' || month(r) === '2011-03'),
    records.filter((r) => month(r) === '2011-04'),
  ];
  let whole: { products: unknown[]; descriptions: unknown[] };

  beforeAll(async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'catalogue-whole-'));
    const lake = FileSystemLake.fromDirectory(root);
    await buildSilverTables(lake, { runId: 'all', orders: source(records) });
    whole = await catalogueOf(lake);
    await fs.rm(root, { recursive: true, force: true });
  });
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'catalogue-runs-'));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('built run by run equals the catalogue of one build, and a run reads no order lines outside its months', async () => {
    // The data must make the catalogue depend on several runs: some SKU's description changes.
    const changed = whole.products
      .map((p) => JSON.parse(p as string) as { description: string })
      .filter((p) => p.description.startsWith('NEW'));
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.length).toBeLessThan(whole.products.length);

    const lake = FileSystemLake.fromDirectory(dir);
    await buildSilverTables(lake, { runId: 'run-1', orders: source(runs[0] ?? []) });
    await buildSilverTables(lake, { runId: 'run-2', orders: source(runs[1] ?? []) });
    const reads = jest.spyOn(lake, 'read');
    await buildSilverTables(lake, { runId: 'run-3', orders: source(runs[2] ?? []) });
    const orderLineMonths = new Set(
      reads.mock.calls.map(([p]) => /^silver\/order_lines\/order_month=([0-9-]+)\//.exec(p)?.[1]).filter((m) => m !== undefined),
    );
    expect([...orderLineMonths].every((m) => m >= '2011-03')).toBe(true);

    expect(await catalogueOf(lake)).toEqual(whole);
  });

  it('a run stopped between its description and product commits counts its descriptions once when run again', async () => {
    const lake = FileSystemLake.fromDirectory(dir);
    await buildSilverTables(lake, { runId: 'run-1', orders: source(runs[0] ?? []) });
    await buildSilverTables(lake, { runId: 'run-2', orders: source(runs[1] ?? []) });
    await stopBeforeProducts(lake, 'run-3', runs[2] ?? []);
    const half = await catalogueOf(lake);
    expect(half.descriptions).toEqual(whole.descriptions);
    expect(half.products).not.toEqual(whole.products);

    await buildSilverTables(lake, { runId: 'run-3', orders: source(runs[2] ?? []) });
    expect(await catalogueOf(lake)).toEqual(whole);
  });

  it('a first run stopped before its products commit keeps the descriptions of SKUs that have no product row yet', async () => {
    const lake = FileSystemLake.fromDirectory(path.join(dir, 'runs'));
    await stopBeforeProducts(lake, 'run-1', runs[0] ?? []);
    expect(await DeltaTable.forPath(lake, lakeTables.products.path).version()).toBe(-1);
    expect((await catalogueOf(lake)).descriptions.length).toBeGreaterThan(0);

    await buildSilverTables(lake, { runId: 'run-1', orders: source(runs[0] ?? []) });
    const january = FileSystemLake.fromDirectory(path.join(dir, 'january'));
    await buildSilverTables(january, { runId: 'run-1', orders: source(runs[0] ?? []) });
    expect(await catalogueOf(lake)).toEqual(await catalogueOf(january));
    await buildSilverTables(lake, { runId: 'run-2', orders: source(runs[1] ?? []) });
    await buildSilverTables(lake, { runId: 'run-3', orders: source(runs[2] ?? []) });
    expect(await catalogueOf(lake)).toEqual(whole);
  });

  it("a run stopped before its products commit keeps its new SKUs' descriptions through another run, until it is run again", async () => {
    // Another run in between, on February (its netting context, March, holds none of run 3's lines).
    const february = [
      { ...(runs[1]?.find((r) => month(r) === '2011-02') ?? {}), orderLineId: 'feb-1', InvoiceNo: '598001', Description: 'OTHER TEXT' },
    ];
    const clean = FileSystemLake.fromDirectory(path.join(dir, 'clean'));
    for (const [runId, records] of [
      ['run-1', runs[0]],
      ['run-2', runs[1]],
      ['run-3', runs[2]],
      ['run-feb', february],
    ] as const) {
      await buildSilverTables(clean, { runId, orders: source(records ?? []) });
    }

    const lake = FileSystemLake.fromDirectory(path.join(dir, 'runs'));
    await buildSilverTables(lake, { runId: 'run-1', orders: source(runs[0] ?? []) });
    await buildSilverTables(lake, { runId: 'run-2', orders: source(runs[1] ?? []) });
    await stopBeforeProducts(lake, 'run-3', runs[2] ?? []);
    await buildSilverTables(lake, { runId: 'run-feb', orders: source(february) });
    expect((await catalogueOf(lake)).descriptions.some((d) => String(d).includes('BRAND NEW'))).toBe(true);
    await buildSilverTables(lake, { runId: 'run-3', orders: source(runs[2] ?? []) });
    expect(await catalogueOf(lake)).toEqual(await catalogueOf(clean));
  });

  it('a run touching the months of a run that stopped before its products commit is refused, naming that run', async () => {
    const lake = FileSystemLake.fromDirectory(dir);
    await buildSilverTables(lake, { runId: 'run-1', orders: source(runs[0] ?? []) });
    await buildSilverTables(lake, { runId: 'run-2', orders: source(runs[1] ?? []) });
    await stopBeforeProducts(lake, 'run-3', runs[2] ?? []);
    const late = [{ ...(runs[2]?.[0] ?? {}), orderLineId: 'late-1', InvoiceNo: '599999' }];
    const refused = buildSilverTables(lake, { runId: 'run-4', orders: source(late) });
    await expect(refused).rejects.toThrow(IncompleteSilverRunError);
    await expect(refused).rejects.toThrow(
      /^Silver run run-3 stopped part-way: order_lines holds its line .* outside what products lists for that SKU\. Re-run run-3/,
    );
    await buildSilverTables(lake, { runId: 'run-3', orders: source(runs[2] ?? []) });
    await buildSilverTables(lake, { runId: 'run-4', orders: source(late) });
    expect((await DeltaTable.forPath(lake, lakeTables.order_lines.path).readAll()).filter((r) => r.run_id === 'run-4')).toHaveLength(1);
  });

  it('a lake from before description counts were kept has its catalogue rebuilt once from its order lines', async () => {
    const lake = FileSystemLake.fromDirectory(dir);
    await buildSilverTables(lake, { runId: 'run-1', orders: source(runs[0] ?? []) });
    await buildSilverTables(lake, { runId: 'run-2', orders: source(runs[1] ?? []) });
    await fs.rm(path.join(dir, lakeTables.product_descriptions.path), { recursive: true });
    await buildSilverTables(lake, { runId: 'run-3', orders: source(runs[2] ?? []) });
    expect(await catalogueOf(lake)).toEqual(whole);
  });
});
