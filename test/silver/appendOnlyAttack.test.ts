/**
 * Hostile increment sequences against the append-only month path: every sequence of runs must leave
 * Silver equal to a single build of the same lines, also when a run crashes mid-commit and is run
 * again, or runs twice at once. Each case compares with the full build (with 1 SKU bucket and with
 * one bucket per line, so the bucketed month pass is attacked too).
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { DeltaTable } from '../../src/lib/delta/deltaTable';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables } from '../../src/lib/lakeTables';
import { ruleSetByName, type RuleSet } from '../../src/lib/silver/ruleSet';
import { buildSilverTables } from '../../src/lib/silver/silverBuild';
import { seededRandom } from '../../src/lib/sample/seededRandom';
import { orders, stopAt } from './fixtures';
import { expectSameSilver, history, line, rowsOf, source, stock, withStatus } from './silverTablesCompare';

async function demandFiles(lake: FileSystemLake): Promise<Set<string>> {
  const t = DeltaTable.forPath(lake, lakeTables.daily_demand.path);
  return new Set((await t.snapshot()).files.map((f) => f.path));
}

/** How many stored daily_demand files `step` removed (0: it only appended). */
async function removedBy(lake: FileSystemLake, step: () => Promise<unknown>): Promise<number> {
  const before = await demandFiles(lake);
  await step();
  const after = await demandFiles(lake);
  return [...before].filter((f) => !after.has(f)).length;
}

/** Removes the per-file stats from every add action of a table's log (as some writers leave them out). */
async function stripStats(tableDir: string): Promise<number> {
  let stripped = 0;
  const logDir = path.join(tableDir, '_delta_log');
  const names = await fs.readdir(logDir).catch(() => [] as string[]);
  expect(names.some((n) => n.endsWith('.checkpoint.parquet'))).toBe(false);
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const file = path.join(logDir, name);
    const lines = (await fs.readFile(file, 'utf8')).split('\n').filter((l) => l.length > 0);
    const without = lines.map((l) => {
      const action = JSON.parse(l) as { add?: { stats?: string } };
      if (action.add?.stats !== undefined) {
        delete action.add.stats;
        stripped += 1;
      }
      return JSON.stringify(action);
    });
    await fs.writeFile(file, `${without.join('\n')}\n`);
  }
  return stripped;
}

describe.each([
  ['online-retail (netting on), 1 bucket', ruleSetByName('online-retail'), undefined],
  ['order-status (netting off), 1 bucket', ruleSetByName('order-status'), undefined],
  ['online-retail (netting on), a bucket per line', ruleSetByName('online-retail'), 1],
  ['order-status (netting off), a bucket per line', ruleSetByName('order-status'), 1],
])('Silver append-only attack, rules %s', (_name, ruleSet: RuleSet, linesPerBucket: number | undefined) => {
  let dir: string;
  const lakeAt = (name: string) => FileSystemLake.fromDirectory(path.join(dir, name));
  const status = (records: Array<Record<string, unknown>>) => withStatus(ruleSet, records);
  const build = (lake: FileSystemLake, runId: string, records: Array<Record<string, unknown>>, inventory?: Array<Record<string, string>>) =>
    buildSilverTables(lake, {
      runId,
      ruleSet,
      orders: source(status(records)),
      ...(inventory ? { inventory: stock(inventory) } : {}),
      ...(linesPerBucket === undefined ? {} : { linesPerBucket }),
    });
  /** Runs each increment in turn on one lake, then compares with a single build of every line in the same order. */
  /** Returns, per increment after the first, how many stored daily_demand files it removed (0: it appended). */
  const runAndCompare = async (increments: Array<Array<Record<string, unknown>>>): Promise<number[]> => {
    const runs = lakeAt('runs');
    const removed: number[] = [];
    for (const [i, records] of increments.entries()) {
      const step = () => build(runs, `run-${i + 1}`, records);
      if (i === 0) await step();
      else removed.push(await removedBy(runs, step));
    }
    await expectSameSilver(runs, await rebuilt(increments.flat()));
    return removed;
  };
  const rebuilt = async (records: Array<Record<string, unknown>>, inventory?: Array<Record<string, string>>) => {
    const single = lakeAt(`single-${Math.random().toString(36).slice(2)}`);
    await build(single, 'all', records, inventory);
    return single;
  };

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-attack-'));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('two increments each adding a day, then a late line for the first new day', async () => {
    const removed = await runAndCompare([
      history,
      [line('a1', '200', '22001', 1, '2011-02-21'), line('a2', '201', '22002', 2, '2011-02-21', '14001.0')],
      [line('b1', '210', '22001', 4, '2011-02-22'), line('b2', '211', '22003', 3, '2011-02-22')],
      [line('c1', '220', '22001', 6, '2011-02-21'), line('c2', '221', '22002', 1, '2011-02-22')],
    ]);
    expect(removed.slice(0, 2)).toEqual([0, 0]);
    expect(removed[2]).toBeGreaterThan(0);
  });

  it('one increment with a new day for some SKUs and a late line for another in the same month', async () => {
    const removed = await runAndCompare([
      history,
      [line('a1', '200', '22001', 1, '2011-02-21'), line('a2', '201', '22002', 7, '2011-02-03', '14001.0')],
    ]);
    expect(removed[0]).toBeGreaterThan(0);
  });

  it('a new SKU whose first day lies in the appended month, before the other SKUs’ new days, and runs into the next month', async () => {
    const removed = await runAndCompare([
      history,
      [
        line('n1', '200', '22009', 2, '2011-02-02'),
        line('n2', '201', '22009', 1, '2011-03-03'),
        line('a1', '202', '22001', 1, '2011-02-21'),
      ],
    ]);
    expect(removed).toEqual([0]);
  });

  it('a new line (not a re-delivery) on a SKU’s last stored day mixed with new-day lines rewrites the month', async () => {
    const runs = lakeAt('runs');
    await build(runs, 'run-1', history);
    const next = [line('a1', '200', '22001', 1, '2011-02-21'), line('x1', '201', '22001', 8, '2011-02-19'), history[5] as never];
    expect(await removedBy(runs, () => build(runs, 'run-2', next))).toBeGreaterThan(0);
    await expectSameSilver(runs, await rebuilt([...history, ...next]));
  });

  it('re-delivered lines with changed content (description, price, customer, country) are handled as a full build does', async () => {
    await runAndCompare([
      history,
      [
        line('a1', '200', '22001', 1, '2011-02-21'),
        { ...line('h3', '102', '22001', 3, '2011-02-19'), Description: 'ITEM 22001 RENAMED' },
        { ...line('h5', '104', '22002', 5, '2011-02-10', '14000.0'), UnitPrice: 3 },
        { ...line('h6', '105', '22003', 1, '2011-02-20', '15000.0') },
        { ...line('h1', '100', '22001', 5, '2011-01-10'), Country: 'France' },
      ],
    ]);
  });

  it('a re-delivery moved to another SKU (same id) on a new day', async () => {
    await runAndCompare([history, [line('h3', '102', '22002', 3, '2011-02-21'), line('a1', '200', '22001', 1, '2011-02-21')]]);
  });

  it('a duplicate line id across two SKUs in the appended month, in one run and across runs', async () => {
    await runAndCompare([
      history,
      [line('d1', '200', '22001', 1, '2011-02-21'), line('d1', '200', '22002', 2, '2011-02-21', '14001.0')],
      [line('d2', '210', '22003', 1, '2011-02-22'), line('d3', '211', '22001', 1, '2011-02-22')],
      [line('d2', '210', '22001', 1, '2011-02-23'), line('d3', '211', '22001', 1, '2011-02-22')],
    ]);
  });

  it('an increment spanning a month boundary (last day of a month and first of the next)', async () => {
    const removed = await runAndCompare([
      history,
      [line('a1', '200', '22001', 1, '2011-02-28'), line('a2', '201', '22002', 2, '2011-03-01', '14001.0')],
      [line('b1', '210', '22001', 1, '2011-03-31'), line('b2', '211', '22003', 2, '2011-04-01')],
    ]);
    expect(removed).toEqual([0, 0]);
  });

  it('exact re-deliveries of the last stored day alongside a new day on both sides of a month boundary', async () => {
    const first = [...history, line('m1', '300', '22001', 2, '2011-02-28')];
    expect(
      await runAndCompare([first, [line('m1', '300', '22001', 2, '2011-02-28'), line('m2', '301', '22001', 3, '2011-03-01')]]),
    ).toEqual([0]);
  });

  it('cancellations in an increment of new days (a new one and a re-delivered one)', async () => {
    const withCancel = [...history, line('k1', 'C150', '22002', -5, '2011-02-15', '14000.0')];
    await runAndCompare([
      withCancel,
      [line('k1', 'C150', '22002', -5, '2011-02-15', '14000.0'), line('a1', '200', '22001', 1, '2011-02-21')],
      [line('k2', 'C160', '22001', -1, '2011-02-22'), line('a2', '201', '22001', 1, '2011-02-22')],
    ]);
  });

  it('a SKU spelt another way (spaces, lower case) on a new day and on its stored last day', async () => {
    const first = [...history, line('s1', '300', '22005a', 1, '2011-02-10')];
    await runAndCompare([
      first,
      [
        { ...line('s2', '301', '22005a', 1, '2011-02-21'), StockCode: ' 22005A ' },
        { ...line('s1', '300', '22005a', 1, '2011-02-10'), StockCode: '22005A' },
      ],
    ]);
  });

  it('stored ids delivered again rejected or invalid, and a non-product line on a new day', async () => {
    await runAndCompare([
      history,
      [
        line('a1', '200', '22001', 1, '2011-02-21'),
        line('h3', '102', '22001', 0, '2011-02-19'),
        { ...line('h6', '105', '22003', 1, '2011-02-20', null), Quantity: 'x' },
        line('p1', '201', 'POST', 1, '2011-02-21'),
      ],
    ]);
  });

  it('a cancellation past every SKU’s last sale (a month no SKU is active in yet) nets a stored line, as a full build', async () => {
    const runs = lakeAt('runs');
    await build(runs, 'run-1', history);
    const cancel = [line('k1', 'C400', '22001', -3, '2011-03-01')];
    await build(runs, 'run-2', cancel);
    const expected = await rebuilt([...history, ...cancel]);
    await expectSameSilver(runs, expected);
    // Then a new day and a re-delivery of the cancellation: still one netting.
    const next = [...cancel, line('a1', '200', '22001', 1, '2011-03-02')];
    await build(runs, 'run-3', next);
    await expectSameSilver(runs, await rebuilt([...history, ...cancel, ...next]));
  });

  it('an empty increment and an increment of only re-deliveries change nothing', async () => {
    expect(await runAndCompare([history, [], history, history.slice(2)])).toEqual([0, 0, 0]);
  });

  for (const table of ['order_lines', 'cancellations', 'quarantine', 'daily_demand', 'products'] as const) {
    for (const when of ['before', 'after'] as const) {
      it(`a crash ${when} the ${table} commit of an appending run, then a re-run, equals a full build`, async () => {
        const runs = lakeAt('runs');
        await build(runs, 'run-1', history);
        const next = [
          line('a1', '200', '22001', 1, '2011-02-21'),
          line('a2', '201', '22004', 2, '2011-02-21'),
          line('q1', '202', '22001', 0, '2011-02-21'),
        ];
        stopAt(lakeTables[table].path, when);
        let crashed = false;
        await build(runs, 'run-2', next).catch((e: unknown) => {
          crashed = true;
          expect(String(e)).toMatch(/host stopped/);
        });
        jest.restoreAllMocks();
        expect(crashed).toBe(true);
        await build(runs, 'run-2', next);
        const third = [line('b1', '210', '22001', 1, '2011-02-22')];
        await build(runs, 'run-3', third);
        await expectSameSilver(runs, await rebuilt([...history, ...next, ...third]));
      });
    }
  }

  it('a crash after daily_demand’s data files are written, then the next increment (not a re-run) and then the re-run', async () => {
    const runs = lakeAt('runs');
    await build(runs, 'run-1', history);
    const next = [line('a1', '200', '22001', 1, '2011-02-21')];
    stopAt(lakeTables.daily_demand.path, 'before');
    await expect(build(runs, 'run-2', next)).rejects.toThrow(/host stopped/);
    jest.restoreAllMocks();
    await build(runs, 'run-2', next);
    const third = [line('b1', '210', '22001', 1, '2011-02-23')];
    await build(runs, 'run-3', third);
    await build(runs, 'run-2', next);
    await expectSameSilver(runs, await rebuilt([...history, ...next, ...third]));
  });

  it('the same appending increment run twice at once (then retried if one lost) equals a full build', async () => {
    const runs = lakeAt('runs');
    await build(runs, 'run-1', history);
    const next = [line('a1', '200', '22001', 1, '2011-02-21'), line('a2', '201', '22004', 2, '2011-02-21')];
    const settled = await Promise.allSettled([build(runs, 'run-2', next), build(runs, 'run-2', next)]);
    if (settled.some((s) => s.status === 'rejected')) await build(runs, 'run-2', next);
    const rows = await rowsOf(runs, 'daily_demand');
    expect(new Set(rows).size).toBe(rows.length);
    await expectSameSilver(runs, await rebuilt([...history, ...next]));
  });

  it('two different appending increments at once (then retried if one lost) equal a full build', async () => {
    const runs = lakeAt('runs');
    await build(runs, 'run-1', history);
    const a = [line('a1', '200', '22001', 1, '2011-02-21')];
    const b = [line('b1', '210', '22002', 2, '2011-02-22', '14001.0')];
    const settled = await Promise.allSettled([build(runs, 'run-a', a), build(runs, 'run-b', b)]);
    if (settled[0].status === 'rejected') await build(runs, 'run-a', a);
    if (settled[1].status === 'rejected') await build(runs, 'run-b', b);
    await expectSameSilver(runs, await rebuilt([...history, ...a, ...b]));
  });

  it('stored files without stats (a writer that records none): an exact re-delivery and a new day append, a late line rewrites, as a full build', async () => {
    const runs = lakeAt('runs');
    await build(runs, 'run-1', history);
    for (const table of ['daily_demand', 'order_lines'] as const)
      expect(await stripStats(path.join(dir, 'runs', lakeTables[table].path))).toBeGreaterThan(0);
    const next = [line('a1', '200', '22001', 1, '2011-02-21'), history[2] as never];
    expect(await removedBy(runs, () => build(runs, 'run-2', next))).toBe(0);
    const late = [line('b1', '201', '22003', 2, '2011-02-20'), line('c1', '210', '22001', 1, '2011-02-22')];
    expect(await removedBy(runs, () => build(runs, 'run-3', late))).toBeGreaterThan(0);
    await expectSameSilver(runs, await rebuilt([...history, ...next, ...late]));
  });

  it('a stock figure for the last stored day with new-day lines', async () => {
    const runs = lakeAt('runs');
    await build(runs, 'run-1', history);
    const next = [line('a1', '200', '22001', 1, '2011-02-21')];
    const inv = [{ snapshot_date: '2011-02-19', sku: '22001', on_hand: '4', on_order: '' }];
    await build(runs, 'run-2', next, inv);
    await expectSameSilver(runs, await rebuilt([...history, ...next], inv));
  });
});

describe.each([
  ['online-retail (netting on), 1 bucket', ruleSetByName('online-retail'), undefined],
  ['order-status (netting off), 1 bucket', ruleSetByName('order-status'), undefined],
  ['online-retail (netting on), buckets of 150 lines', ruleSetByName('online-retail'), 150],
])(
  'Silver increments of the four-month fixture cut at day boundaries, rules %s',
  (_name, ruleSet: RuleSet, linesPerBucket: number | undefined) => {
    let dir: string;
    beforeEach(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-attack-cut-'));
    });
    afterEach(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    it('the bulk, then the last eight days one run each, each re-delivering some lines of the one before, shuffled, equal a full build', async () => {
      const next = seededRandom(11);
      const withStatus = (r: Record<string, unknown>) =>
        ruleSet.document.name === 'order-status' ? { ...r, Status: Number(r.Quantity) < 0 ? 'cancelled' : 'placed' } : r;
      const all = orders()
        .map(withStatus)
        .sort((x, y) => String(x.InvoiceDate).localeCompare(String(y.InvoiceDate)));
      // The bulk, then the last eight days one run each (cut at day boundaries, so the append path is taken).
      const dayOf = (r: Record<string, unknown>) => String(r.InvoiceDate).slice(0, 10);
      const days = [...new Set(all.map(dayOf))];
      const lastDays = days.slice(-8);
      const increments: Array<Array<Record<string, unknown>>> = [all.filter((r) => dayOf(r) < (lastDays[0] as string))];
      for (const day of lastDays) {
        const before = increments[increments.length - 1] as Array<Record<string, unknown>>;
        const overlap = before.slice(-Math.floor(next() * 15));
        increments.push([...overlap, ...all.filter((r) => dayOf(r) === day)].sort(() => next() - 0.5));
      }
      const build = (lake: FileSystemLake, runId: string, records: unknown[]) =>
        buildSilverTables(lake, { runId, ruleSet, orders: source(records), ...(linesPerBucket === undefined ? {} : { linesPerBucket }) });
      const runs = FileSystemLake.fromDirectory(path.join(dir, 'runs'));
      await build(runs, 'run-0', increments[0] as unknown[]);
      let appended = 0;
      for (const [i, records] of increments.slice(1).entries())
        if ((await removedBy(runs, () => build(runs, `run-${i + 1}`, records))) === 0) appended += 1;
      const single = FileSystemLake.fromDirectory(path.join(dir, 'single'));
      await build(single, 'all', increments.flat());
      await expectSameSilver(runs, single);
      // The append path was taken (with netting, only by runs whose cancellations are all re-deliveries).
      expect(appended).toBeGreaterThan(0);
    });
  },
);
