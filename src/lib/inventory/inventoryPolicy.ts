/**
 * Inventory actions per SKU from its forecast quantiles and stock position. Pure functions.
 *
 * Method (documented in docs and asserted by test/inventory with hand-computed cases):
 * - Each forecast day i gets a mean μᵢ = max(0, point) and a spread σᵢ read off the 90% interval,
 *   σᵢ = max(0, q95 − q05) / (2 · z₀.₉₅), i.e. a normal approximation of that day's demand.
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
}

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
  /** σ of lead-time demand (σ_L). */
  leadTimeSigma: number;
  safetyStock: number;
  reorderPoint: number;
  orderUpTo: number;
  daysOfCover: number | null;
  stockoutDate: string | null;
  orderQty: number;
  action: InventoryActionLabel;
  /** Projected stockout on or before asOf + lead time. */
  atRisk: boolean;
}

const z95 = normalQuantile(0.95);

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

/** Daily means and variances in target-date order. */
function dailyMoments(forecast: ForecastDay[]): Array<{ mean: number; variance: number }> {
  return [...forecast]
    .sort((x, y) => x.targetDate.localeCompare(y.targetDate))
    .map((day) => {
      const sigma = Math.max(0, finiteOr(day.q95, 0) - finiteOr(day.q05, 0)) / (2 * z95);
      return { mean: Math.max(0, finiteOr(day.point, 0)), variance: sigma * sigma };
    });
}

/** Mean and σ of total demand over the next `days` days (flat continuation past the horizon). */
export function demandOverDays(forecast: ForecastDay[], days: number): { mean: number; sigma: number } {
  const moments = dailyMoments(forecast);
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

/** Whole + fractional days the stock lasts against the mean forecast, and the first day it runs out. */
export function projectCover(
  asOf: string,
  forecast: ForecastDay[],
  onHand: number,
): { daysOfCover: number | null; stockoutDate: string | null } {
  const moments = dailyMoments(forecast);
  const avgMean = moments.length === 0 ? 0 : moments.reduce((s, m) => s + m.mean, 0) / moments.length;
  const start = parseISO(asOf);
  let cumulative = 0;
  for (let i = 0; i < moments.length; i++) {
    const mean = moments[i]?.mean ?? 0;
    if (cumulative + mean > onHand) {
      const fraction = mean > 0 ? (onHand - cumulative) / mean : 0;
      return { daysOfCover: i + fraction, stockoutDate: isoDate(addDays(start, i + 1)) };
    }
    cumulative += mean;
  }
  if (avgMean <= 0) return { daysOfCover: null, stockoutDate: null };
  // Past the horizon, demand continues at the horizon's average rate.
  const extraDays = (onHand - cumulative) / avgMean;
  const daysOfCover = moments.length + extraDays;
  return { daysOfCover, stockoutDate: isoDate(addDays(start, Math.floor(daysOfCover) + 1)) };
}

function isoDate(date: Date): string {
  return formatISO(date, { representation: 'date' });
}

export function planSkuInventory(input: SkuInventoryInput, policy: InventoryPolicy): SkuInventoryAction {
  validatePolicy(policy);
  const z = normalQuantile(policy.serviceLevel);
  const leadTime = demandOverDays(input.forecast, policy.leadTimeDays);
  const protection = demandOverDays(input.forecast, policy.leadTimeDays + policy.reviewPeriodDays);
  const safetyStock = Math.max(0, z * leadTime.sigma);
  const reorderPoint = leadTime.mean + safetyStock;
  const orderUpTo = protection.mean + Math.max(0, z * protection.sigma);
  const onOrder = Math.max(0, finiteOr(input.stock.onOrder, 0));
  const base = {
    sku: input.sku,
    asOf: input.asOf,
    onOrder,
    leadTimeDemand: leadTime.mean,
    leadTimeSigma: leadTime.sigma,
    safetyStock,
    reorderPoint,
    orderUpTo,
  };
  if (input.stock.onHand === null || !Number.isFinite(input.stock.onHand)) {
    return { ...base, onHand: null, daysOfCover: null, stockoutDate: null, orderQty: 0, action: 'no_stock_data', atRisk: false };
  }
  const onHand = Math.max(0, input.stock.onHand);
  const position = onHand + onOrder;
  const cover = projectCover(input.asOf, input.forecast, onHand);
  const orderQty = Math.max(0, Math.ceil(orderUpTo - position - 1e-9));
  const action: InventoryActionLabel =
    position <= reorderPoint && orderQty > 0 ? 'reorder_now' : position < orderUpTo ? 'watch' : 'ok';
  const riskHorizon = isoDate(addDays(parseISO(input.asOf), policy.leadTimeDays));
  const atRisk = cover.stockoutDate !== null && cover.stockoutDate <= riskHorizon;
  return { ...base, onHand, ...cover, orderQty, action, atRisk };
}
