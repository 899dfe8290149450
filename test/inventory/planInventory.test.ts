import { openLakeTable } from '../../src/lib/delta';
import { planInventoryRows } from '../../src/lib/inventory';
import { planInventory } from '../../src/activities/planInventory';
import { lakeTables } from '../../src/lib/lakeTables';
import { createFixtureLake, fixtureOrigin, fixtureRunId, type FixtureLake } from '../publish/lakeFixture';

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
});
