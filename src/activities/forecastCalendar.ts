import type { PipelineSettings } from '../lib/config/settings';
import { ValidationError } from '../lib/errors';
import type { EventCalendar } from '../lib/forecast';
import { parseEventsCsv } from '../lib/forecast/events/eventsFile';
import { checkHolidayCountry } from '../lib/forecast/events/holidays';
import type { LakeOperationOptions, LakeStore } from '../lib/lake/lakeStore';

/**
 * The forecast calendar from the settings: the holiday country (and region) and the events file
 * in the lake. Undefined when none is configured, so forecasts are unchanged without a calendar.
 * A bad country or events file fails here, once, with the setting named.
 */
export async function loadForecastCalendar(
  lake: LakeStore,
  settings: Pick<PipelineSettings, 'DEMAND_HOLIDAY_COUNTRY' | 'DEMAND_HOLIDAY_REGION' | 'DEMAND_EVENTS_PATH'>,
  options: LakeOperationOptions = {},
): Promise<EventCalendar | undefined> {
  const country = settings.DEMAND_HOLIDAY_COUNTRY.toUpperCase();
  const region = settings.DEMAND_HOLIDAY_REGION.toUpperCase();
  const eventsPath = settings.DEMAND_EVENTS_PATH;
  if (!country && !eventsPath) return undefined;
  const calendar: EventCalendar = {};
  if (country) {
    try {
      checkHolidayCountry(country, region || undefined);
    } catch (e) {
      if (e instanceof ValidationError)
        throw new ValidationError('DEMAND_HOLIDAY_COUNTRY', `DEMAND_HOLIDAY_COUNTRY/DEMAND_HOLIDAY_REGION: ${e.message}`, { cause: e });
      throw e;
    }
    calendar.holidayCountry = country;
    if (region) calendar.holidayRegion = region;
  }
  if (eventsPath) {
    const text = (await lake.read(eventsPath, options)).toString('utf8');
    try {
      calendar.events = parseEventsCsv(text);
    } catch (e) {
      if (e instanceof ValidationError) throw new ValidationError(e.field, `DEMAND_EVENTS_PATH ${eventsPath}: ${e.message}`, { cause: e });
      throw e;
    }
  }
  return calendar;
}
