import Holidays from 'date-holidays';
import { ValidationError } from '../../errors';

/**
 * Public holidays of a country from `date-holidays` (a maintained calendar of ~200 countries).
 * Only `public` holidays count: bank holidays and observances rarely move retail demand alike.
 * Substitute days are the holiday they replace. Cached per country, region and year.
 */
const cache = new Map<string, ReadonlyMap<string, string>>();

function calendarFor(country: string, region: string | undefined): Holidays {
  const hd = new Holidays();
  const known = country.toUpperCase() in hd.getCountries() && (!region || region.toUpperCase() in (hd.getStates(country) ?? {}));
  if (known) hd.init(country, region ?? '');
  if (!known) {
    throw new ValidationError(
      'holidayCountry',
      `holiday country "${country}"${region ? ` region "${region}"` : ''} is not known to date-holidays`,
    );
  }
  return hd;
}

/** Holiday name by YYYY-MM-DD for one year. */
export function publicHolidays(country: string, year: number, region?: string): ReadonlyMap<string, string> {
  const key = `${country}/${region ?? ''}/${year}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const out = new Map<string, string>();
  for (const h of calendarFor(country, region).getHolidays(year)) {
    if (h.type !== 'public') continue;
    const name = h.name.replace(/\s*\(substitute day\)\s*$/i, '');
    out.set(h.date.slice(0, 10), name);
  }
  cache.set(key, out);
  return out;
}

/** Throws a ValidationError when the country (and region) is unknown. */
export function checkHolidayCountry(country: string, region?: string): void {
  calendarFor(country, region);
}
