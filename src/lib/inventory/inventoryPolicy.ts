/**
 * Inventory actions per SKU from its forecast quantiles and stock position. Pure functions.
 *
 * Method (documented in docs and asserted by test/inventory with hand-computed cases):
 * - Each forecast day i gets a mean μᵢ = the engine's expected units (Gold `expected`) and a spread σᵢ
 *   read off the 90% interval, σᵢ = max(0, q95 − q05) / (2 · z₀.₉₅), i.e. a normal approximation of
 *   that day's demand. The point is median-type for skewed and count demand, so Σ point understates
 *   lead-time demand; a day without an expected value (null, or a lake written before the column)
 *   falls back to μᵢ = max(0, point), day by day.
 * - Demand over the next n days (lead time L, or L + review period R) is the sum of independent days:
 *   mean Mₙ = Σ μᵢ and σₙ = √(Σ σᵢ²). Days beyond the forecast horizon repeat the horizon's average
 *   μ and σ² (a flat continuation).
 * - Safety stock SS = z(service level) · σ_L — the service-level quantile of lead-time demand minus its
 *   mean. Reorder point ROP = M_L + SS.
 * - Order-up-to level S = M_{L+R} + z · σ_{L+R} (periodic review); inventory position
 *   IP = on hand + on order; suggested order = max(0, ⌈S − IP⌉).
 * - Days of cover walks the mean forecast from the day after `asOf`: stock lasts k whole days plus the
 *   fraction of day k+1 it can still serve; the projected stockout date is the first day whose
 *   cumulative mean demand exceeds on hand. No demand at all: cover and stockout are null (infinite).
 * - Cover is projected at most `coverHorizonDays` (365) ahead: stock that outlasts it gets
 *   daysOfCover = 365, stockoutDate = null and beyondHorizon = true ("beyond 365 days"). A tiny
 *   forecast (1e-7 a day against 2 on hand) would otherwise project a stockout in the year 42068.
 * - Total on any forecast: a non-finite or negative point or quantile counts as 0, a day's mean and
 *   spread are capped at `maxDailyUnits` (1e9), so every figure is finite and every date is valid.
 * - action: no_stock_data (no on-hand observation), reorder_now (IP ≤ ROP and S > IP), watch (IP < S: the next
 *   review will order), ok.
 */
import { addDays, formatISO, parseISO } from 'date-fns';
import { ValidationError } from '../errors';
import { normalQuantile } from './normalQuantile';

export type InventoryActionLabel = 'reorder_now' | 'watch' | 'ok' | 'no_stock_data';

/** One forecast day of a SKU (the Gold `forecasts` columns this needs). */
export interface ForecastDay {
  targetDate: string;
  point: number;
  q05: number;
  q95: number;
  /** The engine's expected units (mean); null or absent (older lakes) → the point stands in. */
  expected?: number | null;
}

/** Which forecast column gave the SKU's daily means: all `expected`, all `point` (fallback), or some of each. */
export type DemandMeanSource = 'expected' | 'point' | 'mixed';

export interface StockPosition {
  /** Units on hand at `asOf`; null when no stock observation exists. */
  onHand: number | null;
  /** Units already ordered and not yet received (0 when unknown). */
  onOrder: number;
}

export interface InventoryPolicy {
  serviceLevel: number;
  leadTimeDays: number;
  reviewPeriodDays: number;
}

export interface SkuInventoryInput {
  sku: string;
  /** Last observed day (the forecast origin); forecasts start after it. */
  asOf: string;
  forecast: ForecastDay[];
  stock: StockPosition;
}

export interface SkuInventoryAction {
  sku: string;
  asOf: string;
  onHand: number | null;
  onOrder: number;
  /** Mean demand over the lead time (M_L). */
  leadTimeDemand: number;
  /** Where the daily means came from (not a Gold column: logged by the activity). */
  meanSource: DemandMeanSource;
  /** σ of lead-time demand (σ_L). */
  leadTimeSigma: number;
  safetyStock: number;
  reorderPoint: number;
  orderUpTo: number;
  /** Capped at coverHorizonDays; null when there is no demand at all. */
  daysOfCover: number | null;
  /** Null when there is no demand or the stock outlasts the cover horizon. */
  stockoutDate: string | null;
  /** The stock outlasts the cover horizon: cover is "beyond coverHorizonDays days". */
  beyondHorizon: boolean;
  orderQty: number;
  action: InventoryActionLabel;
  /** Projected stockout on or before asOf + lead time. */
  atRisk: boolean;
}

const z95 = normalQuantile(0.95);

/** How far ahead cover and stockout are projected; beyond it, cover reads "beyond 365 days". */
export const coverHorizonDays = 365;
/** A day's mean demand and spread are capped here, so sums over any horizon stay finite. */
export const maxDailyUnits = 1e9;

export function validatePolicy(policy: InventoryPolicy): void {
  if (!(policy.serviceLevel > 0 && policy.serviceLevel < 1)) {
    throw new ValidationError('serviceLevel', `Service level must be in (0, 1), got ${policy.serviceLevel}`);
  }
  if (!Number.isInteger(policy.leadTimeDays) || policy.leadTimeDays < 0) {
    throw new ValidationError('leadTimeDays', `Lead time must be a whole number of days ≥ 0, got ${policy.leadTimeDays}`);
  }
  if (!Number.isInteger(policy.reviewPeriodDays) || policy.reviewPeriodDays < 1) {
    throw new ValidationError('reviewPeriodDays', `Review period must be a whole number of days ≥ 1, got ${policy.reviewPeriodDays}`);
  }
}

function finiteOr(value: number, fallback: number): number {
  return Number.isFinite(value) ? value : fallback;
}

/** Non-finite → 0, then clamped to [0, maxDailyUnits]. */
function units(value: number): number {
  return Math.min(maxDailyUnits, Math.max(0, finiteOr(value, 0)));
}

/** The day's expected units when the forecast has a finite one, else its point (older lakes, null rows). */
function hasExpected(day: ForecastDay): boolean {
  return typeof day.expected === 'number' && Number.isFinite(day.expected);
}

function dailyMean(day: ForecastDay): number {
  return units(hasExpected(day) ? (day.expected as number) : day.point);
}

/** Which column the forecast's daily means come from. */
export function meanSourceOf(forecast: ForecastDay[]): DemandMeanSource {
  const withExpected = forecast.filter(hasExpected).length;
  return withExpected === forecast.length && withExpected > 0 ? 'expected' : withExpected === 0 ? 'point' : 'mixed';
}

/** Daily means and variances in target-date order. */
function dailyMoments(forecast: ForecastDay[]): Array<{ mean: number; variance: number }> {
  return [...forecast]
    .sort((x, y) => x.targetDate.localeCompare(y.targetDate))
    .map((day) => {
      const sigma = Math.min(maxDailyUnits, Math.max(0, units(day.q95) - units(day.q05)) / (2 * z95));
      return { mean: dailyMean(day), variance: sigma * sigma };
    });
}

/** Mean and σ of total demand over the next `days` days (flat continuation past the horizon). */
export function demandOverDays(forecast: ForecastDay[], days: number): { mean: number; sigma: number } {
  return demandOverMoments(dailyMoments(forecast), days);
}

/** demandOverDays over moments already computed (planSkuInventory computes them once per SKU). */
function demandOverMoments(moments: ReadonlyArray<{ mean: number; variance: number }>, days: number): { mean: number; sigma: number } {
  if (days <= 0 || moments.length === 0) return { mean: 0, sigma: 0 };
  const avgMean = moments.reduce((s, m) => s + m.mean, 0) / moments.length;
  const avgVariance = moments.reduce((s, m) => s + m.variance, 0) / moments.length;
  let mean = 0;
  let variance = 0;
  for (let i = 0; i < days; i++) {
    const m = moments[i];
    mean += m ? m.mean : avgMean;
    variance += m ? m.variance : avgVariance;
  }
  return { mean, sigma: Math.sqrt(variance) };
}

/** Whole + fractional days the stock lasts against the mean forecast (at most coverHorizonDays), and the first day it runs out. */
export function projectCover(
  asOf: string,
  forecast: ForecastDay[],
  onHand: number,
): { daysOfCover: number | null; stockoutDate: string | null; beyondHorizon: boolean } {
  return projectCoverOfMoments(asOf, dailyMoments(forecast), onHand);
}

function projectCoverOfMoments(
  asOf: string,
  moments: ReadonlyArray<{ mean: number; variance: number }>,
  onHand: number,
): { daysOfCover: number | null; stockoutDate: string | null; beyondHorizon: boolean } {
  const start = parseAsOf(asOf);
  const stock = units(onHand);
  const avgMean = moments.length === 0 ? 0 : moments.reduce((s, m) => s + m.mean, 0) / moments.length;
  const stockoutAfter = (days: number) => ({
    daysOfCover: days,
    stockoutDate: isoDate(addDays(start, Math.floor(days) + 1)),
    beyondHorizon: false,
  });
  const beyond = { daysOfCover: coverHorizonDays, stockoutDate: null, beyondHorizon: true };
  let cumulative = 0;
  for (let i = 0; i < Math.min(moments.length, coverHorizonDays); i++) {
    const mean = moments[i]?.mean ?? 0;
    if (cumulative + mean > stock) {
      const fraction = mean > 0 ? (stock - cumulative) / mean : 0;
      return { daysOfCover: i + fraction, stockoutDate: isoDate(addDays(start, i + 1)), beyondHorizon: false };
    }
    cumulative += mean;
  }
  if (moments.length >= coverHorizonDays) return beyond;
  if (avgMean <= 0) return { daysOfCover: null, stockoutDate: null, beyondHorizon: false };
  // Past the horizon, demand continues at the horizon's average rate.
  const daysOfCover = moments.length + (stock - cumulative) / avgMean;
  return daysOfCover < coverHorizonDays ? stockoutAfter(daysOfCover) : beyond;
}

function parseAsOf(asOf: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(asOf) ? parseISO(asOf) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new ValidationError('asOf', `Forecast origin (asOf) must be a date YYYY-MM-DD, got "${asOf}"`);
  return date;
}

function isoDate(date: Date): string {
  return formatISO(date, { representation: 'date' });
}

export function planSkuInventory(input: SkuInventoryInput, policy: InventoryPolicy): SkuInventoryAction {
  validatePolicy(policy);
  const origin = parseAsOf(input.asOf);
  const z = normalQuantile(policy.serviceLevel);
  // The sorted daily moments once per SKU (lead time, protection period and cover all walk them).
  const moments = dailyMoments(input.forecast);
  const leadTime = demandOverMoments(moments, policy.leadTimeDays);
  const protection = demandOverMoments(moments, policy.leadTimeDays + policy.reviewPeriodDays);
  const safetyStock = Math.max(0, z * leadTime.sigma);
  const reorderPoint = leadTime.mean + safetyStock;
  const orderUpTo = protection.mean + Math.max(0, z * protection.sigma);
  const onOrder = Math.max(0, finiteOr(input.stock.onOrder, 0));
  const meanSource = meanSourceOf(input.forecast);
  // Every property written out, never `{ ...base, ...cover }`: Node 20's V8 gave each such spread
  // object of this size about 870 B in the OLD generation (28 MB for 32,000 SKUs in a plain loop,
  // 0.9 MB written out), garbage that only a mark-compact frees.
  const stocked = input.stock.onHand;
  const onHand = stocked !== null && Number.isFinite(stocked) ? Math.max(0, stocked) : null;
  const cover = onHand === null ? null : projectCoverOfMoments(input.asOf, moments, onHand);
  const orderQty = onHand === null ? 0 : Math.max(0, Math.ceil(orderUpTo - (onHand + onOrder) - 1e-9));
  const stockoutDate = cover?.stockoutDate ?? null;
  return {
    sku: input.sku,
    asOf: input.asOf,
    onOrder,
    leadTimeDemand: leadTime.mean,
    meanSource,
    leadTimeSigma: leadTime.sigma,
    safetyStock,
    reorderPoint,
    orderUpTo,
    onHand,
    daysOfCover: cover?.daysOfCover ?? null,
    stockoutDate,
    beyondHorizon: cover?.beyondHorizon ?? false,
    orderQty,
    action: onHand === null ? 'no_stock_data' : stockAction(onHand + onOrder, reorderPoint, orderUpTo, orderQty),
    atRisk: stockoutDate !== null && stockoutDate <= isoDate(addDays(origin, policy.leadTimeDays)),
  };
}

function stockAction(position: number, reorderPoint: number, orderUpTo: number, orderQty: number): InventoryActionLabel {
  return position <= reorderPoint && orderQty > 0 ? 'reorder_now' : position < orderUpTo ? 'watch' : 'ok';
}
