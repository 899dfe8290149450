import type { ModelContext } from '../types';
import { publicHolidays } from './holidays';

/**
 * Calendar regressors for one SKU over `length` days from the series' start date: one 0/1 column
 * per public holiday name (holiday_<name>) and per user event name (event_<name>) that applies to
 * the SKU. Empty when the context has no calendar or no start date.
 */
export interface CalendarColumns {
  names: string[];
  columns: Float64Array[];
}

const dayInMs = 86_400_000;

function isoDay(startMs: number, offset: number): string {
  return new Date(startMs + offset * dayInMs).toISOString().slice(0, 10);
}

export function calendarRegressors(
  context: Pick<ModelContext, 'calendar' | 'startDate' | 'sku' | 'isDaily'>,
  length: number,
): CalendarColumns {
  const calendar = context.calendar;
  const startMs = context.startDate ? Date.parse(`${context.startDate}T00:00:00Z`) : Number.NaN;
  if (!calendar || !context.isDaily || !Number.isFinite(startMs) || length <= 0) return { names: [], columns: [] };
  const byName = new Map<string, Float64Array>();
  const mark = (name: string, t: number): void => {
    let col = byName.get(name);
    if (!col) byName.set(name, (col = new Float64Array(length)));
    col[t] = 1;
  };
  if (calendar.holidayCountry) {
    const firstYear = new Date(startMs).getUTCFullYear();
    const lastYear = new Date(startMs + (length - 1) * dayInMs).getUTCFullYear();
    const days = new Map<string, string>();
    for (let year = firstYear; year <= lastYear; year++) {
      for (const [day, name] of publicHolidays(calendar.holidayCountry, year, calendar.holidayRegion)) days.set(day, name);
    }
    for (let t = 0; t < length; t++) {
      const name = days.get(isoDay(startMs, t));
      if (name) mark(`holiday_${name}`, t);
    }
  }
  for (const e of calendar.events ?? []) {
    if (e.sku !== '*' && e.sku !== context.sku) continue;
    const t = Math.round((Date.parse(`${e.date}T00:00:00Z`) - startMs) / dayInMs);
    if (t >= 0 && t < length) mark(`event_${e.name}`, t);
  }
  const names = [...byName.keys()].sort();
  return { names, columns: names.map((n) => byName.get(n) as Float64Array) };
}
