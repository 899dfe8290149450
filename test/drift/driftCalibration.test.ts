/**
 * The data-drift verdict is calibrated: on a synthetic fleet with level shifts injected into a
 * known 10% of SKUs, the shifted SKUs are flagged and the stable ones are not (a fixed PSI
 * threshold of 0.25 over 28-day windows flagged about a third of a stable fleet on every run).
 */
import {
  computeDriftStats,
  defaultDriftStatsOptions,
  driftWindows,
  evaluateDrift,
  type DemandDay,
  type DriftThresholds,
} from '../../src/lib/drift';
import { populationStabilityIndex, psiCriticalValue } from '../../src/lib/drift/psi';
import { syntheticDemandDays, syntheticFleet, type SyntheticSku } from '../../src/lib/sample/syntheticFleet';

const thresholds: DriftThresholds = { psi: 0.25, accuracyRatio: 1.5, fleetShare: 0.3, stockoutDelta: 0.1, maxReforecasts: 50 };

function assess(skus: number, shiftShare: number, seed: number) {
  const fleet = syntheticFleet({ skus, days: 200, seed, shiftShare, shiftFactor: 2.5, shiftDays: 28 });
  const demand: DemandDay[] = [...syntheticDemandDays(fleet)].map((d) => ({ ...d, stockout: false }));
  const windows = driftWindows(fleet.options.endDate, 28, 84);
  const stats = computeDriftStats(demand, [], [], windows, { ...defaultDriftStatsOptions, season: 7 });
  const evaluation = evaluateDrift({ ...stats, recentWindowStart: windows.recentStart, thresholds });
  const flagged = new Set(evaluation.findings.filter((f) => f.kind === 'data_psi').map((f) => f.sku));
  const checked = new Set(stats.skus.filter((s) => s.psi !== null).map((s) => s.sku));
  const byKey = new Map(fleet.skus.map((s) => [s.sku, s]));
  const share = (pick: (s: SyntheticSku) => boolean) => {
    const group = [...checked].filter((k) => pick(byKey.get(k)!));
    return {
      n: group.length,
      flagged: group.filter((k) => flagged.has(k)).length,
      share: group.length ? group.filter((k) => flagged.has(k)).length / group.length : 0,
    };
  };
  // The same windows under the old verdict: 1e-4 floor, fixed 0.25.
  let oldFlagged = 0;
  const bySku = new Map<string, DemandDay[]>();
  for (const d of demand) bySku.set(d.sku, [...(bySku.get(d.sku) ?? []), d]);
  for (const s of stats.skus) {
    if (s.psi === null) continue;
    const days = bySku.get(s.sku) ?? [];
    const ref = days.filter((d) => d.date >= windows.referenceStart && d.date <= windows.referenceEnd).map((d) => d.units);
    const rec = days.filter((d) => d.date >= windows.recentStart).map((d) => d.units);
    if ((populationStabilityIndex(ref, rec, { bins: 5 }) ?? 0) > 0.25) oldFlagged++;
  }
  return {
    evaluation,
    checked: checked.size,
    stationary: share((s) => s.shift === 1 && ['fast', 'slow', 'intermittent', 'launched'].includes(s.profile)),
    stableAll: share((s) => s.shift === 1),
    shifted: share((s) => s.shift !== 1),
    oldShare: oldFlagged / checked.size,
  };
}

describe('drift calibration on a synthetic fleet', () => {
  it('flags the shifted SKUs and not the stable ones; fleet drift is not declared for a 10% shift', () => {
    const r = assess(800, 0.1, 11);
    console.log(
      `synthetic fleet 800 SKUs (${r.checked} with PSI), 10% shifted ×2.5 over the recent 28 days: ` +
        `flagged stationary ${r.stationary.flagged}/${r.stationary.n}, all stable ${r.stableAll.flagged}/${r.stableAll.n}, shifted ${r.shifted.flagged}/${r.shifted.n}; ` +
        `fleet share ${(r.evaluation.driftShare * 100).toFixed(1)}%; the old verdict (floor 1e-4, PSI > 0.25) flagged ${(r.oldShare * 100).toFixed(1)}% of checked SKUs`,
    );
    expect(r.shifted.n).toBeGreaterThan(50);
    expect(r.shifted.share).toBeGreaterThan(0.9);
    expect(r.stationary.share).toBeLessThan(0.03);
    expect(r.evaluation.fleetDrift).toBe(false);
  });

  it('a stable fleet is stable: few flagged (seasonal and trending SKUs included), no fleet drift', () => {
    const r = assess(800, 0, 12);
    console.log(
      `stable synthetic fleet: flagged ${(r.evaluation.driftShare * 100).toFixed(1)}% (stationary ${r.stationary.flagged}/${r.stationary.n}, ` +
        `seasonal+trending ${r.stableAll.flagged - r.stationary.flagged}/${r.stableAll.n - r.stationary.n}); old verdict ${(r.oldShare * 100).toFixed(1)}%`,
    );
    expect(r.stationary.share).toBeLessThan(0.03);
    expect(r.evaluation.driftShare).toBeLessThan(thresholds.fleetShare / 2);
    expect(r.evaluation.fleetDrift).toBe(false);
    // The old verdict on the same fleet was far above: the calibration is what changed it.
    expect(r.oldShare).toBeGreaterThan(r.evaluation.driftShare * 3);
  });

  it('the critical PSI falls with sample size and rises with bins', () => {
    expect(psiCriticalValue(84, 28, 5, 0.01)!).toBeGreaterThan(psiCriticalValue(840, 280, 5, 0.01)!);
    expect(psiCriticalValue(84, 28, 5, 0.01)!).toBeGreaterThan(psiCriticalValue(84, 28, 2, 0.01)!);
    // (1/84 + 1/28) · χ²₀.₉₉(4) = 0.0476 · 13.28 ≈ 0.632
    expect(psiCriticalValue(84, 28, 5, 0.01)!).toBeCloseTo(0.632, 1);
    expect(psiCriticalValue(0, 28, 5, 0.01)).toBeNull();
  });
});
