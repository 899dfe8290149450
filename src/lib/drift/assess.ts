/**
 * Builds drift statistics from plain rows, pure: the activity reads the lake, this does the maths.
 */
import { mase, wape } from './accuracy';
import type { DriftStats, SkuDriftStats } from './evaluate';

export type { DriftStats };
import { populationStabilityIndex, psiBinCount, psiCriticalValue } from './psi';

export interface DemandDay {
  sku: string;
  date: string;
  units: number;
  stockout: boolean;
}

export interface ForecastPoint {
  runId: string;
  sku: string;
  originDate: string;
  targetDate: string;
  point: number;
}

export interface ExpectedAccuracy {
  runId: string;
  sku: string;
  wape: number | null;
  mase: number | null;
}

export interface DriftWindows {
  referenceStart: string;
  referenceEnd: string;
  recentStart: string;
  recentEnd: string;
}

/** Shifts a YYYY-MM-DD date by whole days (UTC). */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) throw new RangeError(`Not a YYYY-MM-DD date: "${date}"`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Recent window = the last `recentDays` days up to `lastDate`; reference = the `referenceDays` before it. */
export function driftWindows(lastDate: string, recentDays: number, referenceDays: number): DriftWindows {
  const recentStart = addDays(lastDate, -(recentDays - 1));
  return { referenceStart: addDays(recentStart, -referenceDays), referenceEnd: addDays(recentStart, -1), recentStart, recentEnd: lastDate };
}

export interface DriftStatsOptions {
  season: number;
  /** PSI per SKU needs at least this many days in each window. */
  minReferenceDays: number;
  minRecentDays: number;
  /** Accuracy needs at least this many realised target days. */
  minRealisedDays: number;
  /** Quantile bins for the per-SKU PSI (few, since windows are short). */
  skuPsiBins: number;
  /**
   * Chance that a SKU whose demand did not change is flagged anyway (default 0.01): the per-SKU
   * PSI must exceed the level that sampling noise alone reaches this rarely (psiCriticalValue).
   */
  skuPsiAlpha?: number;
  /** Pseudo-count per bin for the per-SKU PSI (default 0.5; see PsiOptions.smoothing). */
  skuPsiSmoothing?: number;
}

export const defaultDriftStatsOptions: Omit<DriftStatsOptions, 'season'> = {
  minReferenceDays: 28,
  minRecentDays: 7,
  minRealisedDays: 7,
  skuPsiBins: 5,
  skuPsiAlpha: 0.01,
  skuPsiSmoothing: 0.5,
};

const inRange = (d: string, from: string, to: string): boolean => d >= from && d <= to;

/**
 * Per SKU: PSI of recent vs reference units; the forecast in effect (latest origin ≤ last actual
 * date, ties broken by run id) and its realised WAPE/MASE over targets that now have actuals,
 * against its backtest expectation. Overall: pooled PSI, new/vanished SKUs, stockout shares.
 */
export function computeDriftStats(
  demand: readonly DemandDay[],
  forecasts: readonly ForecastPoint[],
  expected: readonly ExpectedAccuracy[],
  windows: DriftWindows,
  options: DriftStatsOptions,
): DriftStats {
  const bySku = new Map<string, Map<string, DemandDay>>();
  for (const row of demand) {
    let days = bySku.get(row.sku);
    if (!days) bySku.set(row.sku, (days = new Map<string, DemandDay>()));
    days.set(row.date, row);
  }

  const inEffect = new Map<string, { runId: string; origin: string }>();
  for (const f of forecasts) {
    if (f.originDate > windows.recentEnd) continue;
    const cur = inEffect.get(f.sku);
    if (!cur || f.originDate > cur.origin || (f.originDate === cur.origin && f.runId > cur.runId))
      inEffect.set(f.sku, { runId: f.runId, origin: f.originDate });
  }
  const pointsBySku = new Map<string, ForecastPoint[]>();
  for (const f of forecasts) {
    const chosen = inEffect.get(f.sku);
    if (!chosen || chosen.runId !== f.runId || f.targetDate > windows.recentEnd || f.targetDate <= chosen.origin) continue;
    pointsBySku.set(f.sku, [...(pointsBySku.get(f.sku) ?? []), f]);
  }
  const expectedByKey = new Map(expected.map((e) => [`${e.runId}\u0000${e.sku}`, e]));

  const pooledReference: number[] = [];
  const pooledRecent: number[] = [];
  const newSkus: string[] = [];
  const vanishedSkus: string[] = [];
  let referenceSkuCount = 0;
  let stockRef = 0;
  let stockRefDays = 0;
  let stockRecent = 0;
  let stockRecentDays = 0;
  const stats: SkuDriftStats[] = [];

  for (const [sku, days] of [...bySku].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const reference: number[] = [];
    const recent: number[] = [];
    for (const day of days.values()) {
      if (inRange(day.date, windows.referenceStart, windows.referenceEnd)) {
        reference.push(day.units);
        stockRefDays++;
        if (day.stockout) stockRef++;
      } else if (inRange(day.date, windows.recentStart, windows.recentEnd)) {
        recent.push(day.units);
        stockRecentDays++;
        if (day.stockout) stockRecent++;
      }
    }
    const refUnits = reference.reduce((a, b) => a + b, 0);
    const recentUnits = recent.reduce((a, b) => a + b, 0);
    if (refUnits > 0) referenceSkuCount++;
    if (refUnits === 0 && recentUnits > 0) newSkus.push(sku);
    if (refUnits > 0 && recentUnits === 0) vanishedSkus.push(sku);
    if (refUnits === 0 && recentUnits === 0) continue;

    const psiEligible =
      reference.length >= options.minReferenceDays && recent.length >= options.minRecentDays && refUnits > 0 && recentUnits > 0;
    if (psiEligible) {
      pooledReference.push(...reference);
      pooledRecent.push(...recent);
    }

    const chosen = inEffect.get(sku);
    const points = (pointsBySku.get(sku) ?? []).sort((a, b) => (a.targetDate < b.targetDate ? -1 : 1));
    const actual = points.map((p) => days.get(p.targetDate)?.units ?? 0);
    const predicted = points.map((p) => p.point);
    const enough = points.length >= options.minRealisedDays;
    const history = chosen
      ? [...days.values()]
          .filter((d) => d.date < chosen.origin && d.date >= addDays(chosen.origin, -120))
          .sort((a, b) => (a.date < b.date ? -1 : 1))
          .map((d) => d.units)
      : [];
    const exp = chosen ? expectedByKey.get(`${chosen.runId}\u0000${sku}`) : undefined;
    const smoothing = options.skuPsiSmoothing ?? 0.5;
    stats.push({
      sku,
      psi: psiEligible ? populationStabilityIndex(reference, recent, { bins: options.skuPsiBins, smoothing }) : null,
      psiCritical: psiEligible
        ? psiCriticalValue(reference.length, recent.length, psiBinCount(reference, options.skuPsiBins), options.skuPsiAlpha ?? 0.01)
        : null,
      realisedWape: enough ? wape(actual, predicted) : null,
      expectedWape: exp?.wape ?? null,
      realisedMase: enough ? mase(actual, predicted, history, options.season) : null,
      expectedMase: exp?.mase ?? null,
      forecastOrigin: chosen?.origin ?? null,
      forecastRunId: chosen?.runId ?? null,
      realisedDays: points.length,
    });
  }

  return {
    skus: stats,
    overallPsi: populationStabilityIndex(pooledReference, pooledRecent),
    newSkus,
    vanishedSkus,
    referenceSkuCount,
    stockoutRate: {
      reference: stockRefDays ? stockRef / stockRefDays : null,
      recent: stockRecentDays ? stockRecent / stockRecentDays : null,
    },
  };
}
