import type { DeltaRow } from '../lib/delta/types';
import type { SkuForecast } from '../lib/forecast';
import { dayNumberOf, isoDateOfDayNumber } from '../lib/calendar/dayNumbers';

function finiteOr(value: number | null | undefined, fallback: number): number {
  return value === null || value === undefined || !Number.isFinite(value) ? fallback : value;
}

/**
 * A SKU's Gold `forecasts` rows, one per target date: the point, the engine's expected units
 * (`expected`, SkuForecast.mean: what fleet totals add up, since the point is median-type for
 * skewed demand) and the quantiles, each finite and non-negative.
 */
export function goldForecastRows(runId: string, originDate: string, f: SkuForecast): DeltaRow[] {
  const targetDates = targetDatesOf(originDate, f.point.length);
  const rows: DeltaRow[] = [];
  for (let step = 0; step < f.point.length; step++) {
    const point = Math.max(0, finiteOr(f.point[step], 0));
    const q = (key: string): number => Math.max(0, finiteOr(f.quantiles[key]?.[step], point));
    rows.push({
      run_id: runId,
      sku: f.sku,
      origin_date: originDate,
      target_date: targetDates[step]!,
      step: step + 1,
      point,
      // Results stored by an older engine may lack a mean: the point is then the best there is.
      expected: Math.max(0, finiteOr(f.mean?.[step], point)),
      q05: q('q05'),
      q25: q('q25'),
      q50: q('q50'),
      q75: q('q75'),
      q95: q('q95'),
      model: f.model,
    });
  }
  return rows;
}

/** The last origin's target dates: every SKU of a batch shares its origin, so a Date and a string per row was churn. */
let lastTargets: { originDate: string; dates: string[] } | undefined;

/**
 * ISO target dates of steps 1..steps after `originDate`, counted in UTC days: date-fns' parseISO
 * reads a date as local midnight, and toISOString wrote it back in UTC, so east of UTC every target
 * came out a day early (the series' days are UTC day numbers everywhere else).
 */
function targetDatesOf(originDate: string, steps: number): readonly string[] {
  if (lastTargets?.originDate !== originDate) lastTargets = { originDate, dates: [] };
  const { dates } = lastTargets;
  const origin = dayNumberOf(originDate);
  for (let step = dates.length; step < steps; step++) dates.push(isoDateOfDayNumber(origin + step + 1));
  return dates;
}
