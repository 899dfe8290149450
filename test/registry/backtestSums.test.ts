import {
  addBacktestRow,
  backtestFigures,
  emptySegmentedSums,
  isSegmentedSums,
  mergeSegmentedSums,
  metricsFromSums,
  type BacktestMetricRow,
  type SegmentedBacktestSums,
} from '../../src/lib/registry/backtestSums';
import { runMetricsFromBacktest } from '../../src/lib/registry/runMetrics';

const row = (sku: string, segment: string, r: Partial<BacktestMetricRow>): BacktestMetricRow => ({
  sku,
  segment,
  mase: null,
  wape: null,
  bias: null,
  coverage50: null,
  coverage90: null,
  pinball: null,
  absError: 0,
  absActual: 0,
  windows: 3,
  ...r,
});

// A: 100 sold, 110 forecast (|error| 14: over and under on different days); B: 50 sold, 40 forecast;
// C: sold nothing in its windows, 5 forecast (no bias of its own, |error| = its forecast).
// Expected units (the mean) over the same windows: A 104 (+4), B 48 (−2), C 6 (+6).
const rows: BacktestMetricRow[] = [
  row('A', 'fast', {
    bias: 0.1,
    absError: 14,
    absActual: 100,
    mase: 0.8,
    coverage50: 0.5,
    coverage90: 0.9,
    pinball: 2,
    meanSignedError: 4,
  }),
  row('B', 'fast', {
    bias: -0.2,
    absError: 12,
    absActual: 50,
    mase: 1.2,
    coverage50: 0.25,
    coverage90: 0.75,
    pinball: 4,
    meanSignedError: -2,
  }),
  row('C', 'intermittent', { absError: 5, absActual: 0, coverage50: 1, coverage90: 1, pinball: 0.5, windows: 2, meanSignedError: 6 }),
];

describe('backtest sums', () => {
  it('fleet bias is Σ expected ÷ Σ actual − 1 and point_fleet_bias the same on points, a zero seller’s forecast included (the volume-weighted bias leaves it out)', () => {
    const f = backtestFigures(rows.reduce((s, r) => addBacktestRow(s, r), emptySegmentedSums()).total);
    // Σ expected = 104 + 48 + 6 = 158; Σ point = 110 + 40 + 5 = 155; Σ actual = 150
    expect(f.fleet_bias).toBeCloseTo(158 / 150 - 1, 12);
    expect(f.point_fleet_bias).toBeCloseTo(155 / 150 - 1, 12);
    expect(f.bias).toBeCloseTo((110 + 40 - 150) / 150, 12);
    expect(f.coverage50).toBeCloseTo((0.5 + 0.25 + 1) / 3, 12);
    expect(f.coverage90).toBeCloseTo((0.9 + 0.75 + 1) / 3, 12);
    expect(f.mase).toBeCloseTo(1, 12); // C has none
    expect(f.wape).toBeCloseTo(31 / 150, 12);
    expect(f.skus).toBe(3);
  });

  it('batches merged as sums give the figures of all rows at once, per segment too', () => {
    const a = addBacktestRow(emptySegmentedSums(), rows[0]!);
    const b = [rows[1]!, rows[2]!].reduce((s, r) => addBacktestRow(s, r), emptySegmentedSums());
    // Through JSON, as the batch summary files carry them.
    const viaJson = (x: SegmentedBacktestSums): SegmentedBacktestSums => JSON.parse(JSON.stringify(x)) as SegmentedBacktestSums;
    const merged = mergeSegmentedSums(mergeSegmentedSums(emptySegmentedSums(), viaJson(b)), viaJson(a));
    const all = runMetricsFromBacktest(rows);
    const fromSums = metricsFromSums(merged);
    expect(Object.keys(fromSums).sort()).toEqual(Object.keys(all).sort());
    for (const [key, value] of Object.entries(all)) expect(fromSums[key]).toBeCloseTo(value, 12);
    expect(fromSums['segment.fast.fleet_bias']).toBeCloseTo(152 / 150 - 1, 12);
    expect(fromSums['segment.fast.point_fleet_bias']).toBeCloseTo(150 / 150 - 1, 12);
    expect(fromSums['segment.intermittent.coverage50']).toBe(1);
    expect(merged.total.windows).toBe(3);
  });

  it('rows without the mean’s backtest (Gold forecast_metrics has no such column) leave fleet_bias out, never the points’ in its place', () => {
    const m = runMetricsFromBacktest(rows.map((r, i) => (i === 1 ? { ...r, meanSignedError: null } : r)));
    expect(m['fleet_bias']).toBeUndefined();
    expect(m['point_fleet_bias']).toBeCloseTo(155 / 150 - 1, 12);
    // Old batch summaries (no mean sums) merged with new ones: the same.
    const old = JSON.parse(JSON.stringify(addBacktestRow(emptySegmentedSums(), rows[0]!))) as SegmentedBacktestSums;
    delete (old.total as Partial<typeof old.total>).meanSignedError;
    delete (old.total as Partial<typeof old.total>).meanSkus;
    const merged = mergeSegmentedSums(addBacktestRow(emptySegmentedSums(), rows[1]!), old);
    expect(backtestFigures(merged.total).fleet_bias).toBeUndefined();
    expect(backtestFigures(merged.total).point_fleet_bias).toBeCloseTo(150 / 150 - 1, 12);
  });

  it('rows without coverage50 (Gold forecast_metrics has no such column) leave it out instead of reporting 0', () => {
    const m = runMetricsFromBacktest(rows.map((r) => ({ ...r, coverage50: null })));
    expect(m['coverage50']).toBeUndefined();
    expect(m['coverage90']).toBeCloseTo((0.9 + 0.75 + 1) / 3, 12);
  });

  it('recognises its own JSON only', () => {
    expect(isSegmentedSums(JSON.parse(JSON.stringify(emptySegmentedSums())))).toBe(true);
    expect(isSegmentedSums({ absError: 1, absActual: 2, maseSum: 0, maseCount: 0 })).toBe(false);
    expect(isSegmentedSums(undefined)).toBe(false);
  });
});
