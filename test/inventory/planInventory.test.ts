import { openLakeTable } from '../../src/lib/delta';
import { planInventoryRows } from '../../src/lib/inventory';
import { planInventory } from '../../src/activities/planInventory';
import { lakeTables } from '../../src/lib/lakeTables';
import type { DeltaRow } from '../../src/lib/delta/types';
import { createFixtureLake, fixtureOrigin, fixtureRows, fixtureRunId, writeFixtureTable, type FixtureLake } from '../publish/lakeFixture';

describe('planInventory activity', () => {
  let fixture: FixtureLake;
  beforeAll(async () => {
    fixture = await createFixtureLake({
      tables: ['forecasts', 'daily_demand', 'inventory_snapshots'],
      settings: { DEMAND_SERVICE_LEVEL: '0.9', DEMAND_LEAD_TIME_DAYS: '5', DEMAND_REVIEW_PERIOD_DAYS: '7' },
    });
  });
  afterAll(() => fixture.cleanup());

  const input = { runId: fixtureRunId, runDate: fixtureOrigin, startedAt: `${fixtureOrigin}T02:00:00Z` };

  it('writes one Gold row per SKU of the run with the policy from settings, and re-running replaces them', async () => {
    const first = await planInventory(input, fixture.services);
    expect(first.skus).toBe(3);
    const table = openLakeTable(fixture.services.lake, lakeTables.inventory_actions);
    const rows = await table.readAll();
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row).toMatchObject({ run_id: fixtureRunId, as_of: fixtureOrigin, service_level: 0.9, lead_time_days: 5 });
      expect(['reorder_now', 'watch', 'ok', 'no_stock_data']).toContain(row.action);
      expect(Number(row.reorder_point)).toBeGreaterThanOrEqual(Number(row.safety_stock));
    }
    // The stock comes from the newest observation at or before the origin: daily demand on the
    // origin itself is newer than the snapshot three days before.
    const daily = await openLakeTable(fixture.services.lake, lakeTables.daily_demand).readAll();
    for (const row of rows) {
      const latest = daily.find((d) => d.sku === row.sku && d.date === fixtureOrigin);
      expect(row.on_hand).toBe(latest?.on_hand);
    }
    expect(first.reorderSuggested).toBe(rows.filter((r) => r.action === 'reorder_now').length);

    const second = await planInventory(input, fixture.services);
    expect(second).toEqual(first);
    const again = await table.readAll();
    expect(again).toHaveLength(3);
    expect(again.map((r) => r.sku).sort()).toEqual(rows.map((r) => r.sku).sort());
  });

  it("reads only the run's forecast files (each twice: origins, then rows) and each Silver file once", async () => {
    const withOlder = await createFixtureLake({
      tables: ['forecasts', 'daily_demand', 'inventory_snapshots'],
      settings: { DEMAND_SERVICE_LEVEL: '0.9', DEMAND_LEAD_TIME_DAYS: '5', DEMAND_REVIEW_PERIOD_DAYS: '7' },
    });
    try {
      // An earlier run's forecasts in the same table: the run's plan must not read them.
      await writeFixtureTable(
        withOlder.services,
        'forecasts',
        fixtureRows().forecasts!.map((r) => ({ ...r, run_id: 'run-older' })),
      );
      const lake = withOlder.services.lake;
      const reads: string[] = [];
      const spy = Object.create(lake) as typeof lake;
      spy.read = (p, o) => (reads.push(p), lake.read(p, o));
      const summary = await planInventory(input, { ...withOlder.services, lake: spy });
      const times = new Map<string, number>();
      for (const p of reads.filter((r) => !r.includes('_delta_log'))) times.set(p, (times.get(p) ?? 0) + 1);
      const of = (prefix: string) => [...times].filter(([p]) => p.startsWith(prefix)).map(([p, n]) => `${p}: ${n}`);
      expect(of('gold/forecasts/run_id=run-older/')).toEqual([]);
      const own = of(`gold/forecasts/run_id=${fixtureRunId}/`);
      expect(own.length).toBeGreaterThan(0);
      expect(own).toEqual(own.map((line) => line.replace(/: \d+$/, ': 2')));
      const silver = [...of('silver/daily_demand/'), ...of('silver/inventory_snapshots/')];
      expect(silver.length).toBeGreaterThan(1);
      expect(silver).toEqual(silver.map((line) => line.replace(/: \d+$/, ': 1')));
      expect(summary).toEqual(await planInventory(input, fixture.services));
    } finally {
      await withOlder.cleanup();
    }
  });

  it('plans the same rows whether forecasts spill one SKU per bucket every 2 rows or all in one bucket', async () => {
    const table = openLakeTable(fixture.services.lake, lakeTables.inventory_actions);
    const bySku = (rows: Array<Record<string, unknown>>) => [...rows].sort((a, b) => String(a.sku).localeCompare(String(b.sku)));
    const whole = await planInventory(input, fixture.services);
    const wholeRows = bySku(await table.readAll());
    const split = await planInventory(input, fixture.services, { bucketSkus: 1, spillRows: 2 });
    expect(split).toEqual(whole);
    const splitRows = bySku(await table.readAll());
    expect(splitRows).toEqual(wholeRows);
    // The same as the in-memory planner over every row at once (what the activity did before it spilled).
    const read = (name: 'forecasts' | 'daily_demand' | 'inventory_snapshots') =>
      openLakeTable(fixture.services.lake, lakeTables[name]).readAll();
    const inMemory = planInventoryRows(
      fixtureRunId,
      await read('forecasts'),
      await read('daily_demand'),
      await read('inventory_snapshots'),
      {
        serviceLevel: 0.9,
        leadTimeDays: 5,
        reviewPeriodDays: 7,
      },
    );
    expect(splitRows).toEqual(bySku(inMemory.rows));
    expect(split).toEqual(inMemory.summary);
  });

  it('writes the actions out in chunks of actionRowsPerFile rows (one data file each), the same rows as in one file', async () => {
    const table = openLakeTable(fixture.services.lake, lakeTables.inventory_actions);
    const bySku = (rows: Array<Record<string, unknown>>) => [...rows].sort((a, b) => String(a.sku).localeCompare(String(b.sku)));
    const filesOfRun = async () =>
      [...(await table.state()).files.values()].filter((add) => add.partitionValues?.['run_id'] === fixtureRunId).length;
    const whole = await planInventory(input, fixture.services);
    const wholeRows = bySku(await table.readAll());
    expect(await filesOfRun()).toBe(1);
    const chunked = await planInventory(input, fixture.services, { bucketSkus: 1, actionRowsPerFile: 1 });
    expect(chunked).toEqual(whole);
    expect(await filesOfRun()).toBe(3);
    expect(bySku(await table.readAll())).toEqual(wholeRows);
  });

  describe('the daily mean: expected units where the lake has them, the point on a lake that predates the column', () => {
    const settings = { DEMAND_SERVICE_LEVEL: '0.9', DEMAND_LEAD_TIME_DAYS: '5', DEMAND_REVIEW_PERIOD_DAYS: '7' };
    const policy = { serviceLevel: 0.9, leadTimeDays: 5, reviewPeriodDays: 7 };
    const fixtures: FixtureLake[] = [];
    afterAll(() => Promise.all(fixtures.map((f) => f.cleanup())));

    /** A lake with Silver stock and `forecasts` written as given (its schema and rows). */
    async function lakeWith(forecasts: DeltaRow[], withExpectedColumn: boolean): Promise<FixtureLake> {
      const f = await createFixtureLake({ tables: ['daily_demand', 'inventory_snapshots'], settings });
      fixtures.push(f);
      const def = lakeTables.forecasts;
      const fields = withExpectedColumn ? def.schema.fields : def.schema.fields.filter((field) => field.name !== 'expected');
      await openLakeTable(f.services.lake, def).write(forecasts, { schema: { fields }, partitionBy: def.partitionBy, mode: 'append' });
      return f;
    }
    const actionsOf = async (f: FixtureLake) =>
      [...(await openLakeTable(f.services.lake, lakeTables.inventory_actions).readAll())].sort((a, b) =>
        String(a.sku).localeCompare(String(b.sku)),
      );
    const silver = (f: FixtureLake, name: 'daily_demand' | 'inventory_snapshots') =>
      openLakeTable(f.services.lake, lakeTables[name]).readAll();

    it('a lake whose forecasts table has no expected column still plans, on the point', async () => {
      const rows = fixtureRows().forecasts!.map(({ expected: _expected, ...row }) => row);
      const old = await lakeWith(rows, false);
      const schema = (await openLakeTable(old.services.lake, lakeTables.forecasts).snapshot()).schema.fields.map((field) => field.name);
      expect(schema).not.toContain('expected');
      const logs: string[] = [];
      const summary = await planInventory(input, { ...old.services, log: (m) => logs.push(m) }, { bucketSkus: 1, spillRows: 5 });
      expect(summary.skus).toBe(3);
      const planned = await actionsOf(old);
      expect(planned).toHaveLength(3);
      const onPoint = planInventoryRows(
        fixtureRunId,
        rows,
        await silver(old, 'daily_demand'),
        await silver(old, 'inventory_snapshots'),
        policy,
      );
      expect(onPoint.actions.every((a) => a.meanSource === 'point')).toBe(true);
      expect(planned).toEqual(onPoint.rows);
      expect(logs.join('\n')).toMatch(/from the point for 3 \(the forecasts table predates the expected column\)/);
    });

    it('a lake with expected above the point plans reorder points on Σ expected, higher than on the point', async () => {
      // Skewed demand: the point (a median) is 60% of the expected units every day.
      const rows: DeltaRow[] = fixtureRows().forecasts!.map((row) => ({ ...row, point: 0.6 * Number(row.expected) }));
      const lake = await lakeWith(rows, true);
      await planInventory(input, lake.services);
      const planned = await actionsOf(lake);
      const daily = await silver(lake, 'daily_demand');
      const snapshots = await silver(lake, 'inventory_snapshots');
      const onExpected = planInventoryRows(fixtureRunId, rows, daily, snapshots, policy);
      expect(onExpected.actions.every((a) => a.meanSource === 'expected')).toBe(true);
      expect(planned).toEqual(onExpected.rows);
      const withoutExpected = rows.map(({ expected: _expected, ...row }) => row);
      const onPoint = planInventoryRows(fixtureRunId, withoutExpected, daily, snapshots, policy);
      for (const [i, row] of planned.entries()) {
        const action = onExpected.actions[i]!;
        // ROP = Σ expected over the 5-day lead time + safety stock (σ from q05–q95, unchanged).
        const sumExpected = rows.filter((r) => r.sku === row.sku && Number(r.step) <= 5).reduce((sum, r) => sum + Number(r.expected), 0);
        expect(action.leadTimeDemand).toBeCloseTo(sumExpected, 9);
        expect(Number(row.reorder_point)).toBeCloseTo(sumExpected + Number(row.safety_stock), 1);
        expect(Number(row.reorder_point)).toBeGreaterThan(Number(onPoint.rows[i]!.reorder_point));
      }
    });
  });
});
