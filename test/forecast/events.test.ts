import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ValidationError } from '../../src/lib/errors';
import { parseEventsCsv } from '../../src/lib/forecast/events/eventsFile';
import { checkHolidayCountry, publicHolidays } from '../../src/lib/forecast/events/holidays';
import { calendarRegressors } from '../../src/lib/forecast/events/regressors';
import type { EventCalendar, EventDay } from '../../src/lib/forecast/events/types';
import { forecastSeries } from '../../src/lib/forecast/forecastSeries';
import { autoArimaModels } from '../../src/lib/forecast/models/autoArima';
import { harmonicModel } from '../../src/lib/forecast/models/harmonic';
import { prophetModel, stopProphetWorker } from '../../src/lib/forecast/models/prophet';
import type { ForecastModel, ModelContext } from '../../src/lib/forecast/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { loadForecastCalendar } from '../../src/activities/forecastCalendar';
import { normalRng } from './rng';

afterAll(async () => {
  await stopProphetWorker();
});

describe('events file', () => {
  it('reads date,sku,event rows, expands end_date ranges and keeps * for every SKU', () => {
    const days = parseEventsCsv('date,sku,event,end_date,note\n2024-03-01,SKU1,spring sale,2024-03-03,x\n2024-03-10,*,tv ad,,\n');
    expect(days).toEqual([
      { date: '2024-03-01', sku: 'SKU1', name: 'spring_sale' },
      { date: '2024-03-02', sku: 'SKU1', name: 'spring_sale' },
      { date: '2024-03-03', sku: 'SKU1', name: 'spring_sale' },
      { date: '2024-03-10', sku: '*', name: 'tv_ad' },
    ]);
  });

  it('names the row, field and value of a bad date, a missing SKU and a wrong header', () => {
    expect(() => parseEventsCsv('date,sku,event\n2024-02-30,A,promo\n')).toThrow(/row 2: date "2024-02-30" is not a YYYY-MM-DD date/);
    expect(() => parseEventsCsv('date,sku,event\n2024-02-03,,promo\n')).toThrow(/row 2: sku is empty/);
    expect(() => parseEventsCsv('day,item,name\n2024-02-03,A,promo\n')).toThrow(ValidationError);
    expect(() => parseEventsCsv('date,sku,event,end_date\n2024-02-03,A,promo,2024-02-01\n')).toThrow(/end_date "2024-02-01"/);
  });
});

describe('holidays (date-holidays)', () => {
  it('knows the public holidays of a country, substitute days under the holiday they replace', () => {
    const gb = publicHolidays('GB', 2011);
    expect(gb.get('2011-12-25')).toBe('Christmas Day');
    expect(gb.get('2011-12-27')).toBe('Christmas Day');
    expect(gb.get('2011-04-22')).toBe('Good Friday');
    expect(gb.has('2011-12-24')).toBe(false);
    expect(publicHolidays('US', 2024).get('2024-07-04')).toBe('Independence Day');
  });

  it('rejects an unknown country or region with the value named', () => {
    expect(() => checkHolidayCountry('XX')).toThrow(/holiday country "XX"/);
    expect(() => checkHolidayCountry('DE', 'ZZ')).toThrow(/region "ZZ"/);
    expect(() => checkHolidayCountry('DE', 'BY')).not.toThrow();
  });

  it('builds one 0/1 column per holiday and per event that applies to the SKU', () => {
    const calendar: EventCalendar = {
      holidayCountry: 'GB',
      events: [
        { date: '2011-12-20', sku: 'A', name: 'promo' },
        { date: '2011-12-21', sku: 'B', name: 'promo' },
        { date: '2011-12-22', sku: '*', name: 'tv' },
      ],
    };
    const cols = calendarRegressors({ calendar, startDate: '2011-12-19', sku: 'A', isDaily: true }, 10);
    expect(cols.names).toEqual(['event_promo', 'event_tv', 'holiday_Boxing Day', 'holiday_Christmas Day']);
    expect(Array.from(cols.columns[0]!)).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(cols.columns[1]!)).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(cols.columns[3]!)).toEqual([0, 0, 0, 0, 0, 0, 1, 0, 1, 0]); // the 25th and its substitute, the 27th
    expect(calendarRegressors({ calendar, startDate: '', sku: 'A', isDaily: false }, 10).names).toEqual([]);
  });
});

/**
 * Synthetic demand: about 40 a day with a mild weekly shape and noise; on 30 promotion days in
 * the history demand is 1.5×. The promotion effect a model forecasts for a future promotion day is
 * its forecast with the promotion in the calendar minus the forecast without it.
 */
describe('a synthetic promotion uplift is recovered within 10%', () => {
  const start = '2023-01-02'; // a Monday
  const n = 420;
  const weekly = [1.0, 1.0, 1.0, 1.05, 1.1, 0.9, 0.95]; // Monday first
  const r = normalRng(21);
  const promoDays = new Set<number>();
  for (let k = 0; promoDays.size < 30; k++) promoDays.add(7 + ((k * 97) % (n - 14)));
  const y = Array.from({ length: n }, (_, t) => Math.max(0, 40 * (weekly[t % 7] as number) * (promoDays.has(t) ? 1.5 : 1) + 2 * r()));
  const iso = (t: number): string => new Date(Date.parse(`${start}T00:00:00Z`) + t * 86_400_000).toISOString().slice(0, 10);
  const history: EventDay[] = [...promoDays].map((t) => ({ date: iso(t), sku: 'S', name: 'promo' }));
  // Future promotion on day n + 7: a Monday (weekly factor 1.0), true uplift 0.5 × 40 = 20.
  const future = n + 7;
  const trueUplift = 20;
  const context = (events: EventDay[]): ModelContext => ({
    season: 7,
    startDayOfWeek: 1,
    isDaily: true,
    timeoutInMs: 20_000,
    memo: new Map(),
    sku: 'S',
    startDate: start,
    calendar: { events },
  });
  const uplift = (model: ForecastModel): number => {
    const withPromo = model.forecast(y, 14, context([...history, { date: iso(future), sku: 'S', name: 'promo' }])).point;
    const without = model.forecast(y, 14, context(history)).point;
    return (withPromo[future - n] as number) - (without[future - n] as number);
  };

  it.each([
    ['harmonic', harmonicModel('harmonic', { yearlyTerms: 20, halfLifeInDays: 365 })],
    ['autoarima_x', autoArimaModels.find((m) => m.name === 'autoarima_x')!],
    ['prophet', prophetModel],
  ])('%s', (_name, model) => {
    const u = uplift(model);
    expect(Math.abs(u / trueUplift - 1)).toBeLessThan(0.1);
  });

  it('reaches the engine through ForecastOptions.calendar (harmonic and autoarima_x forecast the uplift)', () => {
    const calendar: EventCalendar = { events: [...history, { date: iso(future), sku: '*', name: 'promo' }] };
    const f = forecastSeries(
      { sku: 'S', startDate: start, values: y },
      { horizon: 14, season: 7, models: ['harmonic', 'autoarima_x'], calendar },
    );
    const g = forecastSeries(
      { sku: 'S', startDate: start, values: y },
      { horizon: 14, season: 7, models: ['harmonic', 'autoarima_x'], calendar: { events: history } },
    );
    expect((f.point[future - n] as number) - (g.point[future - n] as number)).toBeGreaterThan(0.9 * trueUplift);
    expect((f.point[future - n] as number) - (g.point[future - n] as number)).toBeLessThan(1.1 * trueUplift);
  });
});

describe('calendar from the settings (loadForecastCalendar)', () => {
  const settings = (country: string, eventsPath: string, region = '') => ({
    DEMAND_HOLIDAY_COUNTRY: country,
    DEMAND_HOLIDAY_REGION: region,
    DEMAND_EVENTS_PATH: eventsPath,
  });
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'calendar-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is undefined without settings, and reads the country and the lake events file', async () => {
    const lake = FileSystemLake.fromDirectory(dir);
    expect(await loadForecastCalendar(lake, settings('', ''))).toBeUndefined();
    await lake.put('config/events.csv', Buffer.from('date,sku,event\n2024-11-29,*,black friday\n'));
    expect(await loadForecastCalendar(lake, settings('de', 'config/events.csv', 'by'))).toEqual({
      holidayCountry: 'DE',
      holidayRegion: 'BY',
      events: [{ date: '2024-11-29', sku: '*', name: 'black_friday' }],
    });
  });

  it('names the setting and the row of a bad events file, and the value of an unknown country', async () => {
    const lake = FileSystemLake.fromDirectory(dir);
    await lake.put('config/bad.csv', Buffer.from('date,sku,event\n29/11/2024,*,black friday\n'));
    await expect(loadForecastCalendar(lake, settings('', 'config/bad.csv'))).rejects.toThrow(
      /DEMAND_EVENTS_PATH config\/bad.csv: events file row 2: date "29\/11\/2024"/,
    );
    await expect(loadForecastCalendar(lake, settings('QQ', ''))).rejects.toThrow(
      /DEMAND_HOLIDAY_COUNTRY\/DEMAND_HOLIDAY_REGION: holiday country "QQ"/,
    );
  });
});
