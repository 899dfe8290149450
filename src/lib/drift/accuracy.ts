/** Realised forecast accuracy, as the backtest measures it, so the two can be compared. */

/** WAPE = Σ|actual − forecast| / Σ|actual|; null when there was no demand to weigh by. */
export function wape(actual: readonly number[], forecast: readonly number[]): number | null {
  if (actual.length !== forecast.length) throw new RangeError(`wape: ${actual.length} actuals vs ${forecast.length} forecasts`);
  let err = 0;
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    err += Math.abs(actual[i]! - forecast[i]!);
    sum += Math.abs(actual[i]!);
  }
  return sum > 0 ? err / sum : null;
}

/**
 * MASE = MAE / in-sample MAE of the seasonal naive forecast on `history` (lag `season`, or lag 1
 * when the history is shorter than two seasons); null when that scale is zero or undefined.
 */
export function mase(actual: readonly number[], forecast: readonly number[], history: readonly number[], season: number): number | null {
  if (actual.length !== forecast.length) throw new RangeError(`mase: ${actual.length} actuals vs ${forecast.length} forecasts`);
  if (actual.length === 0) return null;
  const lag = history.length >= 2 * season ? season : 1;
  let scaleSum = 0;
  let scaleCount = 0;
  for (let t = lag; t < history.length; t++) {
    scaleSum += Math.abs(history[t]! - history[t - lag]!);
    scaleCount++;
  }
  const scale = scaleCount > 0 ? scaleSum / scaleCount : 0;
  if (!(scale > 0)) return null;
  let mae = 0;
  for (let i = 0; i < actual.length; i++) mae += Math.abs(actual[i]! - forecast[i]!);
  return mae / actual.length / scale;
}
