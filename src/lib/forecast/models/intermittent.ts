import { InsufficientHistoryError } from '../errors';
import { mean } from '../numeric';
import type { ForecastModel } from '../types';

/** Non-zero demand sizes and the intervals between them (the first interval counts from the start). */
export function demandsAndIntervals(y: readonly number[]): { sizes: number[]; intervals: number[] } {
  const sizes: number[] = [];
  const intervals: number[] = [];
  let last = 0;
  for (let t = 0; t < y.length; t++) {
    const v = y[t] as number;
    if (v > 0) {
      sizes.push(v);
      intervals.push(t + 1 - last);
      last = t + 1;
    }
  }
  return { sizes, intervals };
}

/** SES with the "simple" initial value (the first observation), as R's croston uses. */
function sesSimple(x: readonly number[], alpha: number): number {
  let l = x[0] as number;
  for (let i = 1; i < x.length; i++) l += alpha * ((x[i] as number) - l);
  return l;
}

/**
 * Croston's method exactly as R's forecast::croston (alpha 0.1): SES of the non-zero sizes and of
 * the intervals, each started at its first value; forecast = size / interval. SBA multiplies by
 * (1 - alpha/2) (Syntetos & Boylan 2005).
 */
export function crostonRate(y: readonly number[], alpha: number, variant: 'croston' | 'sba'): number {
  const { sizes, intervals } = demandsAndIntervals(y);
  if (sizes.length === 0) return 0;
  const z = sesSimple(sizes, alpha);
  const p = sesSimple(intervals, alpha);
  const rate = z / p;
  return variant === 'sba' ? rate * (1 - alpha / 2) : rate;
}

/**
 * TSB (Teunter, Syntetos & Babai 2011): the demand probability is updated every period, the size
 * only on demand periods. Initial size = first non-zero demand, initial probability = the share of
 * non-zero periods.
 */
export function tsbRate(y: readonly number[], alpha: number, beta: number): number {
  const { sizes } = demandsAndIntervals(y);
  if (sizes.length === 0) return 0;
  let z = sizes[0] as number;
  let p = sizes.length / y.length;
  for (const v of y) {
    if (v > 0) {
      p += beta * (1 - p);
      z += alpha * (v - z);
    } else {
      p += beta * (0 - p);
    }
  }
  return p * z;
}

/**
 * ADIDA (Nikolopoulos et al. 2011): aggregate into non-overlapping buckets of the mean
 * inter-demand interval (counted from the end), SES on the buckets, spread evenly back.
 */
export function adidaRate(y: readonly number[], alpha: number): { rate: number; bucket: number } {
  const { intervals } = demandsAndIntervals(y);
  if (intervals.length === 0) return { rate: 0, bucket: 1 };
  const bucket = Math.max(1, Math.min(Math.floor(y.length / 2), Math.round(mean(intervals))));
  const buckets: number[] = [];
  for (let end = y.length; end - bucket >= 0; end -= bucket) {
    let s = 0;
    for (let t = end - bucket; t < end; t++) s += y[t] as number;
    buckets.unshift(s);
  }
  if (buckets.length === 0) return { rate: mean(y), bucket };
  let l = mean(buckets.slice(0, Math.min(buckets.length, 3)));
  for (const b of buckets) l += alpha * (b - l);
  return { rate: l / bucket, bucket };
}

const flat = (rate: number, horizon: number): number[] => new Array<number>(horizon).fill(rate);

export const crostonModel: ForecastModel = {
  name: 'croston',
  minLength: () => 2,
  forecast(y, horizon) {
    if (y.length < 2) throw new InsufficientHistoryError('croston', y.length, 2);
    return { point: flat(crostonRate(y, 0.1, 'croston'), horizon), params: { alpha: 0.1 } };
  },
};

export const sbaModel: ForecastModel = {
  name: 'sba',
  minLength: () => 2,
  forecast(y, horizon) {
    if (y.length < 2) throw new InsufficientHistoryError('sba', y.length, 2);
    return { point: flat(crostonRate(y, 0.1, 'sba'), horizon), params: { alpha: 0.1 } };
  },
};

export const tsbModel: ForecastModel = {
  name: 'tsb',
  minLength: () => 2,
  forecast(y, horizon) {
    if (y.length < 2) throw new InsufficientHistoryError('tsb', y.length, 2);
    return { point: flat(tsbRate(y, 0.1, 0.05), horizon), params: { alpha: 0.1, beta: 0.05 } };
  },
};

export const adidaModel: ForecastModel = {
  name: 'adida',
  minLength: () => 4,
  forecast(y, horizon) {
    if (y.length < 4) throw new InsufficientHistoryError('adida', y.length, 4);
    const { rate, bucket } = adidaRate(y, 0.1);
    return { point: flat(rate, horizon), params: { alpha: 0.1, bucket } };
  },
};
