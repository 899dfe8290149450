/**
 * The split dashboard is written streaming: the same files as the in-memory build
 * (loadDashboardData → writeDashboardFiles) for the same lake, with the series rows of one bucket
 * of SKUs in memory at a time, whatever the fleet's size.
 */
import * as path from 'node:path';
import { loadDashboardData, writeDashboard, writeDashboardFiles } from '../../src/lib/dashboard';
import { DeltaTable } from '../../src/lib/delta/deltaTable';
import type { FixtureLake } from '../publish/lakeFixture';
import { filesOf, fleetLake } from './dashboardFixtures';

describe('streamed dashboard', () => {
  let fixture: FixtureLake;
  afterEach(async () => fixture?.cleanup());

  it('writes the same page and part files as the in-memory build', async () => {
    fixture = await fleetLake(230);
    const inMemory = await writeDashboardFiles(
      await loadDashboardData(fixture.services),
      path.join(fixture.dir, 'a', 'dashboard.html'),
      'always',
    );
    const streamed = await writeDashboard(fixture.services, {
      outputPath: path.join(fixture.dir, 'b', 'dashboard.html'),
      split: 'always',
      bucketSkus: 50,
    });
    expect(streamed.streamed).toMatchObject({ skus: 230, buckets: 5 });
    const [a, b] = [await filesOf(inMemory), await filesOf(streamed)];
    expect(Object.keys(b)).toEqual(Object.keys(a));
    expect(Object.keys(a)).toContain('chunk-00002.js');
    for (const name of Object.keys(a)) expect(`${name}: ${b[name]}`).toBe(`${name}: ${a[name]}`);
    // The newer run's forecast is current for the SKUs it has (point + 0.5), the older one's for the rest.
    expect(a['page']).toContain('"forecastRows":1610');
    expect(a['page']).toMatch(/"expectedUnits":\d/);
  });

  it('holds one bucket of SKUs’ rows at a time, the same at 2× the fleet', async () => {
    const held: number[] = [];
    for (const skus of [400, 800]) {
      fixture = await fleetLake(skus);
      const written = await writeDashboard(fixture.services, { outputPath: path.join(fixture.dir, 'dashboard.html'), bucketSkus: 100 });
      expect(written.streamed?.skus).toBe(skus);
      expect(written.streamed?.buckets).toBe(skus / 100);
      held.push(written.streamed!.maxBucketRows);
      await fixture.cleanup();
    }
    // 100 SKUs × (70 days of demand + 7 forecast days): never the fleet's 400 or 800 SKUs' rows.
    expect(held).toEqual([100 * 77, 100 * 77]);
  });

  it('reads the per-SKU tables by columns: no row decode of forecasts, metrics, actions, products or demand', async () => {
    fixture = await fleetLake(400);
    const rowReads: string[] = [];
    // Calls through; each call's `this` is the table read.
    const spy = jest.spyOn(DeltaTable.prototype, 'read');
    try {
      const written = await writeDashboard(fixture.services, { outputPath: path.join(fixture.dir, 'dashboard.html'), bucketSkus: 100 });
      expect(written.streamed?.skus).toBe(400);
    } finally {
      rowReads.push(...spy.mock.contexts.map((table) => (table as DeltaTable).path));
      spy.mockRestore();
    }
    // What may still be read row by row holds no row per SKU-day: drift events, quarantine and cancellation counts.
    const perSkuTables = ['gold/forecasts', 'gold/forecast_metrics', 'gold/inventory_actions', 'silver/products', 'silver/daily_demand'];
    expect(rowReads.some((p) => p.endsWith('gold/drift_events'))).toBe(true); // the spy sees row reads
    expect(rowReads.filter((p) => perSkuTables.some((t) => p.endsWith(t)))).toEqual([]);
  });
});
