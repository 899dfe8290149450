/**
 * A synthetic fleet as dashboard tables, for the browser test at scale: deterministic (seeded),
 * with fast, slow, intermittent and discontinued SKUs, a mix of inventory actions (SKUs with no
 * stock data included) and ensemble names recorded in different member orders.
 */
import type { DashboardTables } from '../../src/lib/dashboard';
import { psiCriticalValue } from '../../src/lib/drift/psi';

export const syntheticOrigin = '2024-06-30';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const day = (offset: number): string =>
  new Date(Date.parse(`${syntheticOrigin}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
const words = ['MUG', 'LANTERN', 'TEA TOWEL', 'BUNTING', 'CANDLE', 'JAR', 'CUSHION', 'TRAY', 'CLOCK', 'BAG'];
const colours = ['RED', 'BLUE', 'VINTAGE', 'PINK', 'GREEN', 'WHITE', 'RETRO', 'IVORY'];
const ensembles = ['median(ets,snaive,smedian)', 'median(smedian,ets,snaive)', 'median(snaive,smedian,ets)'];
const singles = ['ets', 'croston', 'snaive', 'theta', 'tsb'];

export function syntheticSku(i: number): string {
  return `SYN${String(i).padStart(6, '0')}`;
}

export function syntheticFleet(skuCount: number, options: { seed?: number; historyDays?: number; horizon?: number } = {}): DashboardTables {
  const random = rng(options.seed ?? 7);
  const historyDays = options.historyDays ?? 180;
  const horizon = options.horizon ?? 28;
  const tables: DashboardTables = {
    dailyDemand: [],
    forecasts: [],
    metrics: [],
    actions: [],
    drift: [],
    quarantine: [],
    products: [],
    cancellations: 42,
  };
  for (let i = 0; i < skuCount; i += 1) {
    const sku = syntheticSku(i);
    const profile = i % 4; // 0 fast, 1 slow, 2 intermittent, 3 discontinued 30 days before the origin
    const level = profile === 0 ? 20 + 30 * random() : profile === 1 ? 2 + 3 * random() : 0.5;
    const lastSale = profile === 3 ? -30 : 0;
    for (let d = -historyDays + 1; d <= lastSale; d += 1) {
      if (profile === 2 && random() > 0.15) continue; // intermittent: most days have no row
      const units = Math.max(0, Math.round(level * (1 + 0.3 * Math.sin((2 * Math.PI * d) / 7)) + (random() - 0.5) * level));
      if (units > 0 || profile !== 2) tables.dailyDemand.push({ sku, date: day(d), units, on_hand: null });
    }
    for (let h = 1; h <= horizon; h += 1) {
      const point = profile === 3 ? 0 : Math.round(level * 100) / 100;
      tables.forecasts.push({
        run_id: 'run-synthetic',
        sku,
        origin_date: syntheticOrigin,
        target_date: day(h),
        step: h,
        point,
        q05: point * 0.5,
        q25: point * 0.8,
        q50: point,
        q75: point * 1.2,
        q95: point * 1.6,
        model: (i % 3 === 0 ? ensembles[i % ensembles.length] : singles[i % singles.length]) as string,
        expected: point,
      });
    }
    const mase = Math.round(random() * 2000) / 1000;
    tables.metrics.push({
      run_id: 'run-synthetic',
      sku,
      model: 'ets',
      segment: 'smooth',
      mase,
      wape: 0.3,
      bias: 0,
      coverage90: 0.9,
      abs_err: 30,
      abs_actual: 100,
    });
    const action = i % 10 === 0 ? 'reorder_now' : i % 10 === 1 ? 'watch' : i % 10 < 5 ? 'no_stock_data' : 'ok';
    const noStock = action === 'no_stock_data';
    // Stock that agrees with the action: a few days of cover to reorder now, about the lead time to watch, weeks when ok.
    const dailyForecast = profile === 3 ? 0 : Math.round(level * 100) / 100;
    const coverDays = (action === 'reorder_now' ? 2 : action === 'watch' ? 8 : 30) + 3 * random();
    const onHand = Math.round(Math.max(dailyForecast, 0.5) * coverDays);
    const cover = dailyForecast > 0 ? Math.round((10 * onHand) / dailyForecast) / 10 : null;
    tables.actions.push({
      run_id: 'run-synthetic',
      sku,
      as_of: syntheticOrigin,
      on_hand: noStock ? null : onHand,
      days_of_cover: noStock ? null : cover,
      stockout_date: !noStock && cover !== null && cover <= horizon ? day(Math.max(1, Math.floor(cover))) : null,
      safety_stock: level,
      reorder_point: level * 8,
      order_qty: action === 'reorder_now' ? Math.round(level * 20) : 0,
      lead_time_days: 7,
      action,
    });
    tables.products.push({
      sku,
      description: `${colours[i % colours.length]} ${words[Math.floor(i / colours.length) % words.length]} ${i}`,
      first_sale_date: day(-400),
    });
  }
  // Data drift is flagged against the SKU's calibrated threshold, as checkDrift writes it: the PSI
  // that sampling noise alone exceeds at 1 % for a 28-day window against 84 days (above the 0.25 floor).
  const psiThreshold = Math.max(0.25, psiCriticalValue(84, 28, 6, 0.01)!);
  for (let i = 0; i < 30; i += 1)
    tables.drift.push({
      run_id: 'run-synthetic',
      detected_at: `${syntheticOrigin}T03:00:00Z`,
      sku: syntheticSku(i * 7),
      kind: 'data_psi',
      value: Math.round(psiThreshold * (1.2 + random()) * 1000) / 1000,
      threshold: psiThreshold,
      action: 'none:forecast_current',
    });
  for (let i = 0; i < 500; i += 1) tables.quarantine.push({ reason: i % 3 === 0 ? 'price_not_positive' : 'non_product_code' });
  return tables;
}
