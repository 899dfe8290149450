/**
 * A run's publish reads what changed: with a new run in front that forecasts every SKU shown
 * before, only that run's Gold partitions are read (a spy lake records every object read); the
 * drift check's re-publish reads no Gold or Silver rows at all. Both equal the full in-memory build.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DeltaRow } from '../../src/lib/delta/types';
import type { LakeStore } from '../../src/lib/lake/lakeStore';
import { loadDashboardData, writeDashboard, writeDashboardFiles } from '../../src/lib/dashboard';
import { recordRunCompleted } from '../../src/lib/publish/runCompletions';
import { createFixtureLake, type FixtureLake } from '../publish/lakeFixture';
import { day, filesOf, origin, writeCompleteRows } from './dashboardFixtures';

const skuOf = (k: number) => `S${String(k).padStart(5, '0')}`;

async function writeRun(fixture: FixtureLake, run: string, skus: number[], hour: number): Promise<void> {
  const forecasts: DeltaRow[] = [];
  const metrics: DeltaRow[] = [];
  const actions: DeltaRow[] = [];
  for (const k of skus) {
    const sku = skuOf(k);
    for (let step = 1; step <= 7; step++) {
      const point = ((k + step + hour) % 9) + 0.5;
      forecasts.push({ run_id: run, sku, origin_date: origin, target_date: day(step), step, point, q05: point / 2, q25: point * 0.8 });
      forecasts.at(-1)!.q50 = point;
      Object.assign(forecasts.at(-1)!, { q75: point * 1.2, q95: point * 2, expected: point, model: k % 3 === 0 ? 'tsb' : 'mstl_ets' });
    }
    metrics.push({
      run_id: run,
      sku,
      model: 'mstl_ets',
      segment: 'smooth',
      mase: ((k + hour) % 17) / 8,
      wape: 0.3,
      abs_err: k % 5,
      abs_actual: 10,
    });
    actions.push({
      run_id: run,
      sku,
      as_of: origin,
      on_hand: (k + hour) % 13,
      days_of_cover: (k + hour) % 13,
      stockout_date: k % 4 === 0 ? day(3) : null,
      safety_stock: 2,
      reorder_point: 5,
      order_qty: k % 6,
      action: ['reorder_now', 'watch', 'ok', 'no_stock_data'][(k + hour) % 4]!,
      lead_time_days: 7,
    });
  }
  await writeCompleteRows(fixture.services, 'forecasts', forecasts);
  await writeCompleteRows(fixture.services, 'forecast_metrics', metrics);
  await writeCompleteRows(fixture.services, 'inventory_actions', actions);
  await recordRunCompleted(fixture.services.lake, { runId: run, completedAt: `${origin}T0${hour}:00:00Z`, mode: 'batch' });
}

async function fleetLake(skus: number): Promise<FixtureLake> {
  const fixture = await createFixtureLake({ tables: [] });
  const daily: DeltaRow[] = [];
  const products: DeltaRow[] = [];
  for (let k = 0; k < skus; k++) {
    for (let i = -59; i <= 0; i++)
      daily.push({ sku: skuOf(k), date: day(i), units: (k * 7 + i * i) % 11, on_hand: null, month: day(i).slice(0, 7) });
    products.push({ sku: skuOf(k), description: `PRODUCT ${k}`, first_sale_date: day(-59) });
  }
  await writeCompleteRows(fixture.services, 'daily_demand', daily);
  await writeCompleteRows(fixture.services, 'products', products);
  return fixture;
}

/** The fixture's lake with every object read recorded. */
function spyOn(fixture: FixtureLake): { services: FixtureLake['services']; reads: string[] } {
  const lake = fixture.services.lake;
  const reads: string[] = [];
  const spy: LakeStore = Object.create(lake) as LakeStore;
  spy.read = (p, o) => (reads.push(p), lake.read(p, o));
  spy.readStream = (p, o) => (reads.push(p), lake.readStream(p, o));
  return { services: { ...fixture.services, lake: spy }, reads };
}

const dataFiles = (reads: string[], prefix: string) => reads.filter((p) => p.startsWith(prefix) && !p.includes('_delta_log'));

async function expectSameAsInMemory(fixture: FixtureLake, written: { path: string; partsDir?: string }, name: string): Promise<void> {
  const inMemory = await writeDashboardFiles(
    await loadDashboardData(fixture.services),
    path.join(fixture.dir, name, 'dashboard.html'),
    'always',
  );
  const [a, b] = [await filesOf(inMemory), await filesOf(written)];
  expect(Object.keys(b)).toEqual(Object.keys(a));
  for (const key of Object.keys(a)) expect(`${key}: ${b[key]}`).toBe(`${key}: ${a[key]}`);
}

describe('a publish reads what changed', () => {
  let fixture: FixtureLake;
  afterEach(async () => fixture?.cleanup());
  const all = Array.from({ length: 120 }, (_, k) => k);

  it("reads only the new run's Gold partitions when it forecasts every SKU shown before", async () => {
    fixture = await fleetLake(120);
    const outputPath = path.join(fixture.dir, 'out', 'dashboard.html');
    await writeRun(fixture, 'run-1', all, 1);
    await writeDashboard(fixture.services, { outputPath, split: 'always', bucketSkus: 50 });
    await writeRun(fixture, 'run-2', all, 2);

    const { services, reads } = spyOn(fixture);
    const written = await writeDashboard(services, { outputPath, split: 'always', bucketSkus: 50 });
    for (const table of ['forecasts', 'forecast_metrics', 'inventory_actions']) {
      expect(dataFiles(reads, `gold/${table}/run_id=run-1/`)).toEqual([]);
      expect(dataFiles(reads, `gold/${table}/run_id=run-2/`).length).toBeGreaterThan(0);
    }
    await expectSameAsInMemory(fixture, written, 'in-memory');
  });

  it("reads each of the new run's forecast files twice at most (SKUs, then series) and every other data file once", async () => {
    fixture = await fleetLake(120);
    const outputPath = path.join(fixture.dir, 'out', 'dashboard.html');
    await writeRun(fixture, 'run-1', all, 1);
    await writeDashboard(fixture.services, { outputPath, split: 'always', bucketSkus: 50 });
    await writeRun(fixture, 'run-2', all, 2);

    const { services, reads } = spyOn(fixture);
    const written = await writeDashboard(services, { outputPath, split: 'always', bucketSkus: 50 });
    const timesRead = new Map<string, number>();
    for (const p of reads.filter((r) => !r.includes('_delta_log'))) timesRead.set(p, (timesRead.get(p) ?? 0) + 1);
    const forecastFiles = [...timesRead].filter(([p]) => p.startsWith('gold/forecasts/'));
    expect(forecastFiles.length).toBeGreaterThan(0);
    for (const [file, n] of forecastFiles) expect(`${file}: ${n}`).toBe(`${file}: ${Math.min(n, 2)}`);
    const demandFiles = [...timesRead].filter(([p]) => p.startsWith('silver/daily_demand/'));
    expect(demandFiles.length).toBeGreaterThan(0);
    for (const [file, n] of demandFiles) expect(`${file}: ${n}`).toBe(`${file}: 1`);
    await expectSameAsInMemory(fixture, written, 'in-memory');
  });

  it('still reads an older run when the new one misses a SKU shown before (its current forecast is there)', async () => {
    fixture = await fleetLake(120);
    const outputPath = path.join(fixture.dir, 'out', 'dashboard.html');
    await writeRun(fixture, 'run-1', all, 1);
    await writeDashboard(fixture.services, { outputPath, split: 'always', bucketSkus: 50 });
    await writeRun(
      fixture,
      'run-2',
      all.filter((k) => k % 2 === 0),
      2,
    );

    const { services, reads } = spyOn(fixture);
    const written = await writeDashboard(services, { outputPath, split: 'always', bucketSkus: 50 });
    expect(dataFiles(reads, 'gold/forecasts/run_id=run-1/').length).toBeGreaterThan(0);
    await expectSameAsInMemory(fixture, written, 'in-memory');
    expect(await fs.readFile(written.path, 'utf8')).toContain('"skus":120');
  });

  it("re-renders only the head when only drift events changed (the drift check's re-publish)", async () => {
    fixture = await fleetLake(120);
    const outputPath = path.join(fixture.dir, 'out', 'dashboard.html');
    await writeRun(fixture, 'run-1', all, 1);
    const first = await writeDashboard(fixture.services, { outputPath, split: 'always', bucketSkus: 50 });
    await writeCompleteRows(fixture.services, 'drift_events', [
      {
        run_id: 'run-1',
        detected_at: `${origin}T05:00:00Z`,
        sku: skuOf(3),
        kind: 'data_psi',
        value: 0.4,
        threshold: 0.2,
        action: 'reforecast',
      },
    ]);

    const { services, reads } = spyOn(fixture);
    const written = await writeDashboard(services, { outputPath, split: 'always', bucketSkus: 50 });
    expect(written.reusedParts).toBe(true);
    expect(written.partsDir).toBe(first.partsDir);
    expect(dataFiles(reads, 'gold/forecasts/')).toEqual([]);
    expect(dataFiles(reads, 'silver/daily_demand/')).toEqual([]);
    expect(dataFiles(reads, 'gold/drift_events/').length).toBeGreaterThan(0);
    const page = await fs.readFile(written.path, 'utf8');
    expect(page).toContain('"driftEvents":1');
    await expectSameAsInMemory(fixture, written, 'in-memory');
  });

  it('rewrites only the chunks whose content changed; the others are linked from the earlier folder', async () => {
    fixture = await fleetLake(250);
    const outputPath = path.join(fixture.dir, 'out', 'dashboard.html');
    const everySku = Array.from({ length: 250 }, (_, k) => k);
    await writeRun(fixture, 'run-1', everySku, 1);
    const first = await writeDashboard(fixture.services, { outputPath, split: 'always', bucketSkus: 50 });
    expect(first.streamed).toMatchObject({ chunksWritten: 3, chunksLinked: 0 });
    const chunkOf = async (dir: string, name: string) => ({
      ino: (await fs.stat(path.join(dir, name))).ino,
      text: await fs.readFile(path.join(dir, name), 'utf8'),
    });
    const before = await Promise.all(['chunk-00000.js', 'chunk-00001.js', 'chunk-00002.js'].map((n) => chunkOf(first.partsDir!, n)));
    // One product renamed (the products table rewritten): Silver changed, no new run; only the chunk that holds the SKU changes.
    const renamed = before.findIndex((c) => c.text.includes('"sku":"S00007"'));
    const products = everySku.map((k) => ({
      sku: skuOf(k),
      description: k === 7 ? 'RENAMED PRODUCT' : `PRODUCT ${k}`,
      first_sale_date: day(-59),
    }));
    await writeCompleteRows(fixture.services, 'products', products, 'overwrite');

    const written = await writeDashboard(fixture.services, { outputPath, split: 'always', bucketSkus: 50 });
    expect(written.partsDir).not.toBe(first.partsDir);
    expect(written.streamed).toMatchObject({ chunksWritten: 1, chunksLinked: 2 });
    const after = await Promise.all(['chunk-00000.js', 'chunk-00001.js', 'chunk-00002.js'].map((n) => chunkOf(written.partsDir!, n)));
    after.forEach((c, i) => {
      expect(c.text === before[i]!.text).toBe(i !== renamed);
      // The earlier folder is gone; a linked chunk is the same file (inode), the changed one a new file.
      expect(c.ino === before[i]!.ino).toBe(i !== renamed);
    });
    expect(after[renamed]!.text).toContain('RENAMED PRODUCT');
    await expect(fs.stat(first.partsDir!)).rejects.toThrow();
    await expectSameAsInMemory(fixture, written, 'in-memory');
  });
});
