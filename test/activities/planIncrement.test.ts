import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSettings } from '../../src/lib/config/settings';
import { openLakeTable } from '../../src/lib/delta';
import type { DeltaRow } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import type { LakeStore } from '../../src/lib/lake/lakeStore';
import { planForecast } from '../../src/activities/planForecast';
import type { PipelineServices } from '../../src/lib/pipelineServices';
import { planBatchRefs } from '../../src/contracts/skuBatches';
import type { PlanForecastOutput } from '../../src/contracts/messages';
import { lakeTables } from '../../src/lib/lakeTables';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { adapterFactories } from '../../src/composition/services';

const def = lakeTables.daily_demand;
const dayMs = 86_400_000;
const iso = (n: number): string => new Date(n * dayMs).toISOString().slice(0, 10);
const dayOf = (date: string): number => Math.round(Date.parse(`${date}T00:00:00Z`) / dayMs);

function row(sku: string, date: string, units: number, onHand: number | null = null): DeltaRow {
  return {
    sku,
    date,
    units,
    revenue: units,
    orders: units > 0 ? 1 : 0,
    customers: units > 0 ? 1 : 0,
    on_hand: onHand,
    stockout: onHand === 0,
    month: date.slice(0, 7),
  };
}

/** Every day from `from` to `to` of a SKU, units by day number. */
function span(sku: string, from: string, to: string, units: (day: number) => number, onHand?: (day: number) => number | null): DeltaRow[] {
  const out: DeltaRow[] = [];
  for (let d = dayOf(from); d <= dayOf(to); d++) out.push(row(sku, iso(d), units(d), onHand ? onHand(d) : null));
  return out;
}

const month = (m: string, rows: DeltaRow[]) => rows.filter((r) => r['month'] === m);

describe('planForecast on an increment reads only the months Silver changed', () => {
  let dir: string;
  let services: PipelineServices & { logs: string[] };
  let reads: string[];
  let history: DeltaRow[];

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'plan-increment-'));
    reads = [];
    const inner: LakeStore = FileSystemLake.fromDirectory(path.join(dir, 'lake'));
    const lake = Object.assign(Object.create(inner) as LakeStore, {
      read: async (p: string, o?: { abortSignal?: AbortSignal }) => {
        reads.push(p);
        return inner.read(p, o);
      },
    });
    const logs: string[] = [];
    services = {
      settings: loadSettings({ DEMAND_LAKE_DIR: path.join(dir, 'lake') }),
      lake,
      entities: EmbeddedEntityStore.fromDirectory(path.join(dir, 'state')),
      log: (m) => logs.push(m),
      logs,
      adapters: adapterFactories,
    };
    history = [
      ...span(
        'A',
        '2011-01-05',
        '2011-03-30',
        (d) => 3 + (d % 7),
        (d) => (d % 10 === 0 ? 40 - (d % 30) : null),
      ),
      ...span('B', '2011-02-10', '2011-03-30', (d) => (d % 4 === 0 ? 2 : 0)),
      ...span(
        'C',
        '2011-01-01',
        '2011-03-30',
        (d) => (d < dayOf('2011-02-01') ? 1 : 0),
        (d) => (d === dayOf('2011-01-20') ? 7 : null),
      ),
      ...span('OLD', '2009-11-01', '2009-12-15', () => 1), // last sale over a year before the end: left out
    ];
    await write(history, 'append');
  });

  afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

  async function write(rows: DeltaRow[], mode: 'append' | 'overwritePartitions'): Promise<void> {
    await openLakeTable(services.lake, def).write(rows, { schema: def.schema, partitionBy: def.partitionBy, mode });
  }

  const plan = (runId: string, fromScratch = false) =>
    planForecast(
      { runId, runDate: '2011-04-01', startedAt: '2011-04-01T02:00:00.000Z', dailyDemandVersion: -1, batchSize: 2 },
      services,
      fromScratch ? { fromScratch } : {},
    );

  async function batchesOf(runId: string, out: PlanForecastOutput): Promise<unknown[]> {
    const batches: unknown[] = [];
    for (const ref of planBatchRefs(runId, out))
      batches.push({ ...(JSON.parse((await services.lake.read(ref.path)).toString('utf8')) as Record<string, unknown>), runId: '' });
    return batches;
  }

  async function expectSameAsScratch(runId: string, out: PlanForecastOutput): Promise<void> {
    const scratch = await plan(`${runId}-scratch`, true);
    expect(out).toEqual(scratch);
    expect(await batchesOf(runId, out)).toEqual(await batchesOf(`${runId}-scratch`, scratch));
  }

  const dataReads = () => reads.filter((p) => p.startsWith(`${def.path}/`) && p.endsWith('.parquet'));

  /** The table's data files now (lake paths). */
  async function dataFiles(): Promise<Set<string>> {
    const root = path.join(dir, 'lake');
    const entries = await fs.readdir(path.join(root, def.path), { recursive: true });
    return new Set(entries.filter((e) => e.endsWith('.parquet')).map((e) => `${def.path}/${e.split(path.sep).join('/')}`));
  }

  /** A plan from scratch of the same run id on a copy of the lake (the chain of increments keeps its own latest plan). */
  async function expectSameAsScratchOnCopy(runId: string, out: PlanForecastOutput): Promise<void> {
    const copy = path.join(dir, `copy-${runId}`);
    await fs.cp(path.join(dir, 'lake'), copy, { recursive: true });
    const lake = FileSystemLake.fromDirectory(copy);
    const other = {
      ...services,
      lake,
      entities: EmbeddedEntityStore.fromDirectory(path.join(dir, `state-${runId}`)),
      log: () => undefined,
    };
    const input = { runId, runDate: '2011-04-01', startedAt: '2011-04-01T02:00:00.000Z', dailyDemandVersion: -1, batchSize: 2 };
    const scratch = await planForecast(input, other, { fromScratch: true });
    expect(out).toEqual(scratch);
    const batches = async (l: LakeStore) => {
      const all: unknown[] = [];
      for (const ref of planBatchRefs(runId, out)) all.push(JSON.parse((await l.read(ref.path)).toString('utf8')));
      return all;
    };
    expect(await batches(services.lake)).toEqual(await batches(lake));
  }

  it('day after day appended: each increment reads only the data files added since the last plan, and equals a full plan', async () => {
    await plan('run-1');
    // Day by day as Silver's increment appends them (new files in the month, none removed), with a
    // new SKU, on-hand observations, a stockout, a month rewritten in between and a new month.
    const days: Array<{ rows: DeltaRow[]; mode: 'append' | 'overwritePartitions' }> = [
      { rows: [row('A', '2011-03-31', 9, 12), row('B', '2011-03-31', 1), row('NEW', '2011-03-31', 2)], mode: 'append' },
      { rows: [row('A', '2011-04-01', 4), row('C', '2011-04-01', 0, 0), row('NEW', '2011-04-01', 0, 5)], mode: 'append' },
      { rows: [row('A', '2011-04-02', 0, 0), row('B', '2011-04-02', 3, 8)], mode: 'append' },
      {
        // April rewritten: A's units of the 1st corrected.
        rows: [
          row('A', '2011-04-01', 5),
          row('C', '2011-04-01', 0, 0),
          row('NEW', '2011-04-01', 1, 5),
          row('A', '2011-04-02', 0, 0),
          row('B', '2011-04-02', 3, 8),
        ],
        mode: 'overwritePartitions',
      },
      { rows: [row('A', '2011-04-03', 2, 6), row('NEW', '2011-04-03', 7)], mode: 'append' },
    ];
    let k = 1;
    for (const day of days) {
      const before = await dataFiles();
      await write(day.rows, day.mode);
      const added = [...(await dataFiles())].filter((f) => !before.has(f)).sort();
      reads.length = 0;
      const runId = `run-${++k}`;
      const out = await plan(runId);
      expect(services.logs.at(-1)).toMatch(new RegExp(`from daily_demand v${k - 1} \\(months .*, the rest from plan run-${k - 1} `));
      if (day.mode === 'append') {
        // The failing case: any data file an earlier plan read is read again.
        expect([...new Set(dataReads())].sort()).toEqual(added);
        expect(services.logs.at(-1)).toMatch(/the files added to 2011-0[34]/);
      } else {
        expect(dataReads().every((p) => p.includes('/month=2011-04/'))).toBe(true);
        expect(services.logs.at(-1)).toMatch(/months 2011-04, the rest/);
      }
      await expectSameAsScratchOnCopy(runId, out);
    }
    expect(services.logs.join('\n')).not.toMatch(/read in full/);
  });

  it('a row added on a day the base plan already has (no append): read in full, logged, same batches', async () => {
    await plan('run-1');
    await write([row('A', '2011-03-15', 99)], 'append');
    const next = await plan('run-2');
    expect(services.logs.join('\n')).toMatch(
      /read in full, not from plan run-1: SKU A: a row added on 2011-03-15 lies on a day the base plan already has/,
    );
    await expectSameAsScratch('run-2', next);
  });

  it('one more day in the last month: only that month’s files are read, and the batches equal a plan from scratch', async () => {
    const first = await plan('run-1');
    expect(first).toMatchObject({ skuCount: 3, inactiveSkus: 1 });
    // Silver's increment: March recomputed with the 31st and a new SKU.
    const march = [
      ...month('2011-03', history),
      row('A', '2011-03-31', 9, 12),
      row('B', '2011-03-31', 1),
      ...span('NEW', '2011-03-20', '2011-03-31', () => 2),
    ];
    await write(march, 'overwritePartitions');
    reads.length = 0;
    const next = await plan('run-2');
    expect(next).toMatchObject({ skuCount: 4, inactiveSkus: 1 });
    expect(dataReads().length).toBeGreaterThan(0);
    expect(dataReads().every((p) => p.includes('/month=2011-03/'))).toBe(true);
    expect(services.logs.join('\n')).toMatch(/months 2011-03, the rest from plan run-1/);
    await expectSameAsScratch('run-2', next);
    // The next day again starts from run-2's plan (the latest), still one month read.
    await write([row('A', '2011-04-01', 4)], 'append');
    reads.length = 0;
    const third = await plan('run-3');
    expect(dataReads().every((p) => p.includes('/month=2011-04/'))).toBe(true);
    await expectSameAsScratch('run-3', third);
  });

  it('an increment never reads the base plan’s JSON batches: only its summary, its series files and the changed month', async () => {
    await plan('run-1');
    await write([...month('2011-03', history), row('A', '2011-03-31', 9, 12), row('B', '2011-03-31', 1)], 'overwritePartitions');
    reads.length = 0;
    const next = await plan('run-2');
    expect(services.logs.join('\n')).toMatch(/months 2011-03, the rest from plan run-1/);
    const ofRun1 = reads.filter((p) => p.startsWith('runs/run-1/'));
    expect(ofRun1.filter((p) => p.startsWith('runs/run-1/batches/'))).toEqual([]);
    expect(ofRun1).toEqual([
      'runs/run-1/plan/state.json',
      'runs/run-1/plan/series/batch-00000.bin',
      'runs/run-1/plan/series/batch-00001.bin',
    ]);
    await expectSameAsScratch('run-2', next);
  });

  it('the base plan’s series files gone or damaged: read in full, logged, same batches', async () => {
    await plan('run-1');
    await write([row('A', '2011-03-31', 9, 12)], 'append');
    await services.lake.delete('runs/run-1/plan/series/batch-00001.bin');
    const next = await plan('run-2');
    expect(services.logs.join('\n')).toMatch(
      /read in full, not from plan run-1: the base plan's series file runs\/run-1\/plan\/series\/batch-00001.bin is not in the lake/,
    );
    await expectSameAsScratch('run-2', next);
    // The latest plan (run-2-scratch, of the check above) left its own series; damage one: read in full again.
    await write([row('A', '2011-04-01', 2)], 'append');
    await services.lake.put('runs/run-2-scratch/plan/series/batch-00000.bin', Buffer.from('not a series file'));
    const third = await plan('run-3');
    expect(services.logs.join('\n')).toMatch(
      /read in full, not from plan run-2-scratch: series file runs\/run-2-scratch\/plan\/series\/batch-00000.bin is not a series file/,
    );
    await expectSameAsScratch('run-3', third);
  });

  it('a changed month that no longer holds a SKU’s last sale: read in full (its earlier sales are not in the summary), same batches', async () => {
    await plan('run-1');
    // March rewritten: B's sales in March gone (its last sale was there), A unchanged.
    await write(
      month('2011-03', history).map((r) => (r['sku'] === 'B' ? { ...r, units: 0, orders: 0, customers: 0, revenue: 0 } : r)),
      'overwritePartitions',
    );
    const next = await plan('run-2');
    expect(services.logs.join('\n')).toMatch(/read in full, not from plan run-1: SKU B: its last sale's month changed/);
    await expectSameAsScratch('run-2', next);
  });

  it('a base state of the older format (no series files) is not used: read in full, logged', async () => {
    await plan('run-1');
    const state = JSON.parse((await services.lake.read('runs/run-1/plan/state.json')).toString('utf8')) as Record<string, unknown>;
    await services.lake.put('runs/run-1/plan/state.json', Buffer.from(JSON.stringify({ ...state, format: undefined, planned: { A: -1 } })));
    await write([row('A', '2011-03-31', 9, 12)], 'append');
    const next = await plan('run-2');
    expect(services.logs.join('\n')).toMatch(/read in full: plan run-1's state is of an older format/);
    await expectSameAsScratch('run-2', next);
  });

  it('a changed month that no longer holds a SKU’s first day or latest on-hand day: read in full, same batches', async () => {
    await plan('run-1');
    // January rewritten without A (A's first day and C's on-hand day are in January).
    await write(
      month('2011-01', history).filter((r) => r['sku'] !== 'A' && !(r['sku'] === 'C' && r['on_hand'] !== null)),
      'overwritePartitions',
    );
    const next = await plan('run-2');
    expect(services.logs.join('\n')).toMatch(/read in full, not from plan run-1: SKU (A|C)/);
    await expectSameAsScratch('run-2', next);
  });

  it('a SKU the base plan left out sells again: read in full (its history is not in the base), and it is planned', async () => {
    await plan('run-1');
    await write([row('OLD', '2011-03-31', 5)], 'append');
    const next = await plan('run-2');
    expect(services.logs.join('\n')).toMatch(/SKU OLD, left out of the base plan, sold again/);
    expect(next.skuCount).toBe(4);
    await expectSameAsScratch('run-2', next);
  });

  it('plans of chosen SKUs read in full and leave the whole-fleet base as it was', async () => {
    await plan('run-1');
    const only = await planForecast(
      { runId: 'run-http', runDate: '2011-04-01', startedAt: 'x', dailyDemandVersion: -1, batchSize: 2, skus: ['B'] },
      services,
    );
    expect(only.skuCount).toBe(1);
    await write([row('A', '2011-03-31', 5)], 'append');
    reads.length = 0;
    await plan('run-2');
    expect(services.logs.join('\n')).toMatch(/the rest from plan run-1/);
  });
});
