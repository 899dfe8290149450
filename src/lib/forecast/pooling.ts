import type { SeriesInput } from './types';

/**
 * What the sparse SKUs of a fleet (or batch) say about each other: a Gamma prior on the daily
 * rate of a SKU with a handful of sales (Gamma–Poisson empirical Bayes), estimated by moments
 * from the recent window of every sparse SKU. A SKU's own window is shrunk towards `ratePerDay`
 * with the weight of `strengthInDays` pseudo-days.
 */
export interface FleetPrior {
  /** Mean daily rate of the sparse SKUs over the recent window. */
  ratePerDay: number;
  /** Prior weight in days (β of the Gamma prior): large when sparse SKUs are alike. */
  strengthInDays: number;
  /** Mean units per sale day among sparse SKUs (the size of one order). */
  unitsPerSaleDay: number;
  /** Days at the end of each history that the rates are measured over. */
  windowInDays: number;
  /** Sparse SKUs the prior was estimated from. */
  skus: number;
}

/** A SKU is sparse (pooled) when it has at most this many sale days in the recent window. */
export const sparseSaleDays = 3;
/** The recent window rates are measured over: a product's old sales say little about now. */
export const rateWindowInDays = 182;

export interface RecentWindow {
  units: number;
  days: number;
  saleDays: number;
  sumSquares: number;
}

/** Units, known days, sale days and Σy² over the last `windowInDays` known days of a history. */
export function recentWindow(
  values: readonly number[],
  censored: readonly boolean[] | undefined,
  windowInDays = rateWindowInDays,
): RecentWindow {
  const out: RecentWindow = { units: 0, days: 0, saleDays: 0, sumSquares: 0 };
  for (let t = Math.max(0, values.length - windowInDays); t < values.length; t++) {
    const v = Number(values[t]);
    if (censored?.[t] || !Number.isFinite(v)) continue;
    const y = Math.max(0, v);
    out.units += y;
    out.days++;
    out.sumSquares += y * y;
    if (y > 0) out.saleDays++;
  }
  return out;
}

/** The sale-day count that makes a SKU sparse, over its recent window. */
export function isSparse(window: RecentWindow): boolean {
  return window.saleDays <= sparseSaleDays;
}

/**
 * Estimates the fleet prior from the sparse SKUs among `inputs` (method of moments on the
 * compound-Poisson rates); undefined when fewer than 5 sparse SKUs are there to learn from.
 */
export function fleetPriorOf(inputs: readonly SeriesInput[]): FleetPrior | undefined {
  const windows = inputs
    .map((s) => recentWindow(Array.isArray(s.values) ? s.values : [], s.censored))
    .filter((w) => w.days > 0 && isSparse(w));
  if (windows.length < 5) return undefined;
  const units = windows.reduce((s, w) => s + w.units, 0);
  const days = windows.reduce((s, w) => s + w.days, 0);
  const saleDays = windows.reduce((s, w) => s + w.saleDays, 0);
  const mu = units / days;
  if (!(mu > 0))
    return { ratePerDay: 0, strengthInDays: rateWindowInDays, unitsPerSaleDay: 1, windowInDays: rateWindowInDays, skus: windows.length };
  // Between-SKU variance of the observed rates, less what compound-Poisson sampling alone gives.
  let observed = 0;
  let sampling = 0;
  for (const w of windows) {
    observed += w.days * (w.units / w.days - mu) ** 2;
    sampling += w.sumSquares / w.days;
  }
  observed /= days;
  sampling /= days;
  const tau2 = Math.max(observed - sampling, 0.05 * observed, 1e-12);
  const strengthInDays = Math.min(10 * rateWindowInDays, Math.max(1, mu / tau2));
  return {
    ratePerDay: mu,
    strengthInDays,
    unitsPerSaleDay: saleDays ? units / saleDays : 1,
    windowInDays: rateWindowInDays,
    skus: windows.length,
  };
}

/** A sparse SKU's shrunk daily rate: (own units + β·μ) / (own days + β). */
export function pooledRate(window: RecentWindow, prior: FleetPrior): number {
  return (window.units + prior.strengthInDays * prior.ratePerDay) / (window.days + prior.strengthInDays);
}
