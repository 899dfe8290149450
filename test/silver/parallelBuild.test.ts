import { promises as fs, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readBronzeRecords } from '../../src/lib/bronze/reader';
import { DeltaTable } from '../../src/lib/delta/deltaTable';
import type { DeltaRow } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables } from '../../src/lib/lakeTables';
import { ScratchSpaceError } from '../../src/lib/errors';
import * as orderChunkScan from '../../src/lib/silver/orderChunkScan';
import { assertScratchSpace, freeBytesIn, isNoSpaceError } from '../../src/lib/silver/scratchSpace';
import { buildSilverTables, type SourceRecord } from '../../src/lib/silver/silverBuild';
import { writeOrderParts } from './bronzeParts';
import { orders } from './fixtures';

const writeParts = (lake: FileSystemLake, records: Array<Record<string, unknown>>) => writeOrderParts(lake, records, 500);

async function* recordsOf(lake: FileSystemLake, manifests: string[]): AsyncIterable<SourceRecord> {
  for (const m of manifests) yield* readBronzeRecords(lake, m);
}

async function tableRows(lake: FileSystemLake, name: keyof typeof lakeTables): Promise<string[]> {
  const rows: DeltaRow[] = await DeltaTable.forPath(lake, lakeTables[name].path).readAll();
  return rows.map((r) => JSON.stringify(r)).sort();
}

describe('Silver build on worker threads', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-parallel-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes the same Silver tables from Bronze parts on two worker threads as in-process, and leaves no spill files', async () => {
    const records = orders();
    const threaded = FileSystemLake.fromDirectory(path.join(dir, 'threaded'));
    const inProcess = FileSystemLake.fromDirectory(path.join(dir, 'in-process'));
    const manifests = await writeParts(threaded, records);
    await writeParts(inProcess, records);
    const scratch = path.join(dir, 'scratch');
    await fs.mkdir(scratch);

    const a = await buildSilverTables(threaded, { runId: 'run-1', orderParts: manifests, workers: 2, scratchDir: scratch });
    const b = await buildSilverTables(inProcess, {
      runId: 'run-1',
      orders: recordsOf(inProcess, manifests),
      workers: 0,
      scratchDir: scratch,
    });

    expect(a.orderLinesRead).toBe(records.length);
    expect(a.redelivered).toBe(40);
    expect(a.cancellations).toBeGreaterThan(20);
    expect(a.nettedLines).toBeGreaterThan(10);
    expect(Object.keys(a.quarantineReasons).sort()).toEqual([
      'duplicate_line',
      'non_product_code',
      'price_not_positive',
      'quantity_not_positive',
      'schema_invalid:Quantity',
    ]);
    expect({ ...a, tableVersions: undefined }).toEqual({ ...b, tableVersions: undefined });
    for (const name of ['order_lines', 'cancellations', 'quarantine', 'daily_demand', 'products'] as const) {
      expect(await tableRows(threaded, name)).toEqual(await tableRows(inProcess, name));
    }
    // Every kept unit is in daily demand unless a cancellation netted it.
    const demand = await DeltaTable.forPath(threaded, lakeTables.daily_demand.path).readAll();
    expect(demand.reduce((s, r) => s + Number(r.units), 0)).toBe(a.unitsKept - a.nettedUnits);
    expect(await fs.readdir(scratch)).toEqual([]);
  });
});

describe('Silver month pass look-ahead', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-ahead-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('holds the months prepared ahead within a line budget (one month at least) and writes the same tables', async () => {
    const records = orders();
    const bounded = FileSystemLake.fromDirectory(path.join(dir, 'bounded'));
    const wide = FileSystemLake.fromDirectory(path.join(dir, 'wide'));
    const manifests = await writeParts(bounded, records);
    await writeParts(wide, records);
    const logs: Record<string, string[]> = { bounded: [], wide: [] };
    const run = (lake: FileSystemLake, linesAhead: number, log: string[]) =>
      buildSilverTables(lake, { runId: 'run-1', orderParts: manifests, workers: 2, linesAhead, log: (m) => log.push(m) });
    const a = await run(bounded, 1, logs.bounded!);
    const b = await run(wide, 1_000_000, logs.wide!);
    const peak = (log: string[]) => Number(/held at most (\d+) order lines/.exec(log.join('\n'))?.[1]);
    // The fixture's ~1,600 lines span four months: five months ahead hold them all, a budget of 1 holds one month.
    expect(peak(logs.wide!)).toBeGreaterThan(1_000);
    expect(peak(logs.bounded!)).toBeLessThan(peak(logs.wide!) / 2);
    expect(peak(logs.bounded!)).toBeGreaterThan(0);
    expect({ ...a, tableVersions: undefined }).toEqual({ ...b, tableVersions: undefined });
    for (const name of ['order_lines', 'cancellations', 'quarantine', 'daily_demand', 'products'] as const) {
      expect(await tableRows(bounded, name)).toEqual(await tableRows(wide, name));
    }
  });
});

describe('Silver build from a damaged Bronze part', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-damaged-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('fails naming the part, commits nothing and leaves no spill files', async () => {
    const lake = FileSystemLake.fromDirectory(path.join(dir, 'lake'));
    const manifests = await writeParts(lake, orders().slice(0, 1200));
    const damaged = (manifests[1] as string).replace('.manifest.json', '.ndjson.gz');
    await fs.writeFile(path.join(dir, 'lake', damaged), Buffer.from('not the committed bytes'));
    const scratch = path.join(dir, 'scratch');
    await fs.mkdir(scratch);
    await expect(buildSilverTables(lake, { runId: 'run-1', orderParts: manifests, workers: 2, scratchDir: scratch })).rejects.toThrow(
      new RegExp(
        `Bronze part ${damaged.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: holds 23 bytes with sha256 [0-9a-f]{64}, its manifest committed`,
      ),
    );
    for (const name of ['order_lines', 'cancellations', 'daily_demand', 'products'] as const) {
      expect(await DeltaTable.forPath(lake, lakeTables[name].path).version()).toBe(-1);
    }
    expect(await fs.readdir(scratch)).toEqual([]);
  });
});

describe('the scratch folder of the Silver build', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-scratch-'));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('refuses a spill that cannot fit, naming the folder, the space and the setting', () => {
    const free = () => 150e6;
    expect(() => assertScratchSpace('/mnt/scratch', 1_000_000, free)).toThrow(ScratchSpaceError);
    expect(() => assertScratchSpace('/mnt/scratch', 1_000_000, free)).toThrow(
      'Scratch folder /mnt/scratch: has 150 MB free; spilling 1,000,000 order lines needs about 200 MB. Free space there, or point DEMAND_SCRATCH_DIR at a larger disk.',
    );
    expect(() => assertScratchSpace('/mnt/scratch', 700_000, free)).not.toThrow();
    expect(() => assertScratchSpace(path.join(dir, 'missing'), 10)).toThrow(/missing: is not a folder that exists/);
    expect(freeBytesIn(dir)).toBeGreaterThan(0);
  });

  it('recognises a full disk also from the text of an error that crossed a worker thread', () => {
    expect(isNoSpaceError(Object.assign(new Error('write failed'), { code: 'ENOSPC' }))).toBe(true);
    expect(isNoSpaceError(new Error("ENOSPC: no space left on device, write '/tmp/x/2011-01/000000001.v8'"))).toBe(true);
    expect(isNoSpaceError(new Error('EACCES: permission denied'))).toBe(false);
    expect(isNoSpaceError('ENOSPC')).toBe(false);
  });

  it('refuses a build before reading or committing anything when the spill would not fit', async () => {
    const lake = FileSystemLake.fromDirectory(path.join(dir, 'lake'));
    const manifests = await writeParts(lake, orders().slice(0, 600));
    // No disk has room for 10^13 lines' spill (2,000 TB).
    const build = buildSilverTables(lake, { runId: 'run-1', orderParts: manifests, expectedLines: 1e13, scratchDir: dir });
    await expect(build).rejects.toThrow(ScratchSpaceError);
    await expect(build).rejects.toThrow(/needs about 2,000,000,000 MB/);
    for (const name of ['order_lines', 'quarantine', 'inventory_snapshots'] as const) {
      expect(await DeltaTable.forPath(lake, lakeTables[name].path).version()).toBe(-1);
    }
    expect((await fs.readdir(dir)).sort()).toEqual(['lake']);
  });

  it('names a scratch folder it cannot write to, before any commit', async () => {
    const lake = FileSystemLake.fromDirectory(path.join(dir, 'lake'));
    const manifests = await writeParts(lake, orders().slice(0, 600));
    const notAFolder = path.join(dir, 'file');
    await fs.writeFile(notAFolder, 'x');
    const inventory = (async function* () {
      yield {
        record: { snapshot_date: '2011-01-11', sku: '20001', on_hand: '3', on_order: '' },
        index: 0,
        sourcePath: 'bronze/inventory/a.csv.gz',
      };
    })();
    const build = buildSilverTables(lake, { runId: 'run-1', orderParts: manifests, workers: 2, scratchDir: notAFolder, inventory });
    await expect(build).rejects.toThrow(new ScratchSpaceError(notAFolder, 'cannot be written to (ENOTDIR)'));
    for (const name of ['inventory_snapshots', 'quarantine', 'order_lines'] as const) {
      expect(await DeltaTable.forPath(lake, lakeTables[name].path).version()).toBe(-1);
    }
  });

  it('a failure while reading inventory fails the build, commits nothing and leaves no spill folder', async () => {
    const lake = FileSystemLake.fromDirectory(path.join(dir, 'lake'));
    const inventory = (async function* () {
      yield {
        record: { snapshot_date: 'not a date', sku: 'X', on_hand: '1', on_order: '' },
        index: 0,
        sourcePath: 'bronze/inventory/a.csv.gz',
      };
      throw new Error('landing file vanished');
    })();
    await expect(buildSilverTables(lake, { runId: 'run-1', orders: recordsOf(lake, []), inventory, scratchDir: dir })).rejects.toThrow(
      'landing file vanished',
    );
    expect(await DeltaTable.forPath(lake, lakeTables.quarantine.path).version()).toBe(-1);
    expect((await fs.readdir(dir)).filter((f) => f.startsWith('silver-spill-'))).toEqual([]);
  });

  it('turns a disk that fills up while spilling into the same clear error, commits nothing and removes the spill', async () => {
    const lake = FileSystemLake.fromDirectory(path.join(dir, 'lake'));
    const manifests = await writeParts(lake, orders().slice(0, 1200));
    const scratch = path.join(dir, 'scratch');
    await fs.mkdir(scratch);
    const real = orderChunkScan.writeSpills;
    let calls = 0;
    // The first month's spill file is written, then the disk is full.
    jest.spyOn(orderChunkScan, 'writeSpills').mockImplementation((spillDir, seq, batches) => {
      calls += 1;
      real(spillDir, seq, batches.slice(0, 1));
      expect(readdirSync(spillDir)).toHaveLength(1);
      throw Object.assign(new Error(`ENOSPC: no space left on device, write '${spillDir}'`), { code: 'ENOSPC' });
    });
    const err = await buildSilverTables(lake, {
      runId: 'run-1',
      orders: recordsOf(lake, manifests),
      workers: 0,
      scratchDir: scratch,
    }).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(err).toBeInstanceOf(ScratchSpaceError);
    expect((err as Error).message).toMatch(`Scratch folder ${scratch}: ran out of space while spilling order lines`);
    expect(((err as Error).cause as Error).message).toMatch(/^ENOSPC/);
    for (const name of ['order_lines', 'cancellations', 'daily_demand', 'products'] as const) {
      expect(await DeltaTable.forPath(lake, lakeTables[name].path).version()).toBe(-1);
    }
    expect(await fs.readdir(scratch)).toEqual([]);
  });
});
