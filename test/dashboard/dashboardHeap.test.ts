/**
 * The split dashboard's held per-SKU state is bounded: the live heap (after a full GC) once every
 * SKU is built grows by less than `bytesPerSkuBound` per SKU from a fleet of 500 SKUs to 3,000. Holding each SKU's current metrics and action rows, its
 * product and its catalogue entry as objects (the earlier build) costs ~2 KB per SKU.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { DeltaRow } from '../../src/lib/delta/types';
import { lakeTables, type LakeTableName } from '../../src/lib/lakeTables';
import { writeDashboard } from '../../src/lib/dashboard';
import { recordRunCompleted } from '../../src/lib/publish/runCompletions';
import { createFixtureLake, writeFixtureTable as writeTable, type FixtureLake } from '../publish/lakeFixture';

/** What the streamed build may keep per SKU shown (its name, slot and rank, numeric sort keys and offsets). */
const bytesPerSkuBound = 600;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const liveHeap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

const origin = '2011-12-09';
const day = (offset: number): string => new Date(Date.parse(`${origin}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);

async function writeFull(services: FixtureLake['services'], name: LakeTableName, rows: DeltaRow[]): Promise<void> {
  const neutral = (type: unknown) =>
    type === 'string' ? '' : type === 'boolean' ? false : type === 'timestamp' || type === 'date' ? origin : 0;
  const fields = lakeTables[name].schema.fields;
  await writeTable(
    services,
    name,
    rows.map((r) => Object.fromEntries(fields.map((f) => [f.name, r[f.name] ?? (f.nullable ? null : neutral(f.type))]))),
  );
}

async function fleetLake(skus: number): Promise<FixtureLake> {
  const fixture = await createFixtureLake({ tables: [] });
  const daily: DeltaRow[] = [];
  const forecasts: DeltaRow[] = [];
  const metrics: DeltaRow[] = [];
  const actions: DeltaRow[] = [];
  const products: DeltaRow[] = [];
  for (let k = 0; k < skus; k++) {
    const sku = `SKU-${String(k).padStart(6, '0')}`;
    for (let i = -20; i <= 0; i++) daily.push({ sku, date: day(i), units: (k + i * i) % 7, month: day(i).slice(0, 7) });
    for (let step = 1; step <= 7; step++) {
      const point = (k + step) % 5;
      forecasts.push({ run_id: 'run-1', sku, origin_date: origin, target_date: day(step), step, point, q05: 0, q25: point, q50: point });
      Object.assign(forecasts.at(-1)!, { q75: point, q95: point * 2, expected: point, model: 'mstl_ets' });
    }
    metrics.push({ run_id: 'run-1', sku, model: 'mstl_ets', segment: 'smooth', demand_class: 'smooth', mase: (k % 9) / 4, wape: 0.3 });
    Object.assign(metrics.at(-1)!, { smape: 0.3, bias: 0.1, coverage90: 0.9, pinball: 1, abs_err: 1, abs_actual: 4, windows: 3 });
    actions.push({ run_id: 'run-1', sku, as_of: origin, on_hand: k % 13, days_of_cover: k % 11, safety_stock: 2, reorder_point: 5 });
    Object.assign(actions.at(-1)!, { order_qty: 3, action: ['reorder_now', 'watch', 'ok'][k % 3], lead_time_days: 7, service_level: 0.95 });
    products.push({ sku, description: `A PRODUCT CALLED NUMBER ${k}`, first_sale_date: day(-20), last_sale_date: origin, total_units: 9 });
  }
  await writeFull(fixture.services, 'daily_demand', daily);
  await writeFull(fixture.services, 'forecasts', forecasts);
  await writeFull(fixture.services, 'forecast_metrics', metrics);
  await writeFull(fixture.services, 'inventory_actions', actions);
  await writeFull(fixture.services, 'products', products);
  await recordRunCompleted(fixture.services.lake, { runId: 'run-1', completedAt: `${origin}T01:00:00Z`, mode: 'batch' });
  return fixture;
}

/**
 * The live heap's growth over its level at the start, sampled when the first series chunk is
 * written: every table has been read and every SKU built by then, so what the build holds per SKU
 * is all there (a full GC costs ~1 s in Jest's heap, so it is sampled there only).
 */
async function heapGrowth(fixture: FixtureLake): Promise<number> {
  let atFirstChunk: number | undefined;
  const original = fs.writeFile.bind(fs);
  const writeFile = jest.spyOn(fs, 'writeFile').mockImplementation((...args: Parameters<typeof fs.writeFile>) => {
    if (atFirstChunk === undefined && typeof args[0] === 'string' && args[0].endsWith('chunk-00000.js')) atFirstChunk = liveHeap();
    return original(...args);
  });
  try {
    const start = liveHeap();
    const written = await writeDashboard(fixture.services, { outputPath: path.join(fixture.dir, 'dashboard.html'), split: 'always' });
    expect(written.partsDir).toBeDefined();
    expect(atFirstChunk).toBeDefined();
    return atFirstChunk! - start;
  } finally {
    writeFile.mockRestore();
  }
}

describe('the streamed dashboard’s memory', () => {
  let fixture: FixtureLake | undefined;
  afterEach(async () => fixture?.cleanup());

  it(`keeps less than ${bytesPerSkuBound} B of live heap per SKU shown`, async () => {
    const growth: number[] = [];
    // The first build also loads modules and fills process-wide caches: a warm-up, not measured.
    for (const skus of [200, 500, 3000]) {
      fixture = await fleetLake(skus);
      growth.push(await heapGrowth(fixture));
      await fixture.cleanup();
      fixture = undefined;
    }
    const perSku = (growth[2]! - growth[1]!) / 2500;
    console.log(
      `dashboard live heap growth: ${growth
        .slice(1)
        .map((g) => `${Math.round(g / 1024)} KB`)
        .join(' → ')}, ${Math.round(perSku)} B per SKU`,
    );
    expect(perSku).toBeLessThan(bytesPerSkuBound);
  });
});
