/**
 * Inventory projections are bounded and total: whatever the forecast (near-zero, zero, negative,
 * NaN, infinite, huge), every figure is finite, every date is a valid YYYY-MM-DD within the
 * documented cover horizon, and the Gold row passes the inventory_actions schema check that failed
 * the full-data run ("42068-02-17" for SKU 90001D at 1.4e-7 a day with 2 on hand).
 */
import { rowValidator } from '../../src/lib/delta/schema';
import { SkuError, ValidationError } from '../../src/lib/errors';
import {
  coverHorizonDays,
  planInventoryRows,
  planSkuInventory,
  projectCover,
  toInventoryActionRow,
  type ForecastDay,
  type InventoryPolicy,
} from '../../src/lib/inventory';
import { lakeTables } from '../../src/lib/lakeTables';

const policy: InventoryPolicy = { serviceLevel: 0.95, leadTimeDays: 7, reviewPeriodDays: 7 };
const validate = rowValidator('gold/inventory_actions', lakeTables.inventory_actions.schema);

function forecast(n: number, point: number, q05 = point, q95 = point): ForecastDay[] {
  const first = Date.parse('2011-12-10T00:00:00Z');
  return Array.from({ length: n }, (_, i) => ({
    targetDate: new Date(first + i * 86_400_000).toISOString().slice(0, 10),
    point,
    q05,
    q95,
  }));
}

const isDate = (d: string | null) => d === null || (/^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(`${d}T00:00:00Z`)));

describe('projectCover is bounded by the cover horizon', () => {
  it(`caps cover at ${coverHorizonDays} days for a near-zero forecast (the SKU 90001D case) instead of a year-42068 date`, () => {
    const cover = projectCover('2011-12-09', forecast(28, 1.4e-7), 2);
    expect(cover).toEqual({ daysOfCover: coverHorizonDays, stockoutDate: null, beyondHorizon: true });
  });

  it('caps a forecast of 3.3e-31 a day (was: RangeError Invalid time value)', () => {
    expect(projectCover('2011-12-09', forecast(28, 3.3e-31), 1_000)).toMatchObject({
      daysOfCover: coverHorizonDays,
      stockoutDate: null,
      beyondHorizon: true,
    });
  });

  it('projects a stockout just inside the horizon and caps one just beyond it', () => {
    // 1 a day, 28 days of forecast, then the same rate: 364 on hand lasts 364 days → stockout day 365.
    expect(projectCover('2011-12-09', forecast(28, 1), 364)).toEqual({
      daysOfCover: 364,
      stockoutDate: '2012-12-08',
      beyondHorizon: false,
    });
    expect(projectCover('2011-12-09', forecast(28, 1), 365)).toMatchObject({
      daysOfCover: coverHorizonDays,
      stockoutDate: null,
      beyondHorizon: true,
    });
  });

  it('keeps "no demand at all" as null cover (infinite), not beyond-horizon', () => {
    expect(projectCover('2011-12-09', forecast(28, 0), 5)).toEqual({ daysOfCover: null, stockoutDate: null, beyondHorizon: false });
    expect(projectCover('2011-12-09', [], 5)).toEqual({ daysOfCover: null, stockoutDate: null, beyondHorizon: false });
  });

  it('treats negative, NaN and infinite points as no demand', () => {
    for (const bad of [-5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(projectCover('2011-12-09', forecast(28, bad), 5)).toEqual({ daysOfCover: null, stockoutDate: null, beyondHorizon: false });
    }
  });

  it('gives a finite cover and a valid date for a huge forecast', () => {
    const cover = projectCover('2011-12-09', forecast(28, 1e300), 2);
    expect(cover.stockoutDate).toBe('2011-12-10');
    expect(Number.isFinite(cover.daysOfCover)).toBe(true);
    expect(cover.daysOfCover).toBeGreaterThanOrEqual(0);
  });

  it('rejects an invalid forecast origin with a ValidationError naming the field and the value', () => {
    expect(() => projectCover('42068-02-17', forecast(3, 1), 2)).toThrow(ValidationError);
    expect(() => projectCover('2011-13-45', forecast(3, 1), 2)).toThrow(/asOf.*"2011-13-45"/);
  });
});

describe('planSkuInventory is total: every Gold row passes the inventory_actions schema', () => {
  const cases: Array<[string, ForecastDay[], number | null]> = [
    ['near zero', forecast(28, 1.4e-7), 2],
    ['3.3e-31', forecast(28, 3.3e-31), 2],
    ['zero', forecast(28, 0), 2],
    ['negative', forecast(28, -3, -10, 4), 2],
    ['NaN point and quantiles', forecast(28, Number.NaN, Number.NaN, Number.NaN), 2],
    ['infinite quantiles', forecast(28, 5, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY), 40],
    ['huge', forecast(28, 1e300, 0, 1e308), 2],
    ['huge on hand', forecast(28, 1e-3), 1e15],
    ['no stock data', forecast(28, 2), null],
  ];
  it.each(cases)('%s', (_label, days, onHand) => {
    const action = planSkuInventory({ sku: 'X', asOf: '2011-12-09', forecast: days, stock: { onHand, onOrder: 0 } }, policy);
    for (const value of [
      action.leadTimeDemand,
      action.leadTimeSigma,
      action.safetyStock,
      action.reorderPoint,
      action.orderUpTo,
      action.orderQty,
    ]) {
      expect(Number.isFinite(value)).toBe(true);
    }
    expect(action.daysOfCover === null || (action.daysOfCover >= 0 && action.daysOfCover <= coverHorizonDays)).toBe(true);
    expect(isDate(action.stockoutDate)).toBe(true);
    if (action.stockoutDate) expect(action.stockoutDate <= '2012-12-08').toBe(true);
    const row = toInventoryActionRow('run-1', action, policy);
    expect(() => validate(row, 0)).not.toThrow();
  });
});

describe('planInventoryRows names the SKU and the table when one SKU cannot be planned', () => {
  it('wraps the failure in a SkuError', () => {
    const rows = [{ sku: '90001D', origin_date: 'not-a-date', target_date: '2011-12-10', point: 1, q05: 0, q95: 2 }];
    let error: unknown;
    try {
      planInventoryRows('run-1', rows, [], [], policy);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SkuError);
    expect((error as SkuError).message).toMatch(/SKU 90001D \(inventory policy, table gold\/inventory_actions\): Forecast origin \(asOf\)/);
    expect((error as SkuError).code).toBe('validation');
  });
});
