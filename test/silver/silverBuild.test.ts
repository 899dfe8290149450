import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable } from '../../src/lib/delta/deltaTable';
import type { DeltaRow } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables } from '../../src/lib/lakeTables';
import { buildSilverTables } from '../../src/lib/silver/silverBuild';
import { expect } from '@jest/globals';
import { line, source } from './silverTablesCompare';

async function readTable(lake: FileSystemLake, name: keyof typeof lakeTables): Promise<DeltaRow[]> {
  const t = DeltaTable.forPath(lake, lakeTables[name].path);
  if ((await t.version()) < 0) return [];
  return t.readAll();
}

function demandBySkuDay(rows: DeltaRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[`${String(r.sku)} ${String(r.date)}`] = Number(r.units);
  return out;
}

describe('Silver build on a temp lake', () => {
  let dir: string;
  let lake: FileSystemLake;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-build-'));
    lake = FileSystemLake.fromDirectory(dir);
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const run1 = [
    line('o1', '100', 'A', 5, '2011-01-10'),
    line('o2', '100', 'K', 1, '2011-01-10'),
    line('o3', '101', 'A', 2, '2011-01-12', null),
    line('o4', '102', 'A', 7, '2011-02-03'),
    line('o5', '103', 'post', 1, '2011-02-03'),
    { ...line('o6', '104', 'A', 1, '2011-02-04'), Quantity: 'x' },
    line('o7', 'C105', 'A', -7, '2011-02-05'),
  ];

  it('writes all Silver tables, and a re-run of the same run id leaves them as they were', async () => {
    const inventory = source(
      [
        { snapshot_date: '2011-01-11', sku: 'a', on_hand: '0', on_order: '' },
        { snapshot_date: '2011-02-01', sku: 'A', on_hand: '30', on_order: '5' },
        { snapshot_date: 'soon', sku: 'A', on_hand: '1' },
      ],
      'bronze/inventory/part-00000.csv.gz',
    );
    const first = await buildSilverTables(lake, { runId: 'run-1', orders: source(run1), inventory });
    expect(first).toMatchObject({
      orderLinesRead: 7,
      orderLinesKept: 4,
      unitsKept: 15,
      cancellations: 1,
      quarantined: 3,
      quarantineReasons: { non_product_code: 1, 'schema_invalid:Quantity': 1, 'schema_invalid:snapshot_date': 1 },
      inventoryRows: 2,
      skus: 2,
      nettedLines: 1,
      nettedUnits: 7,
      affectedFrom: '2011-01-01',
      affectedTo: '2011-02-28',
    });
    const demand = await readTable(lake, 'daily_demand');
    const a = demand.filter((r) => r.sku === 'A').sort((x, y) => String(x.date).localeCompare(String(y.date)));
    // A is active 2011-01-10..2011-02-03: 25 days, zero-filled; the 7 units of 02-03 are netted by C105.
    expect(a).toHaveLength(25);
    expect(a.map((r) => Number(r.units)).reduce((s, u) => s + u, 0)).toBe(7);
    expect(a.find((r) => r.date === '2011-01-10')).toMatchObject({ units: 5, orders: 1, customers: 1, on_hand: null, stockout: false });
    expect(a.find((r) => r.date === '2011-01-12')).toMatchObject({ units: 2, orders: 1, customers: 0, on_hand: 0, stockout: true });
    expect(a.find((r) => r.date === '2011-02-03')).toMatchObject({ units: 0, on_hand: 30, stockout: false });
    expect((await readTable(lake, 'products')).find((p) => p.sku === 'A')).toMatchObject({
      first_sale_date: '2011-01-10',
      last_sale_date: '2011-02-03',
      total_units: 14,
      order_lines: 3,
    });
    const quarantine = await readTable(lake, 'quarantine');
    expect(quarantine.find((q) => q.reason === 'schema_invalid:Quantity')).toMatchObject({
      run_id: 'run-1',
      record_index: 5,
      rule_set_version: 'online-retail@1.0.0',
      detail: expect.stringContaining('Quantity="x"'),
    });

    const versions = async () =>
      Object.fromEntries(
        await Promise.all(
          Object.values(lakeTables)
            .filter((t) => t.path.startsWith('silver/'))
            .map(async (t): Promise<[string, number]> => [t.name, await DeltaTable.forPath(lake, t.path).version()]),
        ),
      );
    const before = await versions();
    const again = await buildSilverTables(lake, {
      runId: 'run-1',
      orders: source(run1),
      inventory: source([
        { snapshot_date: '2011-01-11', sku: 'a', on_hand: '0', on_order: '' },
        { snapshot_date: '2011-02-01', sku: 'A', on_hand: '30', on_order: '5' },
      ]),
    });
    expect(again.orderLinesKept).toBe(4);
    expect(await versions()).toEqual(before);
    expect(demandBySkuDay(await readTable(lake, 'daily_demand'))).toEqual(demandBySkuDay(demand));
    expect(await readTable(lake, 'order_lines')).toHaveLength(4);
  });

  it('recomputes only affected months, zero-fills a range extension, dedupes re-delivered lines silently', async () => {
    await buildSilverTables(lake, { runId: 'run-1', orders: source(run1) });
    const dd = DeltaTable.forPath(lake, lakeTables.daily_demand.path);
    const filesBefore = (await dd.snapshot()).files;
    const janFiles = filesBefore.filter((f) => f.partitionValues.month === '2011-01').map((f) => f.path);

    const run2 = [
      line('o4', '102', 'A', 7, '2011-02-03'), // re-delivered (ingest overlap)
      line('o8', '106', 'K', 3, '2011-04-02'), // extends K's range from 2011-01-10 to 2011-04-02
      line('o9', '106', 'K', 3, '2011-04-02'), // exact copy within the invoice
    ];
    const second = await buildSilverTables(lake, { runId: 'run-2', orders: source(run2) });
    expect(second).toMatchObject({
      redelivered: 1,
      orderLinesKept: 1,
      quarantineReasons: { duplicate_line: 1 },
      affectedFrom: '2011-01-01',
      affectedTo: '2011-04-30',
    });
    // K's range grew into Feb–Apr (zero rows needed), and January holds K's Jan 11–31 zeros anew.
    const rows = await readTable(lake, 'daily_demand');
    const b = rows.filter((r) => r.sku === 'K');
    expect(b).toHaveLength(83); // 2011-01-10 .. 2011-04-02
    expect(b.reduce((s, r) => s + Number(r.units), 0)).toBe(4);
    expect(rows.filter((r) => r.sku === 'A')).toHaveLength(25);
    expect((await readTable(lake, 'products')).find((p) => p.sku === 'K')).toMatchObject({
      last_sale_date: '2011-04-02',
      total_units: 4,
      order_lines: 2,
    });
    expect(await readTable(lake, 'order_lines')).toHaveLength(5);

    // A third run touching only April recomputes April and March (a stored March cancellation
    // could now prefer the new line) and leaves the other months' files alone.
    const filesOf = async (month: string) =>
      (await dd.snapshot()).files
        .filter((f) => f.partitionValues.month === month)
        .map((f) => f.path)
        .sort();
    const janAfterRun2 = await filesOf('2011-01');
    const aprAfterRun2 = await filesOf('2011-04');
    expect(janAfterRun2).not.toEqual(janFiles.sort()); // run 2 did rewrite January (K's zero-fill)
    const third = await buildSilverTables(lake, { runId: 'run-3', orders: source([line('o10', '107', 'K', 1, '2011-04-03')]) });
    expect(third).toMatchObject({ affectedFrom: '2011-03-01', affectedTo: '2011-04-30' });
    expect(await filesOf('2011-01')).toEqual(janAfterRun2);
    expect(await filesOf('2011-04')).not.toEqual(aprAfterRun2);
  });

  it('a late line that a stored cancellation now prefers frees the line it netted before, as a single build would', async () => {
    const oldLine = line('n1', '200', 'X', 5, '2011-01-25', '14000.0');
    const cancellation = line('n2', 'C201', 'X', -5, '2011-02-02', '14000.0');
    const lateLine = line('n3', '202', 'X', 5, '2011-02-01', '14000.0');
    // X sells through February, so the late line does not widen X's range.
    const laterLine = line('n4', '203', 'X', 1, '2011-02-20', '14001.0');
    const single = FileSystemLake.fromDirectory(path.join(dir, 'single'));
    await buildSilverTables(single, { runId: 'all', orders: source([oldLine, cancellation, laterLine, lateLine]) });
    const expected = demandBySkuDay(await readTable(single, 'daily_demand'));
    expect(expected['X 2011-01-25']).toBe(5);
    expect(expected['X 2011-02-01']).toBe(0);

    const runs = FileSystemLake.fromDirectory(path.join(dir, 'runs'));
    await buildSilverTables(runs, { runId: 'run-1', orders: source([oldLine, cancellation, laterLine]) });
    expect(demandBySkuDay(await readTable(runs, 'daily_demand'))['X 2011-01-25']).toBe(0);
    const second = await buildSilverTables(runs, { runId: 'run-2', orders: source([lateLine]) });
    expect(second.affectedFrom).toBe('2011-01-01');
    expect(demandBySkuDay(await readTable(runs, 'daily_demand'))).toEqual(expected);
  });

  it('a corrected stock snapshot replaces the stored one of the same SKU and day, for good', async () => {
    const stock = (onHand: string, file: string) =>
      source([{ snapshot_date: '2011-01-11', sku: 'A', on_hand: onHand, on_order: '' }], file);
    const onJan12 = async () => (await readTable(lake, 'daily_demand')).find((r) => r.sku === 'A' && r.date === '2011-01-12');
    await buildSilverTables(lake, { runId: 'run-1', orders: source(run1), inventory: stock('0', 'inventory/2011-01-11.csv') });
    expect(await onJan12()).toMatchObject({ on_hand: 0, stockout: true });

    // The partner lands a corrected file for the same day, twice in one run (the last counts).
    const corrected = source(
      [
        { snapshot_date: '2011-01-11', sku: 'A', on_hand: '12', on_order: '' },
        { snapshot_date: '2011-01-11', sku: 'A', on_hand: '30', on_order: '' },
        { snapshot_date: '2011-01-20', sku: 'K', on_hand: '4', on_order: '' },
      ],
      'inventory/2011-01-11-corrected.csv',
    );
    await buildSilverTables(lake, { runId: 'run-2', orders: source([]), inventory: corrected });
    const snapshots = await readTable(lake, 'inventory_snapshots');
    expect(
      snapshots.map((r) => `${String(r.sku)} ${String(r.snapshot_date)} ${String(r.on_hand)} ${String(r.source_file)}`).sort(),
    ).toEqual(['A 2011-01-11 30 inventory/2011-01-11-corrected.csv', 'K 2011-01-20 4 inventory/2011-01-11-corrected.csv']);
    expect(await onJan12()).toMatchObject({ on_hand: 30, stockout: false });

    // A later run recomputing January reads one snapshot for that day, whatever the file order.
    await buildSilverTables(lake, { runId: 'run-3', orders: source([line('o20', '120', 'A', 1, '2011-01-25')]) });
    expect(await onJan12()).toMatchObject({ on_hand: 30, stockout: false });
  });
});
