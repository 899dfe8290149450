import { median, quantile } from './numeric';
import type { SeriesInput } from './types';

export interface CleanSeries {
  /** Finite, non-negative, censored days imputed. */
  y: number[];
  /** True where the value was not observed demand (stockout or unusable value). */
  censored: boolean[];
  /** What was repaired, for the SKU's record. */
  notes: string[];
}

/**
 * Makes a history safe for every model: non-finite values become unknown (like stockouts),
 * negative values (returns, corrections) are clipped to 0, absurd spikes are capped, and unknown
 * days are imputed from the same season position nearby (never as zero demand).
 */
export function cleanSeries(input: SeriesInput, season: number): CleanSeries {
  const notes: string[] = [];
  const raw = Array.isArray(input.values) ? input.values : [];
  const n = raw.length;
  const censored = new Array<boolean>(n).fill(false);
  const y = new Array<number>(n).fill(0);
  let nonFinite = 0;
  let negative = 0;
  let stockouts = 0;
  for (let t = 0; t < n; t++) {
    const v = Number(raw[t]);
    if (input.censored?.[t] === true) {
      censored[t] = true;
      stockouts++;
    } else if (!Number.isFinite(v)) {
      censored[t] = true;
      nonFinite++;
    } else if (v < 0) {
      negative++;
    } else {
      y[t] = v;
    }
  }
  if (nonFinite) notes.push(`${nonFinite} non-finite value(s) treated as unknown`);
  if (negative) notes.push(`${negative} negative value(s) clipped to 0`);
  if (stockouts) notes.push(`${stockouts} stockout day(s) imputed, excluded from losses`);
  // Cap spikes far beyond the bulk of the non-zero demand (e.g. a bulk order keyed wrongly).
  const observed = y.filter((v, t) => !censored[t] && v > 0);
  if (observed.length >= 10) {
    const rawCap = Math.max(10 * quantile(observed, 0.95), median(observed) * 50);
    // Counts stay counts: an interpolated cap would make an integer history non-integer and cost it its count distribution.
    const cap = observed.every((v) => Number.isInteger(v)) ? Math.ceil(rawCap) : rawCap;
    let capped = 0;
    for (let t = 0; t < n; t++) {
      if (!censored[t] && (y[t] as number) > cap) {
        y[t] = cap;
        capped++;
      }
    }
    if (capped) notes.push(`${capped} extreme spike(s) capped at ${cap.toPrecision(4)}`);
  }
  // Impute unknown days: median of the same season position within ±4 seasons, else nearby days.
  const m = Math.max(1, season);
  for (let t = 0; t < n; t++) {
    if (!censored[t]) continue;
    const same: number[] = [];
    for (let k = -4; k <= 4; k++) {
      const u = t + k * m;
      if (k !== 0 && u >= 0 && u < n && !censored[u]) same.push(y[u] as number);
    }
    if (same.length === 0) {
      for (let u = Math.max(0, t - 14); u < Math.min(n, t + 15); u++) if (!censored[u]) same.push(y[u] as number);
    }
    if (same.length === 0) {
      const all = y.filter((_, u) => !censored[u]);
      same.push(all.length ? median(all) : 0);
    }
    y[t] = median(same);
  }
  return { y, censored, notes };
}
