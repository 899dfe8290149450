import type { DeltaRow } from '../../src/lib/delta/types';

/** ISO date `offset` days after 2011-01-01. */
export const fixtureDay = (offset: number): string => new Date(Date.UTC(2011, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10);

/** Silver daily_demand rows: a weekly peak per SKU over `days` days from 2011-01-01, no stock data. */
export function weeklyDailyDemand(skus: string[], days = 120): DeltaRow[] {
  return skus.flatMap((sku, k) =>
    Array.from({ length: days }, (_, d) => {
      const units = 3 + k + (d % 7 === k ? 5 : 0) + (d % 3);
      return {
        sku,
        date: fixtureDay(d),
        units,
        revenue: units,
        orders: 1,
        customers: 1,
        on_hand: null,
        stockout: false,
        month: fixtureDay(d).slice(0, 7),
      };
    }),
  );
}

/** One Silver daily_demand row on day `offset` (revenue 2 per unit, one order on a sale day); on hand optional. */
export function dailyDemandRow(sku: string, offset: number, units: number, onHand: number | null = null): DeltaRow {
  return {
    sku,
    date: fixtureDay(offset),
    units,
    revenue: units * 2,
    orders: units > 0 ? 1 : 0,
    customers: units > 0 ? 1 : 0,
    on_hand: onHand,
    stockout: onHand !== null && onHand <= 0,
    month: fixtureDay(offset).slice(0, 7),
  };
}
