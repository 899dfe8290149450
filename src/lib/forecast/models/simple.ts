import { InsufficientHistoryError } from '../errors';
import { mean, median } from '../numeric';
import type { ForecastModel } from '../types';

/** Seasonal naive: each future step repeats the value one season earlier. */
export const seasonalNaiveModel: ForecastModel = {
  name: 'snaive',
  minLength: (season) => Math.max(1, season),
  forecast(y, horizon, context) {
    const m = Math.max(1, context.season);
    if (y.length < m) throw new InsufficientHistoryError('snaive', y.length, m);
    const n = y.length;
    return { point: Array.from({ length: horizon }, (_, h) => y[n - m + (h % m)] as number), params: { lag: m } };
  },
};

/** Naive: the last value, repeated. */
export const naiveModel: ForecastModel = {
  name: 'naive',
  minLength: () => 1,
  forecast(y, horizon) {
    if (y.length < 1) throw new InsufficientHistoryError('naive', y.length, 1);
    return { point: new Array<number>(horizon).fill(y[y.length - 1] as number), params: {} };
  },
};

/** Historical mean (the demand rate): the fallback for very sparse histories. */
export const meanModel: ForecastModel = {
  name: 'mean',
  minLength: () => 1,
  forecast(y, horizon) {
    if (y.length < 1) throw new InsufficientHistoryError('mean', y.length, 1);
    return { point: new Array<number>(horizon).fill(mean(y)), params: { mean: mean(y) } };
  },
};

/** Zero forecast: for all-zero histories, and a useful benchmark for very sparse ones (MAE favours it). */
export const zeroModel: ForecastModel = {
  name: 'zero',
  minLength: () => 0,
  forecast(_y, horizon) {
    return { point: new Array<number>(horizon).fill(0), params: {} };
  },
};

/**
 * Seasonal median: each season position gets the median of its last `cycles` values. Robust to
 * the bulk orders of erratic retail demand, and a median is what absolute-error losses reward.
 */
export function seasonalMedianModel(name: string, cycles: number): ForecastModel {
  return {
    name,
    minLength: (season) => Math.max(1, season) * 2,
    forecast(y, horizon, context) {
      const m = Math.max(1, context.season);
      if (y.length < 2 * m) throw new InsufficientHistoryError(name, y.length, 2 * m);
      const n = y.length;
      const level: number[] = [];
      for (let j = 0; j < m; j++) {
        const values: number[] = [];
        for (let c = 1; c <= cycles && n - c * m + j >= 0; c++) {
          const t = n - c * m + j;
          if (t < n && !context.censored?.[t]) values.push(y[t] as number);
        }
        level.push(values.length ? median(values) : 0);
      }
      return { point: Array.from({ length: horizon }, (_, h) => level[h % m] as number), params: { cycles } };
    },
  };
}
