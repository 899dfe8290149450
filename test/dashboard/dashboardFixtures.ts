/**
 * Dashboard test fixtures: a constructed fleet lake of two runs, a writer of rows that fills the
 * columns a test does not care about, and the page and part files of a written dashboard with the
 * run-to-run differences blanked (for comparing two builds).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { openLakeTable } from '../../src/lib/delta';
import type { DeltaRow } from '../../src/lib/delta/types';
import { lakeTables, type LakeTableName } from '../../src/lib/lakeTables';
import { recordRunCompleted } from '../../src/lib/publish/runCompletions';
import { createFixtureLake, writeFixtureTable, type FixtureLake } from '../publish/lakeFixture';

export const origin = '2011-12-09';
export const day = (offset: number): string => new Date(Date.parse(`${origin}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);

/** `skus` SKUs with 70 days of demand, two runs of 7-day forecasts (the newer one for every other SKU), metrics and actions. */
export async function fleetLake(skus: number): Promise<FixtureLake> {
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
export async function filesOf(written: { path: string; partsDir?: string }): Promise<Record<string, string>> {
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

/** Writes rows with every column the table's schema has (those a test does not care about: null, or a neutral value when not nullable). */
export async function writeCompleteRows(
  services: FixtureLake['services'],
  name: LakeTableName,
  rows: DeltaRow[],
  mode: 'append' | 'overwrite' = 'append',
): Promise<void> {
  const neutral = (type: unknown) =>
    type === 'string' ? '' : type === 'boolean' ? false : type === 'timestamp' || type === 'date' ? origin : 0;
  const fields = lakeTables[name].schema.fields;
  const full = rows.map((r) => Object.fromEntries(fields.map((f) => [f.name, r[f.name] ?? (f.nullable ? null : neutral(f.type))])));
  const def = lakeTables[name];
  if (mode === 'overwrite') await openLakeTable(services.lake, def).write(full, { schema: def.schema, partitionBy: def.partitionBy, mode });
  else await writeFixtureTable(services, name, full);
}
