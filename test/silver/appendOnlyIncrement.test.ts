/**
 * An increment whose lines are all for new days appends daily_demand rows and keeps the stored
 * files; anything that changes a stored row (a late line, a stored cancellation that now prefers a
 * new line, a stock figure for a stored day) rewrites the month. Either way the tables equal a
 * single build of all the lines, also after a crash mid-write and a re-run of the same increment.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { DeltaTable } from '../../src/lib/delta/deltaTable';
import type { DeltaColumnBatch, DeltaReadOptions, DeltaRow } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables } from '../../src/lib/lakeTables';
import { ruleSetByName, type RuleSet } from '../../src/lib/silver/ruleSet';
import { buildSilverTables } from '../../src/lib/silver/silverBuild';
import { stopAt } from './fixtures';
import { expectSameSilver, history, line, rowsOf, source, stock, withStatus } from './silverTablesCompare';

/** daily_demand's data files (path → month). */
async function demandFiles(lake: FileSystemLake): Promise<Map<string, string>> {
  const t = DeltaTable.forPath(lake, lakeTables.daily_demand.path);
  return new Map((await t.snapshot()).files.map((f) => [f.path, f.partitionValues.month ?? '']));
}

/** What `step` did to daily_demand's files: how many stored ones it removed, the months it added files to. */
async function demandFileChanges(lake: FileSystemLake, step: () => Promise<unknown>): Promise<{ removed: number; addedMonths: string[] }> {
  const before = await demandFiles(lake);
  await step();
  const after = await demandFiles(lake);
  const removed = [...before.keys()].filter((f) => !after.has(f)).length;
  const addedMonths = [...new Set([...after].filter(([f]) => !before.has(f)).map(([, m]) => m))].sort();
  return { removed, addedMonths };
}

/** Which columns each read of a Silver table asked for (undefined: every column), by rows or by columns. */
function spyReads(): Array<{ table: string; columns: string[] | undefined; by: 'read' | 'readColumns' }> {
  const reads: Array<{ table: string; columns: string[] | undefined; by: 'read' | 'readColumns' }> = [];
  const realRead = Reflect.get(DeltaTable.prototype, 'read') as (this: DeltaTable, o?: DeltaReadOptions) => AsyncIterable<DeltaRow>;
  jest.spyOn(DeltaTable.prototype, 'read').mockImplementation(function (this: DeltaTable, options?: DeltaReadOptions) {
    reads.push({ table: this.path, columns: options?.columns, by: 'read' });
    return realRead.call(this, options);
  });
  const realColumns = Reflect.get(DeltaTable.prototype, 'readColumns') as (
    this: DeltaTable,
    o?: DeltaReadOptions,
  ) => AsyncIterable<DeltaColumnBatch>;
  jest.spyOn(DeltaTable.prototype, 'readColumns').mockImplementation(function (this: DeltaTable, options?: DeltaReadOptions) {
    reads.push({ table: this.path, columns: options?.columns, by: 'readColumns' });
    return realColumns.call(this, options);
  });
  return reads;
}

// One new day: A and S sell again (A's Feb 20 and S's Feb 11–20 are new zero rows), N (22004) is a new SKU.
const newDay = [
  line('d1', '200', '22001', 1, '2011-02-21'),
  line('d2', '201', '22002', 2, '2011-02-21', '14001.0'),
  line('d3', '202', '22004', 7, '2011-02-21'),
  line('d4', '202', '22004', 1, '2011-02-21'),
];

describe.each([
  ['online-retail (netting on)', ruleSetByName('online-retail')],
  ['order-status (netting off)', ruleSetByName('order-status')],
])('Silver increment rules %s', (_name, ruleSet: RuleSet) => {
  let dir: string;
  const lakeAt = (name: string) => FileSystemLake.fromDirectory(path.join(dir, name));
  const build = (lake: FileSystemLake, runId: string, records: unknown[], inventory?: Array<Record<string, string>>) =>
    buildSilverTables(lake, { runId, ruleSet, orders: source(records), ...(inventory ? { inventory: stock(inventory) } : {}) });
  /** The single build of every line (and stock figure) the runs saw, in the same order. */
  const rebuilt = async (records: unknown[], inventory?: Array<Record<string, string>>) => {
    const single = lakeAt('single');
    await build(single, 'all', records, inventory);
    return single;
  };
  const status = (records: Array<Record<string, unknown>>) => withStatus(ruleSet, records);

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-append-'));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a new day appends its rows: no stored daily_demand file removed, stored lines read as ids only, same Silver as a full build', async () => {
    const runs = lakeAt('runs');
    await build(runs, 'run-1', status(history));
    const reads = spyReads();
    let result: Awaited<ReturnType<typeof build>> | undefined;
    const changes = await demandFileChanges(runs, async () => (result = await build(runs, 'run-2', status(newDay))));
    expect(changes).toEqual({ removed: 0, addedMonths: ['2011-02'] });
    // A: Feb 20–21; S: Feb 11–21; N: Feb 21.
    expect(result?.dailyDemandRows).toBe(14);
    const orderLineReads = reads.filter((r) => r.table === lakeTables.order_lines.path);
    expect(orderLineReads.length).toBeGreaterThan(0);
    for (const r of orderLineReads) expect(r.columns).toEqual(['order_line_id', 'order_date', 'run_id']);
    await expectSameSilver(runs, await rebuilt(status([...history, ...newDay])));
  });

  it('the ingest overlap (stored lines delivered again) still appends; only the files of the re-delivered days are read in full', async () => {
    const runs = lakeAt('runs');
    await build(runs, 'run-1', status(history));
    const overlap = [...history.slice(-3), ...newDay];
    const reads = spyReads();
    let result: Awaited<ReturnType<typeof build>> | undefined;
    const changes = await demandFileChanges(runs, async () => (result = await build(runs, 'run-2', status(overlap))));
    expect(changes).toEqual({ removed: 0, addedMonths: ['2011-02'] });
    expect(result?.redelivered).toBe(3);
    expect(result?.quarantineReasons).not.toHaveProperty('redelivered_conflict');
    expect(reads.filter((r) => r.table === lakeTables.order_lines.path && r.columns === undefined).length).toBeGreaterThan(0);
    await expectSameSilver(runs, await rebuilt(status([...history, ...overlap])));
  });

  it('an append-only increment (with the ingest overlap) reads stored lines, cancellations and daily_demand by columns only: no row-by-row read', async () => {
    const runs = lakeAt('runs');
    await build(runs, 'run-1', status(history));
    const reads = spyReads();
    const result = await build(runs, 'run-2', status([...history.slice(-3), ...newDay]));
    expect(result.redelivered).toBe(3);
    const stored = [lakeTables.order_lines.path, lakeTables.cancellations.path, lakeTables.daily_demand.path];
    const ofStored = reads.filter((r) => stored.includes(r.table));
    expect(ofStored.filter((r) => r.table === lakeTables.order_lines.path).length).toBeGreaterThan(1);
    expect(ofStored.filter((r) => r.table === lakeTables.daily_demand.path).length).toBeGreaterThan(0);
    expect(ofStored.filter((r) => r.by === 'read')).toEqual([]);
    await expectSameSilver(runs, await rebuilt(status([...history, ...history.slice(-3), ...newDay])));
  });

  it('a late line for a stored day rewrites its month and equals a full build', async () => {
    const runs = lakeAt('runs');
    await build(runs, 'run-1', status(history));
    const late = [...newDay, line('l1', '203', '22001', 4, '2011-02-05')];
    const changes = await demandFileChanges(runs, () => build(runs, 'run-2', status(late)));
    expect(changes.removed).toBeGreaterThan(0);
    await expectSameSilver(runs, await rebuilt(status([...history, ...late])));
  });

  it('a corrected line (its id again, other quantity and day) is quarantined as a conflict, as in a full build', async () => {
    const runs = lakeAt('runs');
    await build(runs, 'run-1', status(history));
    const corrected = [...newDay, { ...line('h3', '102', '22001', 9, '2011-02-22') }];
    const second = await build(runs, 'run-2', status(corrected));
    expect(second.quarantineReasons).toMatchObject({ redelivered_conflict: 1 });
    // The single build sees the first delivery first, as the runs did.
    await expectSameSilver(runs, await rebuilt(status([...history, ...corrected])));
  });

  it('a corrected line on its stored day (its id again, other quantity) rewrites the month and is quarantined, as in a full build', async () => {
    const runs = lakeAt('runs');
    await build(runs, 'run-1', status(history));
    const corrected = [...newDay, line('h3', '102', '22001', 9, '2011-02-19')];
    const changes = await demandFileChanges(runs, () => build(runs, 'run-2', status(corrected)));
    expect(changes.removed).toBeGreaterThan(0);
    await expectSameSilver(runs, await rebuilt(status([...history, ...corrected])));
  });

  it('a crash before the daily_demand commit, then the same increment again, equals a full build; a third re-run changes nothing', async () => {
    const runs = lakeAt('runs');
    await build(runs, 'run-1', status(history));
    stopAt(lakeTables.daily_demand.path, 'before');
    await expect(build(runs, 'run-2', status(newDay))).rejects.toThrow(/host stopped before committing/);
    jest.restoreAllMocks();
    await build(runs, 'run-2', status(newDay));
    const expected = await rebuilt(status([...history, ...newDay]));
    await expectSameSilver(runs, expected);
    const version = await DeltaTable.forPath(runs, lakeTables.daily_demand.path).version();
    await build(runs, 'run-2', status(newDay));
    expect(await DeltaTable.forPath(runs, lakeTables.daily_demand.path).version()).toBe(version);
    await expectSameSilver(runs, expected);
  });

  it('daily_demand rows past the catalogue (a conflicting re-delivery widened them) make the month rewritten, never a row twice', async () => {
    const runs = lakeAt('runs');
    // h3 again with a later day: quarantined, but its day widens 22001's daily rows to Feb 23 while
    // products keeps Feb 19 as the last sale.
    const withConflict = [...history, line('h3', '102', '22001', 3, '2011-02-23')];
    await build(runs, 'run-1', status(withConflict));
    const next = [line('d9', '209', '22001', 2, '2011-02-25')];
    const changes = await demandFileChanges(runs, () => build(runs, 'run-2', status(next)));
    expect(changes.removed).toBeGreaterThan(0);
    const rows = await rowsOf(runs, 'daily_demand');
    expect(new Set(rows).size).toBe(rows.length);
    await expectSameSilver(runs, await rebuilt(status([...withConflict, ...next])));
  });

  it('a stock figure for a stored day rewrites the month; one for the new day still appends', async () => {
    const runs = lakeAt('runs');
    await build(runs, 'run-1', status(history));
    const onNewDay = [{ snapshot_date: '2011-02-21', sku: '22002', on_hand: '3', on_order: '' }];
    expect((await demandFileChanges(runs, () => build(runs, 'run-2', status(newDay), onNewDay))).removed).toBe(0);
    const onStoredDay = [{ snapshot_date: '2011-02-01', sku: '22001', on_hand: '0', on_order: '' }];
    expect((await demandFileChanges(runs, () => build(runs, 'run-3', [], onStoredDay))).removed).toBeGreaterThan(0);
    await expectSameSilver(runs, await rebuilt(status([...history, ...newDay]), [...onNewDay, ...onStoredDay]));
  });
});

describe('Silver increment with netting (online-retail rules)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-append-net-'));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a stored cancellation after a new line now prefers it: the month is rewritten, as a full build nets it', async () => {
    // S's Feb 10 line (5 units) is netted by the Feb 23 cancellation; a new Feb 21 line of the same
    // customer, SKU and quantity is now the latest earlier line, so it is netted and Feb 10 is freed.
    const stored = [...history, line('c1', 'C300', '22002', -5, '2011-02-23', '14000.0')];
    const late = [line('n1', '301', '22002', 5, '2011-02-21', '14000.0')];
    const single = FileSystemLake.fromDirectory(path.join(dir, 'single'));
    await buildSilverTables(single, { runId: 'all', orders: source([...stored, ...late]) });
    const runs = FileSystemLake.fromDirectory(path.join(dir, 'runs'));
    await buildSilverTables(runs, { runId: 'run-1', orders: source(stored) });
    const changes = await demandFileChanges(runs, () => buildSilverTables(runs, { runId: 'run-2', orders: source(late) }));
    expect(changes.removed).toBeGreaterThan(0);
    const units = async (lake: FileSystemLake) =>
      Object.fromEntries(
        (await rowsOf(lake, 'daily_demand')).map((r) => {
          const row = Object.fromEntries(JSON.parse(r) as Array<[string, unknown]>);
          return [`${String(row.sku)} ${String(row.date)}`, row.units];
        }),
      );
    const expected = await units(single);
    expect(expected['22002 2011-02-10']).toBe(5);
    expect(expected['22002 2011-02-21']).toBe(0);
    expect(await units(runs)).toEqual(expected);
    await expectSameSilver(runs, single);
  });
});
