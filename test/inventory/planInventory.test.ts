import { openLakeTable } from '../../src/lib/delta';
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
});
