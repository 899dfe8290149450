import {
  accuracyRatio,
  evaluateDrift,
  mase,
  populationStabilityIndex,
  quantileEdges,
  wape,
  type DriftThresholds,
  type SkuDriftStats,
} from '../../src/lib/drift';
import { addDays, computeDriftStats, driftWindows } from '../../src/lib/drift/assess';

const thresholds: DriftThresholds = { psi: 0.25, accuracyRatio: 1.5, fleetShare: 0.3, stockoutDelta: 0.1, maxReforecasts: 2 };

describe('populationStabilityIndex', () => {
  it('is zero for identical samples and grows with a level shift', () => {
    const ref = Array.from({ length: 84 }, (_, i) => 10 + (i % 7));
    expect(populationStabilityIndex(ref, ref)).toBeCloseTo(0, 10);
    const small = populationStabilityIndex(
      ref,
      ref.map((v) => v + 1),
    )!;
    const big = populationStabilityIndex(
      ref,
      ref.map((v) => v * 3),
    )!;
    expect(small).toBeGreaterThan(0);
    expect(big).toBeGreaterThan(small);
    expect(big).toBeGreaterThan(0.25);
  });

  it('matches a hand computation on two bins', () => {
    // reference all zeros → one edge at 0: bins {≤0, >0}; reference shares (1, ε), recent (0.5, 0.5)
    const psi = populationStabilityIndex([0, 0, 0, 0], [0, 1, 0, 2])!;
    const e = 1e-4;
    expect(psi).toBeCloseTo((0.5 - 1) * Math.log(0.5 / 1) + (0.5 - e) * Math.log(0.5 / e), 10);
  });

  it('de-duplicates quantile edges of zero-heavy demand and returns null on empty samples', () => {
    expect(quantileEdges([0, 0, 0, 0, 0, 0, 0, 0, 1, 5], 10)).toEqual([0, 1]);
    expect(populationStabilityIndex([], [1])).toBeNull();
  });
});

describe('wape and mase', () => {
  it('computes WAPE and MASE against a seasonal-naive scale', () => {
    expect(wape([10, 20, 0], [12, 15, 1])).toBeCloseTo(8 / 30, 12);
    expect(wape([0, 0], [1, 1])).toBeNull();
    // history alternates 0,2 with season 1 fallback (history shorter than 2 seasons of 7): scale 2
    expect(mase([4, 4], [3, 6], [0, 2, 0, 2], 7)).toBeCloseTo(1.5 / 2, 12);
    expect(mase([1], [1], [5, 5, 5], 1)).toBeNull();
  });
});

const sku = (s: Partial<SkuDriftStats> & { sku: string }): SkuDriftStats => ({
  psi: null,
  realisedWape: null,
  expectedWape: null,
  realisedMase: null,
  expectedMase: null,
  forecastOrigin: null,
  forecastRunId: null,
  realisedDays: 0,
  ...s,
});
const base = {
  overallPsi: 0.01,
  newSkus: [],
  vanishedSkus: [],
  referenceSkuCount: 10,
  stockoutRate: { reference: 0.05, recent: 0.06 },
  recentWindowStart: '2024-05-01',
  thresholds,
};

describe('evaluateDrift', () => {
  it('re-forecasts accuracy drift, and data drift only while accuracy cannot judge', () => {
    const result = evaluateDrift({
      ...base,
      skus: [
        sku({ sku: 'acc', realisedWape: 0.9, expectedWape: 0.3, realisedDays: 14 }), // ratio 3
        sku({ sku: 'psi-old', psi: 0.8, forecastOrigin: '2024-03-01' }), // no realised accuracy, old forecast
        sku({ sku: 'psi-current', psi: 0.8, forecastOrigin: '2024-05-03' }),
        sku({ sku: 'psi-accurate', psi: 0.8, realisedWape: 0.2, expectedWape: 0.2, forecastOrigin: '2024-04-01', realisedDays: 14 }),
        ...Array.from({ length: 6 }, (_, i) => sku({ sku: `ok${i}`, psi: 0.01, realisedWape: 0.2, expectedWape: 0.25, realisedDays: 14 })),
      ],
    });
    expect(result.driftedSkus).toEqual(['psi-old', 'acc']); // most severe first: 0.8/0.25 = 3.2 > 3/1.5 = 2
    expect(result.findings.filter((f) => f.sku !== null).map((f) => [f.sku, f.kind, f.action])).toEqual([
      ['acc', 'accuracy_wape', 'reforecast'],
      ['psi-old', 'data_psi', 'reforecast'],
      ['psi-current', 'data_psi', 'none:forecast_current'],
      ['psi-accurate', 'data_psi', 'none:accuracy_ok'],
    ]);
    // Only acc and psi-old call for action: 2 of 10 < 0.3. psi-current's forecast already saw the
    // change and psi-accurate's is accurate, so they are no evidence against the policy.
    expect(result.driftShare).toBeCloseTo(0.2, 12);
    expect(result.fleetDrift).toBe(false);
  });

  it('declares fleet drift when the share of SKUs calling for action reaches the threshold', () => {
    const result = evaluateDrift({
      ...base,
      skus: [
        ...Array.from({ length: 3 }, (_, i) => sku({ sku: `acc${i}`, realisedWape: 0.9, expectedWape: 0.3, realisedDays: 14 })),
        ...Array.from({ length: 5 }, (_, i) => sku({ sku: `cur${i}`, psi: 0.8, forecastOrigin: '2024-05-03' })),
        ...Array.from({ length: 2 }, (_, i) => sku({ sku: `ok${i}`, psi: 0.01 })),
      ],
    });
    expect(result.fleetDrift).toBe(true); // 3 of 10 ≥ 0.3 (the 5 with current forecasts do not count)
    expect(result.findings.find((f) => f.kind === 'fleet')).toMatchObject({ action: 'challenger', value: 0.3 });
  });

  it('caps re-forecasts, keeping the most severe', () => {
    const result = evaluateDrift({
      ...base,
      skus: [1.6, 3, 2, 5]
        .map((r, i) => sku({ sku: `s${i}`, realisedWape: r * 0.2, expectedWape: 0.2, realisedDays: 10 }))
        .concat(Array.from({ length: 16 }, (_, i) => sku({ sku: `q${i}` }))),
    });
    expect(result.driftedSkus).toEqual(['s3', 's1']);
    expect(
      result.findings
        .filter((f) => f.action === 'none:cap_reached')
        .map((f) => f.sku)
        .sort(),
    ).toEqual(['s0', 's2']);
    expect(result.fleetDrift).toBe(false); // 4 of 20
  });

  it('reports overall PSI, churn and stockout-rate change as fleet events', () => {
    const result = evaluateDrift({
      ...base,
      skus: [sku({ sku: 'a' })],
      overallPsi: 0.4,
      newSkus: ['n1', 'n2'],
      vanishedSkus: ['v1', 'v2'],
      stockoutRate: { reference: 0.05, recent: 0.2 },
    });
    expect(result.fleetDrift).toBe(true);
    expect(result.findings.map((f) => [f.kind, f.action])).toEqual([
      ['overall_psi', 'challenger'],
      ['new_skus', 'challenger'],
      ['vanished_skus', 'challenger'],
      ['stockout_rate', 'none'],
      ['fleet', 'challenger'],
    ]);
    expect(result.findings.find((f) => f.kind === 'stockout_rate')?.value).toBeCloseTo(0.15, 12);
  });

  it('floors a near-perfect backtest expectation before taking the ratio', () => {
    expect(accuracyRatio({ realisedWape: 0.12, expectedWape: 0.01 })).toBeCloseTo(1.2, 12);
  });
});

describe('computeDriftStats', () => {
  it('finds new and vanished SKUs, the forecast in effect and its realised error', () => {
    const w = driftWindows('2024-01-28', 7, 21);
    expect(w).toEqual({ referenceStart: '2024-01-01', referenceEnd: '2024-01-21', recentStart: '2024-01-22', recentEnd: '2024-01-28' });
    const days = (s: string, from: number, to: number, units: (d: number) => number) =>
      Array.from({ length: to - from + 1 }, (_, i) => ({
        sku: s,
        date: addDays('2024-01-01', from + i),
        units: units(from + i),
        stockout: false,
      }));
    const demand = [
      ...days('old', 0, 20, () => 3),
      ...days('old', 21, 27, () => 0),
      ...days('new', 21, 27, () => 2),
      ...days('a', 0, 27, (d) => (d >= 21 ? 30 : 10)),
    ];
    const forecasts = [
      // an older run and a newer one for SKU a: the newer origin is in effect
      ...Array.from({ length: 7 }, (_, i) => ({
        runId: 'r1',
        sku: 'a',
        originDate: '2024-01-14',
        targetDate: addDays('2024-01-15', i),
        point: 10,
      })),
      ...Array.from({ length: 7 }, (_, i) => ({
        runId: 'r2',
        sku: 'a',
        originDate: '2024-01-21',
        targetDate: addDays('2024-01-22', i),
        point: 10,
      })),
    ];
    const stats = computeDriftStats(demand, forecasts, [{ runId: 'r2', sku: 'a', wape: 0.1, mase: 0.5 }], w, {
      season: 7,
      minReferenceDays: 14,
      minRecentDays: 7,
      minRealisedDays: 7,
      skuPsiBins: 5,
    });
    expect(stats.newSkus).toEqual(['new']);
    expect(stats.vanishedSkus).toEqual(['old']);
    expect(stats.referenceSkuCount).toBe(2);
    const a = stats.skus.find((s) => s.sku === 'a')!;
    expect(a).toMatchObject({ forecastRunId: 'r2', forecastOrigin: '2024-01-21', realisedDays: 7, expectedWape: 0.1 });
    expect(a.realisedWape).toBeCloseTo(20 / 30, 12);
    expect(a.psi).toBeGreaterThan(1);
  });
});
