/**
 * Turns drift statistics into events and actions, pure. Per SKU: data drift (PSI of recent vs
 * reference demand) and accuracy drift (realised WAPE of the forecast in effect vs its backtest
 * expectation). Fleet-wide: overall PSI, the share of SKUs drifting, new and vanished SKUs.
 * Stockout-rate change is reported (it censors demand) but triggers nothing by itself.
 */

export interface SkuDriftStats {
  sku: string;
  /** PSI of recent vs reference daily units; null when either window is too short. */
  psi: number | null;
  /**
   * The PSI that sampling noise alone exceeds rarely (alpha) for these window lengths and bins;
   * the SKU's data-drift threshold is the larger of it and thresholds.psi. Absent: thresholds.psi.
   */
  psiCritical?: number | null;
  /** Realised WAPE of the forecast in effect over targets that have actuals; null when too few. */
  realisedWape: number | null;
  /** Backtest WAPE of that forecast (forecast_metrics). */
  expectedWape: number | null;
  realisedMase: number | null;
  expectedMase: number | null;
  /** Origin date of the forecast in effect, null when the SKU has none. */
  forecastOrigin: string | null;
  forecastRunId: string | null;
  realisedDays: number;
}

export interface DriftThresholds {
  psi: number;
  /** realised / expected WAPE above which accuracy has drifted. */
  accuracyRatio: number;
  /** Share of SKUs (or of new + vanished SKUs) that makes drift fleet-wide. */
  fleetShare: number;
  /** Absolute change of the stockout-day share worth an event. */
  stockoutDelta: number;
  maxReforecasts: number;
}

export type DriftKind = 'data_psi' | 'accuracy_wape' | 'overall_psi' | 'new_skus' | 'vanished_skus' | 'stockout_rate' | 'fleet';
export type DriftAction = 'reforecast' | 'challenger' | 'none' | 'none:cap_reached' | 'none:forecast_current' | 'none:accuracy_ok';

export interface DriftFinding {
  sku: string | null;
  kind: DriftKind;
  value: number;
  threshold: number;
  action: DriftAction;
}

export interface DriftStats {
  skus: SkuDriftStats[];
  overallPsi: number | null;
  newSkus: string[];
  vanishedSkus: string[];
  /** SKUs with demand in the reference window (denominator of the new/vanished shares). */
  referenceSkuCount: number;
  stockoutRate: { reference: number | null; recent: number | null };
}

export interface DriftAssessmentInput extends DriftStats {
  /** First day of the recent window (YYYY-MM-DD): a forecast made on or after it has seen the change. */
  recentWindowStart: string;
  thresholds: DriftThresholds;
}

export interface DriftEvaluation {
  findings: DriftFinding[];
  /** SKUs to re-forecast, most severe first, at most maxReforecasts. */
  driftedSkus: string[];
  fleetDrift: boolean;
  /** Share of evaluated SKUs whose drift calls for a re-forecast (accuracy drift, or data drift no current forecast saw). */
  driftShare: number;
}

/**
 * Expected WAPE below this floor is raised to it before taking the ratio: a backtest that was
 * nearly perfect would otherwise flag ordinary noise as a many-fold degradation.
 */
export const minExpectedWape = 0.1;

export function accuracyRatio(stats: Pick<SkuDriftStats, 'realisedWape' | 'expectedWape'>): number | null {
  if (stats.realisedWape === null || stats.expectedWape === null) return null;
  return stats.realisedWape / Math.max(stats.expectedWape, minExpectedWape);
}

/** The fleet figures the fleet-wide verdicts are drawn from (DriftStats without the per-SKU rows). */
export interface FleetDriftFigures {
  /** SKUs evaluated (those with demand in either window). */
  skuCount: number;
  overallPsi: number | null;
  newSkuCount: number;
  vanishedSkuCount: number;
  referenceSkuCount: number;
  stockoutRate: { reference: number | null; recent: number | null };
}

/**
 * evaluateDrift one SKU at a time: it keeps the SKUs' findings and the re-forecast candidates (the
 * drift events), never the SKUs' statistics, so the fleet can be streamed through it.
 */
export class DriftEvaluator {
  private readonly findings: DriftFinding[] = [];
  private readonly candidates: Array<{ sku: string; severity: number; findings: DriftFinding[] }> = [];
  private drifting = 0;

  constructor(
    private readonly recentWindowStart: string,
    private readonly thresholds: DriftThresholds,
  ) {}

  /**
   * Whether a later forecast origin could change the SKU's verdict: data drift that realised
   * accuracy cannot judge yet, from a forecast made before the recent window.
   */
  dependsOnForecastOrigin(s: SkuDriftStats): boolean {
    const ratio = accuracyRatio(s);
    if (ratio !== null || s.psi === null || !(s.psi > Math.max(this.thresholds.psi, s.psiCritical ?? 0))) return false;
    return !(s.forecastOrigin !== null && s.forecastOrigin >= this.recentWindowStart);
  }

  add(s: SkuDriftStats): void {
    const { thresholds } = this;
    const own: DriftFinding[] = [];
    const ratio = accuracyRatio(s);
    const accuracyDrift = ratio !== null && ratio > thresholds.accuracyRatio;
    const psiThreshold = Math.max(thresholds.psi, s.psiCritical ?? 0);
    const dataDrift = s.psi !== null && s.psi > psiThreshold;
    if (accuracyDrift)
      own.push({ sku: s.sku, kind: 'accuracy_wape', value: ratio, threshold: thresholds.accuracyRatio, action: 'reforecast' });
    if (dataDrift) {
      // PSI is the leading indicator: it acts only while realised accuracy cannot judge the forecast
      // yet, and not when the forecast was made inside the recent window (it saw the change).
      const current = s.forecastOrigin !== null && s.forecastOrigin >= this.recentWindowStart;
      const action: DriftAction = accuracyDrift
        ? 'reforecast'
        : ratio !== null
          ? 'none:accuracy_ok'
          : current
            ? 'none:forecast_current'
            : 'reforecast';
      own.push({ sku: s.sku, kind: 'data_psi', value: s.psi!, threshold: psiThreshold, action });
    }
    // The fleet share counts SKUs whose drift calls for action: accuracy drift, or data drift that
    // no current forecast has seen. A SKU forecast from the recent window (or judged accurate)
    // is no evidence that the policy fails; counting those flagged a third of the fleet every run.
    if (own.some((f) => f.action === 'reforecast')) this.drifting++;
    this.findings.push(...own);
    if (own.some((f) => f.action === 'reforecast')) {
      const severity = Math.max(...own.map((f) => f.value / f.threshold));
      this.candidates.push({ sku: s.sku, severity, findings: own });
    }
  }

  /**
   * The SKUs' findings (in the order added, or by SKU with `orderBySku`, as a fleet streamed in
   * buckets needs), the capped re-forecast list and the fleet-wide findings.
   */
  finish(fleet: FleetDriftFigures, options: { orderBySku?: boolean } = {}): DriftEvaluation {
    const { thresholds } = this;
    const findings = options.orderBySku
      ? [...this.findings].sort((a, b) => (a.sku! < b.sku! ? -1 : a.sku! > b.sku! ? 1 : 0)) // stable: a SKU's own order stays
      : [...this.findings];
    const candidates = [...this.candidates].sort((a, b) => b.severity - a.severity || (a.sku < b.sku ? -1 : 1));
    const driftedSkus: string[] = [];
    for (const c of candidates) {
      if (driftedSkus.length < thresholds.maxReforecasts) driftedSkus.push(c.sku);
      else for (const f of c.findings) if (f.action === 'reforecast') f.action = 'none:cap_reached';
    }

    const driftShare = fleet.skuCount > 0 ? this.drifting / fleet.skuCount : 0;
    const refCount = Math.max(fleet.referenceSkuCount, 1);
    const newShare = fleet.newSkuCount / refCount;
    const vanishedShare = fleet.vanishedSkuCount / refCount;
    const overallDrift = fleet.overallPsi !== null && fleet.overallPsi > thresholds.psi;
    const churnDrift = newShare + vanishedShare >= thresholds.fleetShare;
    const fleetDrift = (fleet.skuCount > 0 && driftShare >= thresholds.fleetShare) || overallDrift || churnDrift;

    if (overallDrift)
      findings.push({ sku: null, kind: 'overall_psi', value: fleet.overallPsi!, threshold: thresholds.psi, action: 'challenger' });
    if (fleet.newSkuCount > 0)
      findings.push({
        sku: null,
        kind: 'new_skus',
        value: newShare,
        threshold: thresholds.fleetShare,
        action: churnDrift ? 'challenger' : 'none',
      });
    if (fleet.vanishedSkuCount > 0)
      findings.push({
        sku: null,
        kind: 'vanished_skus',
        value: vanishedShare,
        threshold: thresholds.fleetShare,
        action: churnDrift ? 'challenger' : 'none',
      });
    const { reference, recent } = fleet.stockoutRate;
    if (reference !== null && recent !== null && Math.abs(recent - reference) >= thresholds.stockoutDelta) {
      findings.push({ sku: null, kind: 'stockout_rate', value: recent - reference, threshold: thresholds.stockoutDelta, action: 'none' });
    }
    if (fleetDrift) findings.push({ sku: null, kind: 'fleet', value: driftShare, threshold: thresholds.fleetShare, action: 'challenger' });
    return { findings, driftedSkus, fleetDrift, driftShare };
  }
}

export function evaluateDrift(input: DriftAssessmentInput): DriftEvaluation {
  const evaluator = new DriftEvaluator(input.recentWindowStart, input.thresholds);
  for (const s of input.skus) evaluator.add(s);
  return evaluator.finish({
    skuCount: input.skus.length,
    overallPsi: input.overallPsi,
    newSkuCount: input.newSkus.length,
    vanishedSkuCount: input.vanishedSkus.length,
    referenceSkuCount: input.referenceSkuCount,
    stockoutRate: input.stockoutRate,
  });
}
