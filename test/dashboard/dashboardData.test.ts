import {
  buildDashboardData,
  canonicalModelName,
  modelFamily,
  renderDashboardFiles,
  renderDashboardHtml,
  scriptSafeJson,
  splitDashboard,
} from '../../src/lib/dashboard';
import { syntheticFleet, syntheticSku } from './syntheticFleet';

function days(n: number, from: string): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  return Array.from({ length: n }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10));
}

describe('buildDashboardData', () => {
  // SKU A: 300 days of history, 1 unit/day for the first 272 days, then 3/day for the last 28.
  const history = days(300, '2011-01-01').map((date, i) => ({ sku: 'A', date, units: i >= 272 ? 3 : 1, on_hand: i === 299 ? 50 : null }));
  const forecasts = days(3, '2011-10-28').map((target_date, i) => ({
    run_id: 'r',
    sku: 'A',
    origin_date: '2011-10-27',
    target_date,
    step: i + 1,
    point: 3,
    q05: 1,
    q25: 2,
    q50: 3,
    q75: 4,
    q95: 5.123456,
    model: 'ets',
  }));
  const data = buildDashboardData(
    'r',
    {
      dailyDemand: history,
      forecasts,
      metrics: [
        {
          run_id: 'r',
          sku: 'A',
          model: 'ets',
          segment: 'smooth',
          mase: 0.8,
          wape: 0.25,
          bias: 0,
          coverage90: 0.9,
          abs_err: 30,
          abs_actual: 120,
        },
      ],
      actions: [
        {
          run_id: 'r',
          sku: 'A',
          as_of: '2011-10-27',
          on_hand: 50,
          days_of_cover: 16.7,
          stockout_date: '2011-11-13',
          safety_stock: 2,
          reorder_point: 23,
          order_qty: 0,
          lead_time_days: 7,
          action: 'ok',
        },
      ],
      drift: [],
      quarantine: [{ reason: 'bad_price' }, { reason: 'bad_price' }, { reason: 'non_product_code' }],
      products: [{ sku: 'A', description: 'MUG <b>' }],
    },
    { historyDays: 180, generatedAt: '2011-10-28T00:00:00Z', lake: 'file:///lake' },
  );

  it('keeps the last historyDays days of history as a dense array ending on the last day', () => {
    const sku = data.skus[0]!;
    expect(sku.units).toHaveLength(180);
    // Last day is 2011-10-27 (day 300); 180 days back starts on 2011-05-01.
    expect(sku.historyStart).toBe('2011-05-01');
    expect(sku.units.at(-1)).toBe(3);
    expect(sku.onHand.at(-1)).toBe(50);
    expect(sku.forecastStart).toBe('2011-10-28');
    expect(sku.q95).toEqual([5.12, 5.12, 5.12]);
  });

  it('computes movers, run summary and quality counts', () => {
    // Recent 28 days: 28 × 3 = 84; the 28 before: 28 × 1 = 28 → +56 (+200 %).
    expect(data.movers).toEqual([{ sku: 'A', description: 'MUG <b>', recent: 84, previous: 28, change: 56, changePct: 200 }]);
    expect(data.summary).toMatchObject({
      skus: 1,
      forecastRows: 3,
      originDate: '2011-10-27',
      horizonDays: 3,
      wape: 0.25,
      medianMase: 0.8,
      actions: { ok: 1 },
      atRisk: 0,
    });
    expect(data.quality).toEqual({ quarantined: 3, reasons: { bad_price: 2, non_product_code: 1 }, cancellations: null });
  });

  it("sums the fleet's expected units (Gold `expected`), not its points; none without the column", () => {
    const tables = { dailyDemand: history, metrics: [], actions: [], drift: [], quarantine: [], products: [] };
    const opts = { historyDays: 180, generatedAt: '2011-10-28T00:00:00Z', lake: 'file:///lake' };
    const withExpected = forecasts.map((r, i) => ({ ...r, expected: 4 + i }));
    expect(buildDashboardData('r', { ...tables, forecasts: withExpected }, opts).summary.expectedUnits).toBe(4 + 5 + 6);
    // Rows written before the column (no expected): no fleet figure rather than the points' sum.
    expect(buildDashboardData('r', { ...tables, forecasts }, opts).summary.expectedUnits).toBeNull();
  });

  it('inlines data safely inside <script>', () => {
    expect(scriptSafeJson({ d: '</script><b>' })).toBe('{"d":"\\u003c/script\\u003e\\u003cb\\u003e"}');
    const html = renderDashboardHtml(data, { js: 'window.uPlot = function () {};', css: '' });
    expect(html).toContain('MUG \\u003cb\\u003e');
    expect(html).not.toContain('MUG <b>');
    expect(html.match(/<\/script>/g)).toHaveLength(3);
  });

  it('rejects a bad history length naming the field', () => {
    expect(() =>
      buildDashboardData(
        'r',
        { dailyDemand: [], forecasts: [], metrics: [], actions: [], drift: [], quarantine: [], products: [] },
        { historyDays: 0 },
      ),
    ).toThrow(/historyDays.*0/);
  });
});

describe('dashboard data for planners', () => {
  it('names model combinations canonically and summarises them by family', () => {
    expect(canonicalModelName('median(smedian,ets,snaive)')).toBe('median(ets,smedian,snaive)');
    expect(canonicalModelName('median(ets,smedian,snaive)')).toBe('median(ets,smedian,snaive)');
    expect(canonicalModelName('mean(theta,median(sba,croston))')).toBe('mean(median(croston,sba),theta)');
    expect(modelFamily('median(ets,snaive)')).toBe('Ensemble');
    expect(modelFamily('croston')).toBe('Intermittent demand');
    expect(modelFamily('pooled')).toBe('Intermittent demand');
    expect(modelFamily('snaive')).toBe('Baseline');
    const data = buildDashboardData('run-synthetic', syntheticFleet(30), { generatedAt: 'x' });
    // Three member orders of one combination are one entry (SKUs 0, 3, …, 27: 10 of them).
    expect(data.summary.models['median(ets,smedian,snaive)']).toBe(10);
    expect(Object.keys(data.summary.models).filter((m) => m.startsWith('median('))).toHaveLength(1);
    expect(data.summary.modelFamilies).toEqual({ Ensemble: 10, 'Exponential smoothing': 8, 'Intermittent demand': 8, Baseline: 4 });
  });

  it("draws the days after a SKU last sold as zeros, up to the fleet's last day", () => {
    const data = buildDashboardData('run-synthetic', syntheticFleet(8), { generatedAt: 'x' });
    // SKU 3 stopped selling 30 days before the origin: its window still ends on the origin, with zeros.
    const stopped = data.skus.find((s) => s.sku === syntheticSku(3))!;
    expect(stopped.historyStart).toBe('2024-01-03');
    expect(stopped.units).toHaveLength(180);
    expect(stopped.units.slice(-30)).toEqual(Array.from({ length: 30 }, () => 0));
    // SKU 2 is intermittent (most days have no row): no nulls in its window, since it sold before it.
    const intermittent = data.skus.find((s) => s.sku === syntheticSku(2))!;
    expect(intermittent.units.every((u) => u !== null)).toBe(true);
    expect(intermittent.units.filter((u) => u === 0).length).toBeGreaterThan(100);
  });

  it("lists the newest drift check's events with the thresholds it used, not an earlier check's superseded ones", () => {
    const event = (run_id: string, detected_at: string, threshold: number) => ({
      run_id,
      detected_at,
      sku: 'SYN000001',
      kind: 'data_psi',
      value: 0.6,
      threshold,
      action: 'none:forecast_current',
    });
    const tables = syntheticFleet(4);
    // The current view reads the last runs: an old check flagged against the fixed 0.25, the newest against the calibrated 0.54.
    tables.drift = [event('run-old', '2024-06-23T04:00:00Z', 0.25), event('run-new', '2024-06-30T04:00:00Z', 0.5414)];
    const data = buildDashboardData('run-new', tables, { generatedAt: 'x' });
    expect(data.drift.map((d) => d.threshold)).toEqual([0.5414]);
    expect(data.summary.driftEvents).toBe(1);
  });

  it('splits a fleet into an urgent-first catalogue, series chunks and top-N action rows', () => {
    const data = buildDashboardData('run-synthetic', syntheticFleet(1000), { generatedAt: 'x' });
    const parts = splitDashboard(data, { chunkSize: 100 });
    expect(parts.chunks).toHaveLength(10);
    expect(parts.catalogue.sku).toHaveLength(1000);
    // Reorder-now SKUs (every 10th) come first, then watch.
    expect(parts.catalogue.action.slice(0, 100).every((a) => a === 'reorder_now')).toBe(true);
    expect(parts.catalogue.action[100]).toBe('watch');
    expect(parts.head.firstSku).toBe(parts.catalogue.sku[0]);
    // Chunk i holds catalogue entries [100 i, 100 i + 100).
    expect(parts.chunks[3]!.map((s) => s.sku)).toEqual(parts.catalogue.sku.slice(300, 400));
    expect(parts.head.actionRows.filter((r) => r.action === 'no_stock_data')).toHaveLength(200);
    expect(parts.head.actionRows[0]!.description).toMatch(/\w+ \w+ \d+/);
    // The page carries the head only; the parts are files beside it.
    const { html, files } = renderDashboardFiles(data, { partsDir: 'dash_files-1', assets: { js: '', css: '' } });
    expect(files.size).toBe(11);
    expect(files.get('chunk-00000.js')).toMatch(/^window\.demandDashboardPart\("chunk-00000", \[/);
    expect(html.length).toBeLessThan(300_000);
    expect(html).not.toContain('"units":'); // per-SKU series are in the chunks, not the page
    expect(renderDashboardFiles(data, { assets: { js: '', css: '' } }).html).toContain('"units":');
  });
});
