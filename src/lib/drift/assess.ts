/**
 * Builds drift statistics from plain rows, pure: the activity reads the lake, this does the maths.
 */
import { mase, wape } from './accuracy';
import type { DriftStats, FleetDriftFigures, SkuDriftStats } from './evaluate';

export type { DriftStats };
import { populationStabilityIndex, populationStabilityIndexOfCounts, psiBinCount, psiCriticalValue, ValueCounts } from './psi';

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

/** One SKU's rows, as its drift statistics take them. */
export interface SkuDriftRows {
  sku: string;
  /** Its demand days by date (a later row of a date replaces an earlier one), in first-seen order. */
  days: ReadonlyMap<string, DemandDay>;
  /**
   * Its forecast rows of earlier runs in read order. Rows with targets after the recent window only
   * make their (run, origin) a candidate for the forecast in effect; one such row per run and origin is enough.
   */
  forecasts: readonly ForecastPoint[];
  /** Backtest accuracy of its forecasts by run id. */
  expected: ReadonlyMap<string, ExpectedAccuracy>;
}

/** One SKU's statistics and what it adds to the fleet figures. */
export interface SkuDriftResult {
  /** Undefined when the SKU had no demand in either window (it is not evaluated). */
  stats: SkuDriftStats | undefined;
  /** Its daily units in each window when it counts towards the pooled PSI, else empty. */
  pooledReference: number[];
  pooledRecent: number[];
  referenceDays: number;
  referenceStockouts: number;
  recentDays: number;
  recentStockouts: number;
  hasReferenceDemand: boolean;
  isNew: boolean;
  isVanished: boolean;
}

/** The forecast in effect: latest origin ≤ the last actual date, ties broken by run id. */
function forecastInEffect(forecasts: readonly ForecastPoint[], windows: DriftWindows): { runId: string; origin: string } | undefined {
  let chosen: { runId: string; origin: string } | undefined;
  for (const f of forecasts) {
    if (f.originDate > windows.recentEnd) continue;
    if (!chosen || f.originDate > chosen.origin || (f.originDate === chosen.origin && f.runId > chosen.runId))
      chosen = { runId: f.runId, origin: f.originDate };
  }
  return chosen;
}

/**
 * One SKU: PSI of recent vs reference units; the forecast in effect and its realised WAPE/MASE over
 * targets that now have actuals, against its backtest expectation.
 */
export function skuDrift(rows: SkuDriftRows, windows: DriftWindows, options: DriftStatsOptions): SkuDriftResult {
  const { sku, days } = rows;
  const reference: number[] = [];
  const recent: number[] = [];
  let referenceStockouts = 0;
  let recentStockouts = 0;
  for (const day of days.values()) {
    if (inRange(day.date, windows.referenceStart, windows.referenceEnd)) {
      reference.push(day.units);
      if (day.stockout) referenceStockouts++;
    } else if (inRange(day.date, windows.recentStart, windows.recentEnd)) {
      recent.push(day.units);
      if (day.stockout) recentStockouts++;
    }
  }
  const refUnits = reference.reduce((a, b) => a + b, 0);
  const recentUnits = recent.reduce((a, b) => a + b, 0);
  const result: SkuDriftResult = {
    stats: undefined,
    pooledReference: [],
    pooledRecent: [],
    referenceDays: reference.length,
    referenceStockouts,
    recentDays: recent.length,
    recentStockouts,
    hasReferenceDemand: refUnits > 0,
    isNew: refUnits === 0 && recentUnits > 0,
    isVanished: refUnits > 0 && recentUnits === 0,
  };
  if (refUnits === 0 && recentUnits === 0) return result;

  const psiEligible =
    reference.length >= options.minReferenceDays && recent.length >= options.minRecentDays && refUnits > 0 && recentUnits > 0;
  if (psiEligible) {
    result.pooledReference = reference;
    result.pooledRecent = recent;
  }

  const chosen = forecastInEffect(rows.forecasts, windows);
  const points = chosen
    ? rows.forecasts
        .filter((f) => f.runId === chosen.runId && f.targetDate <= windows.recentEnd && f.targetDate > chosen.origin)
        .sort((a, b) => (a.targetDate < b.targetDate ? -1 : 1))
    : [];
  const actual = points.map((p) => days.get(p.targetDate)?.units ?? 0);
  const predicted = points.map((p) => p.point);
  const enough = points.length >= options.minRealisedDays;
  let history: number[] = [];
  if (chosen) {
    const historyFrom = addDays(chosen.origin, -120);
    history = [...days.values()]
      .filter((d) => d.date < chosen.origin && d.date >= historyFrom)
      .sort((a, b) => (a.date < b.date ? -1 : 1))
      .map((d) => d.units);
  }
  const exp = chosen ? rows.expected.get(chosen.runId) : undefined;
  const smoothing = options.skuPsiSmoothing ?? 0.5;
  result.stats = {
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
  };
  return result;
}

/**
 * The fleet figures, added to one SKU at a time: the pooled units as counts per value, the
 * stockout days, the new and vanished SKUs as counts (and as lists only when asked to keep them).
 */
export class FleetDriftAccumulator {
  private readonly pooledReference = new ValueCounts();
  private readonly pooledRecent = new ValueCounts();
  private skuCount = 0;
  private referenceSkuCount = 0;
  private newSkuCount = 0;
  private vanishedSkuCount = 0;
  private stockRef = 0;
  private stockRefDays = 0;
  private stockRecent = 0;
  private stockRecentDays = 0;
  readonly newSkus: string[] = [];
  readonly vanishedSkus: string[] = [];

  constructor(private readonly keepSkuLists = false) {}

  add(sku: string, r: SkuDriftResult): void {
    this.stockRefDays += r.referenceDays;
    this.stockRef += r.referenceStockouts;
    this.stockRecentDays += r.recentDays;
    this.stockRecent += r.recentStockouts;
    if (r.hasReferenceDemand) this.referenceSkuCount++;
    if (r.isNew) {
      this.newSkuCount++;
      if (this.keepSkuLists) this.newSkus.push(sku);
    }
    if (r.isVanished) {
      this.vanishedSkuCount++;
      if (this.keepSkuLists) this.vanishedSkus.push(sku);
    }
    if (r.stats) this.skuCount++;
    for (const u of r.pooledReference) this.pooledReference.add(u);
    for (const u of r.pooledRecent) this.pooledRecent.add(u);
  }

  figures(): FleetDriftFigures {
    return {
      skuCount: this.skuCount,
      overallPsi: populationStabilityIndexOfCounts(this.pooledReference, this.pooledRecent),
      newSkuCount: this.newSkuCount,
      vanishedSkuCount: this.vanishedSkuCount,
      referenceSkuCount: this.referenceSkuCount,
      stockoutRate: {
        reference: this.stockRefDays ? this.stockRef / this.stockRefDays : null,
        recent: this.stockRecentDays ? this.stockRecent / this.stockRecentDays : null,
      },
    };
  }
}

const bySkuOrder = (a: string, b: string): number => (a < b ? -1 : 1);

/**
 * Per SKU: PSI of recent vs reference units; the forecast in effect (latest origin ≤ last actual
 * date, ties broken by run id) and its realised WAPE/MASE over targets that now have actuals,
 * against its backtest expectation. Overall: pooled PSI, new/vanished SKUs, stockout shares.
 * Holds every row given: the lake path streams SKU buckets through skuDrift instead (driftBuckets.ts).
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
  const forecastsBySku = new Map<string, ForecastPoint[]>();
  for (const f of forecasts) {
    let list = forecastsBySku.get(f.sku);
    if (!list) forecastsBySku.set(f.sku, (list = []));
    list.push(f);
  }
  const expectedBySku = new Map<string, Map<string, ExpectedAccuracy>>();
  for (const e of expected) {
    let byRun = expectedBySku.get(e.sku);
    if (!byRun) expectedBySku.set(e.sku, (byRun = new Map<string, ExpectedAccuracy>()));
    byRun.set(e.runId, e);
  }

  const fleet = new FleetDriftAccumulator(true);
  const pooledReference: number[] = [];
  const pooledRecent: number[] = [];
  const stats: SkuDriftStats[] = [];
  for (const [sku, days] of [...bySku].sort(([a], [b]) => bySkuOrder(a, b))) {
    const r = skuDrift(
      { sku, days, forecasts: forecastsBySku.get(sku) ?? [], expected: expectedBySku.get(sku) ?? new Map<string, ExpectedAccuracy>() },
      windows,
      options,
    );
    fleet.add(sku, r);
    pooledReference.push(...r.pooledReference);
    pooledRecent.push(...r.pooledRecent);
    if (r.stats) stats.push(r.stats);
  }
  const figures = fleet.figures();
  return {
    skus: stats,
    overallPsi: populationStabilityIndex(pooledReference, pooledRecent),
    newSkus: fleet.newSkus,
    vanishedSkus: fleet.vanishedSkus,
    referenceSkuCount: figures.referenceSkuCount,
    stockoutRate: figures.stockoutRate,
  };
}
