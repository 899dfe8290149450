/**
 * Days since the epoch for `YYYY-MM-DD…` texts and back, memoised: a fleet's rows share a few
 * hundred days but come one per SKU and day, and per-row Date work was most of those loops' CPU.
 */
const dayMs = 86_400_000;
const dayNumbers = new Map<string, number>();
const dayTexts = new Map<number, string>();
/** Bounds each cache: a caller reading many years does not grow it without end. */
const cacheLimit = 100_000;

/** The day number of a date (its first ten characters, read as a UTC day). */
export function dayNumberOf(date: string): number {
  let n = dayNumbers.get(date);
  if (n === undefined) {
    n = Math.round(Date.parse(`${date.slice(0, 10)}T00:00:00Z`) / dayMs);
    if (dayNumbers.size >= cacheLimit) dayNumbers.clear();
    dayNumbers.set(date, n);
  }
  return n;
}

/** A day number as `YYYY-MM-DD`. */
export function isoDateOfDayNumber(n: number): string {
  let text = dayTexts.get(n);
  if (text === undefined) {
    text = new Date(n * dayMs).toISOString().slice(0, 10);
    if (dayTexts.size >= cacheLimit) dayTexts.clear();
    dayTexts.set(n, text);
  }
  return text;
}
