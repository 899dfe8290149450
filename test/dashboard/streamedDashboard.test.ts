/**
 * The split dashboard is written streaming: the same files as the in-memory build
 * (loadDashboardData → writeDashboardFiles) for the same lake, with the series rows of one bucket
 * of SKUs in memory at a time, whatever the fleet's size.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DeltaRow } from '../../src/lib/delta/types';
import { loadDashboardData, writeDashboard, writeDashboardFiles } from '../../src/lib/dashboard';
import { recordRunCompleted } from '../../src/lib/publish/runCompletions';
import { createFixtureLake, writeFixtureTable, type FixtureLake } from '../publish/lakeFixture';

const origin = '2011-12-09';
const day = (offset: number): string => new Date(Date.parse(`${origin}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);

/** `skus` SKUs with 70 days of demand, two runs of 7-day forecasts (the newer one for every other SKU), metrics and actions. */
async function fleetLake(skus: number): Promise<FixtureLake> {
  const fixture = await createFixtureLake({ tables: [] });
  const daily: DeltaRow[] = [];
  const forecasts: DeltaRow[] = [];
  const metrics: DeltaRow[] = [];
  const actions: DeltaRow[] = [];
  const products: DeltaRow[] = [];
  for (let k = 0; k < skus; k++) {
    const sku = `S${String(k).padStart(6, '0')}`;
    for (let i = -69; i <= 0; i++) {
      const date = day(i);
      daily.push({
        sku,
        date,
        units: (k * 7 + i * i) % 11,
        revenue: 1,
        orders: 1,
        customers: 1,
        on_hand: i > -3 ? k % 13 : null,
        stockout: false,
        month: date.slice(0, 7),
      });
    }
    for (const run of k % 2 === 0 ? ['run-old', 'run-new'] : ['run-old']) {
      for (let step = 1; step <= 7; step++) {
        const point = ((k + step) % 9) + (run === 'run-new' ? 0.5 : 0);
        forecasts.push({
          run_id: run,
          sku,
          origin_date: origin,
          target_date: day(step),
          step,
          point,
          q05: point / 2,
          q25: point * 0.8,
          q50: point,
          q75: point * 1.2,
          q95: point * 2,
          expected: point + 0.25,
          model: k % 3 === 0 ? 'tsb' : 'mstl_ets',
        });
      }
      metrics.push({
        run_id: run,
        sku,
        model: 'mstl_ets',
        segment: 'smooth',
        demand_class: 'smooth',
        mase: (k % 17) / 8,
        wape: 0.3,
        smape: 0.3,
        bias: 0.01,
        coverage90: 0.9,
        pinball: 1,
        abs_err: k % 5,
        abs_actual: 10,
        windows: 3,
        fallback_reason: null,
      });
      actions.push({
        run_id: run,
        sku,
        as_of: origin,
        on_hand: k % 13,
        days_of_cover: k % 13,
        stockout_date: k % 4 === 0 ? day(3) : null,
        safety_stock: 2,
        reorder_point: 5,
        order_qty: k % 6,
        action: ['reorder_now', 'watch', 'ok', 'no_stock_data'][k % 4]!,
        lead_time_days: 7,
        service_level: 0.95,
      });
    }
    products.push({
      sku,
      description: `PRODUCT <${k}>`,
      first_sale_date: day(-69),
      last_sale_date: origin,
      total_units: 10,
      order_lines: 10,
    });
  }
  await writeFixtureTable(fixture.services, 'daily_demand', daily);
  await writeFixtureTable(
    fixture.services,
    'forecasts',
    forecasts.filter((r) => r.run_id === 'run-old'),
  );
  await writeFixtureTable(
    fixture.services,
    'forecasts',
    forecasts.filter((r) => r.run_id === 'run-new'),
  );
  await writeFixtureTable(fixture.services, 'forecast_metrics', metrics);
  await writeFixtureTable(fixture.services, 'inventory_actions', actions);
  await writeFixtureTable(fixture.services, 'products', products);
  for (const runId of ['run-old', 'run-new'])
    await recordRunCompleted(fixture.services.lake, {
      runId,
      completedAt: `${origin}T0${runId === 'run-old' ? 1 : 2}:00:00Z`,
      mode: 'batch',
    });
  return fixture;
}

/** The page and its part files, with the run-to-run differences (generation time, parts folder name) blanked. */
async function filesOf(written: { path: string; partsDir?: string }): Promise<Record<string, string>> {
  const blank = (text: string) =>
    text
      .replace(/"generatedAt":"[^"]*"/g, '"generatedAt":"-"')
      .replace(/Generated [^<]* from/g, 'Generated - from')
      .replace(/_files-[0-9a-f]{8}/g, '_files-x');
  const out: Record<string, string> = { page: blank(await fs.readFile(written.path, 'utf8')) };
  // view.json and view-<table>.json record what the build read (for the next publish); the page never loads them.
  for (const name of (await fs.readdir(written.partsDir!)).sort())
    if (!/^view(-[a-z_]+)?\.json$/.test(name)) out[name] = await fs.readFile(path.join(written.partsDir!, name), 'utf8');
  return out;
}

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
});
