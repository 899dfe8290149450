import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable } from '../../src/lib/delta/deltaTable';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables } from '../../src/lib/lakeTables';
import { buildSilverTables, type SourceRecord } from '../../src/lib/silver/silverBuild';
import { orders, stopAt } from './fixtures';

/**
 * A Silver run stopped at each of its commits, just before or just after it, then run again with
 * the same run id, must leave exactly the tables an uninterrupted run leaves.
 */
const silverTables = Object.values(lakeTables).filter((t) => t.path.startsWith('silver/'));

async function* source(records: ReadonlyArray<Record<string, unknown>>, sourcePath: string): AsyncIterable<SourceRecord> {
  let index = 0;
  for (const record of records) yield { record, index: index++, sourcePath };
}

const all = orders();
const run1 = all.filter((r) => String(r.InvoiceDate) < '2011-03-01');
const run2 = all.filter((r) => String(r.InvoiceDate) >= '2011-02-15');
const inventory2 = [
  { snapshot_date: '2011-03-01', sku: '20001', on_hand: '0', on_order: '' },
  { snapshot_date: '2011-03-02', sku: '20002', on_hand: '40', on_order: '10' },
];

function build(lake: FileSystemLake, runId: 'run-1' | 'run-2') {
  return buildSilverTables(lake, {
    runId,
    orders: source(runId === 'run-1' ? run1 : run2, `bronze/orders/${runId}/part-00000.ndjson.gz`),
    ...(runId === 'run-2' ? { inventory: source(inventory2, 'bronze/inventory/run-2/part-00000.csv.gz') } : {}),
  });
}

/** Every Silver table's rows, sorted, without the fields a commit stamps differently each time. */
async function contents(lake: FileSystemLake): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of silverTables) {
    const table = DeltaTable.forPath(lake, t.path);
    out[t.name] = (await table.version()) < 0 ? [] : (await table.readAll()).map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

describe('a Silver run stopped at a commit and run again', () => {
  let dir: string;
  let expected: Record<string, string[]>;

  beforeAll(async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-uninterrupted-'));
    const lake = FileSystemLake.fromDirectory(root);
    await build(lake, 'run-1');
    await build(lake, 'run-2');
    expected = await contents(lake);
    await fs.rm(root, { recursive: true, force: true });
  });
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-interrupted-'));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('the uninterrupted runs fill every Silver table', () => {
    for (const t of silverTables) expect([t.name, expected[t.name]?.length ?? 0]).not.toEqual([t.name, 0]);
  });

  it.each(silverTables.flatMap((t) => (['before', 'after'] as const).map((when) => [t.name, when, t.path] as const)))(
    'stopped at %s (%s its commit): the re-run leaves the tables of an uninterrupted run',
    async (_name, when, tablePath) => {
      const lake = FileSystemLake.fromDirectory(dir);
      await build(lake, 'run-1');
      stopAt(tablePath, when);
      await expect(build(lake, 'run-2')).rejects.toThrow(`host stopped ${when} committing ${tablePath}`);
      jest.restoreAllMocks();
      await build(lake, 'run-2');
      expect(await contents(lake)).toEqual(expected);
      // And once more: a completed run id changes nothing.
      await build(lake, 'run-2');
      expect(await contents(lake)).toEqual(expected);
    },
  );
});
