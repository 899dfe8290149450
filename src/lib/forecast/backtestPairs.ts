import type { ForecastPair } from './conformal';
import type { WindowSet } from './rollingOrigin';

/** (forecast, actual) of a forecast over the backtest windows, censored actuals left out; `except` leaves one window out. */
export function backtestPairs(
  y: readonly number[],
  censored: readonly boolean[],
  plan: WindowSet,
  windows: readonly (readonly number[])[],
  except = -1,
): ForecastPair[] {
  const pairs: ForecastPair[] = [];
  plan.origins.forEach((origin, w) => {
    const f = windows[w];
    if (!f || w === except) return;
    for (let h = 0; h < plan.horizon; h++)
      if (!censored[origin + h]) pairs.push({ forecast: f[h] as number, actual: y[origin + h] as number });
  });
  return pairs;
}
