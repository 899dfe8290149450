import type { SeriesInput } from './types';

/**
 * The fleet's own movement a year ago, for SKUs whose models have no yearly term: the units of
 * the SKUs that sold over the whole last year (and before), per day, over the days around one
 * year before the latest history end. A SKU with a flat (level) forecast and a year of history
 * borrows the ratio of what the fleet sold in the same H days a year ago to what it sold in the
 * `baseDays` before them (group seasonal indices, Withycombe 1989): the long tail cannot estimate
 * its own yearly pattern, the fleet can. Only history before each SKU's end is used.
 */
export interface FleetSeason {
  /** The latest history end (YYYY-MM-DD) the daily totals are aligned to. */
  endDate: string;
  /** Fleet units per day; index i is `firstDate` + i days. */
  firstDate: string;
  dailyTotals: number[];
  /** SKUs summed. */
  skus: number;
}

const dayInMs = 86_400_000;
/** 52 weeks: the same weekdays a year ago. */
export const yearAgoDays = 364;
/** The base period the year-ago horizon is compared with. */
export const yearAgoBaseDays = 28;
/** Fewer SKUs with a year of history than this say too little about the fleet's season. */
const minSkus = 20;
/** Bounds of the year-ago ratio. */
const maxRatio = 2;

function dayNumber(date: string): number | null {
  const t = Date.parse(`${date}T00:00:00Z`);
  return Number.isFinite(t) ? Math.round(t / dayInMs) : null;
}

function dateOf(day: number): string {
  return new Date(day * dayInMs).toISOString().slice(0, 10);
}

/** The last day of a history (YYYY-MM-DD), or null without a start date. */
export function historyEnd(input: SeriesInput): string | null {
  const start = dayNumber(String(input.startDate ?? ''));
  const n = Array.isArray(input.values) ? input.values.length : 0;
  return start === null || n === 0 ? null : dateOf(start + n - 1);
}

/**
 * The fleet's daily units around one year before the latest history end, from the SKUs whose
 * history covers it with room for a horizon of up to `maxHorizon` days; undefined with fewer
 * than 20 such SKUs.
 */
export function fleetSeasonOf(inputs: readonly SeriesInput[], maxHorizon = 90): FleetSeason | undefined {
  let end: number | null = null;
  for (const s of inputs) {
    const e = historyEnd(s);
    const d = e === null ? null : dayNumber(e);
    if (d !== null && (end === null || d > end)) end = d;
  }
  if (end === null) return undefined;
  const first = end - yearAgoDays - yearAgoBaseDays + 1;
  const length = yearAgoBaseDays + Math.max(1, maxHorizon);
  const totals = new Array<number>(length).fill(0);
  let skus = 0;
  for (const s of inputs) {
    const start = dayNumber(String(s.startDate ?? ''));
    const values = Array.isArray(s.values) ? s.values : [];
    if (start === null || start > first || start + values.length - 1 < first + length - 1) continue;
    skus++;
    for (let i = 0; i < length; i++) {
      const v = Number(values[first + i - start]);
      if (Number.isFinite(v) && v > 0 && !s.censored?.[first + i - start]) totals[i] = (totals[i] as number) + v;
    }
  }
  if (skus < minSkus) return undefined;
  return { endDate: dateOf(end), firstDate: dateOf(first), dailyTotals: totals, skus };
}

/**
 * Fleet units in the `horizon` days after `endDate` a year ago ÷ those in the base days before,
 * per day; null when the totals do not cover them or the base is empty. Bounded to [½, 2].
 */
export function yearAgoRatio(season: FleetSeason, endDate: string, horizon: number): number | null {
  const first = dayNumber(season.firstDate);
  const end = dayNumber(endDate);
  if (first === null || end === null) return null;
  const baseStart = end - yearAgoDays - yearAgoBaseDays + 1 - first;
  const aheadStart = baseStart + yearAgoBaseDays;
  if (baseStart < 0 || aheadStart + horizon > season.dailyTotals.length) return null;
  let base = 0;
  let ahead = 0;
  for (let i = 0; i < yearAgoBaseDays; i++) base += season.dailyTotals[baseStart + i] as number;
  for (let i = 0; i < horizon; i++) ahead += season.dailyTotals[aheadStart + i] as number;
  if (!(base > 0)) return null;
  const ratio = ahead / horizon / (base / yearAgoBaseDays);
  return Math.min(maxRatio, Math.max(1 / maxRatio, ratio));
}

/** Pseudo-units of the prior weekday shares: a SKU with few units keeps mostly the fleet's shape. */
const weekdayPriorUnits = 20;

/** The fleet's share of units per day of week (0 = Sunday) over its daily totals; uniform without any. */
export function fleetWeekdayShares(season: FleetSeason | undefined): number[] {
  const shares = new Array<number>(7).fill(0);
  const first = season ? dayNumber(season.firstDate) : null;
  if (!season || first === null) return shares.fill(1 / 7);
  // Day number 0 (1970-01-01) was a Thursday.
  season.dailyTotals.forEach((v, i) => (shares[(first + i + 4) % 7] = (shares[(first + i + 4) % 7] as number) + v));
  const total = shares.reduce((a, v) => a + v, 0);
  return total > 0 ? shares.map((v) => v / total) : shares.fill(1 / 7);
}

/**
 * Multipliers (mean 1 over a week) that give a flat daily level the SKU's day-of-week shape: its
 * own units per weekday over the last 52 weeks, shrunk towards the fleet's shares (a shop that
 * never trades on Saturday has no Saturday demand, whatever a flat rate says). Null for a history
 * without a start date.
 */
export function weekdayShape(
  y: readonly number[],
  censored: readonly boolean[],
  startDayOfWeek: number | null,
  horizon: number,
  fleetShares: readonly number[],
): number[] | null {
  if (startDayOfWeek === null) return null;
  const units = new Array<number>(7).fill(0);
  for (let t = Math.max(0, y.length - yearAgoDays); t < y.length; t++) {
    if (censored[t]) continue;
    const d = (startDayOfWeek + t) % 7;
    units[d] = (units[d] as number) + (y[t] as number);
  }
  const own = units.reduce((a, v) => a + v, 0);
  const shares = units.map((u, d) => (u + weekdayPriorUnits * (fleetShares[d] as number)) / (own + weekdayPriorUnits));
  return Array.from({ length: horizon }, (_, h) => 7 * (shares[(startDayOfWeek + y.length + h) % 7] as number));
}
