import {
  demandOverDays,
  normalQuantile,
  planInventoryRows,
  planSkuInventory,
  projectCover,
  type ForecastDay,
  type InventoryPolicy,
} from '../../src/lib/inventory';
import { ValidationError } from '../../src/lib/errors';

const z95 = 1.6448536269514722; // Φ⁻¹(0.95)

/** n forecast days after 2011-12-09 with mean `mean` and daily σ `sigma` (90% interval = mean ± z95·σ). */
function flatForecast(n: number, mean: number, sigma: number, start = '2011-12-10'): ForecastDay[] {
  const first = new Date(`${start}T00:00:00Z`).getTime();
  return Array.from({ length: n }, (_, i) => ({
    targetDate: new Date(first + i * 86_400_000).toISOString().slice(0, 10),
    point: mean,
    q05: mean - z95 * sigma,
    q95: mean + z95 * sigma,
  }));
}

const policy: InventoryPolicy = { serviceLevel: 0.95, leadTimeDays: 4, reviewPeriodDays: 3 };

describe('normalQuantile', () => {
  it('matches tabulated z values', () => {
    expect(normalQuantile(0.95)).toBeCloseTo(1.644854, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.99)).toBeCloseTo(2.326348, 6);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 6);
  });
  it('rejects p outside (0, 1)', () => {
    expect(() => normalQuantile(1)).toThrow(ValidationError);
  });
});

describe('planSkuInventory on hand-computed cases', () => {
  it('steady demand, low stock: reorder now', () => {
    // 7 days of μ=10, σ=2. Lead time 4 days, review 3 days, service level 0.95.
    // Lead-time demand: M_L = 4·10 = 40, σ_L = √(4·2²) = 4.
    // Safety stock SS = 1.644854·4 = 6.579415; reorder point ROP = 40 + 6.579415 = 46.579415.
    // Order-up-to over L+R = 7 days: M = 70, σ = √(7·4) = 5.291503, S = 70 + 1.644854·5.291503 = 78.703744.
    // Position IP = 30 on hand + 5 on order = 35 ≤ ROP → reorder_now; qty = ⌈78.703744 − 35⌉ = ⌈43.70⌉ = 44.
    // Cover: 30 units / 10 per day = 3.0 days; cumulative demand exceeds 30 on day 4 = 2011-12-13.
    // At risk: 2011-12-13 ≤ as-of + lead time = 2011-12-09 + 4 = 2011-12-13 → yes.
    const result = planSkuInventory(
      { sku: 'A', asOf: '2011-12-09', forecast: flatForecast(7, 10, 2), stock: { onHand: 30, onOrder: 5 } },
      policy,
    );
    expect(result.leadTimeDemand).toBeCloseTo(40, 9);
    expect(result.leadTimeSigma).toBeCloseTo(4, 6);
    expect(result.safetyStock).toBeCloseTo(6.579415, 5);
    expect(result.reorderPoint).toBeCloseTo(46.579415, 5);
    expect(result.orderUpTo).toBeCloseTo(78.703744, 5);
    expect(result.orderQty).toBe(44);
    expect(result.action).toBe('reorder_now');
    expect(result.daysOfCover).toBeCloseTo(3, 9);
    expect(result.stockoutDate).toBe('2011-12-13');
    expect(result.atRisk).toBe(true);
  });

  it('position between ROP and S: watch; uneven days and fractional cover', () => {
    // Means by day: 5, 15, 10, 10, 20, 0, 10; σ=0 every day (interval collapsed).
    // M_L (4 days) = 5+15+10+10 = 40, SS = 0, ROP = 40. S over 7 days = 70.
    // IP = 60 on hand + 0 on order: 40 < 60 < 70 → watch, qty = ⌈70 − 60⌉ = 10.
    // Cover: cumulative 5, 20, 30, 40, 60 — the 5th day ends with exactly 60, not more;
    // day 6 has no demand; day 7 (cumulative 70) exceeds 60 → cover = 6 + (60 − 60)/10 = 6.0, stockout 2011-12-16.
    const means = [5, 15, 10, 10, 20, 0, 10];
    const forecast = flatForecast(7, 0, 0).map((d, i) => ({ ...d, point: means[i]!, q05: means[i]!, q95: means[i]! }));
    const result = planSkuInventory({ sku: 'B', asOf: '2011-12-09', forecast, stock: { onHand: 60, onOrder: 0 } }, policy);
    expect(result.safetyStock).toBe(0);
    expect(result.reorderPoint).toBeCloseTo(40, 9);
    expect(result.orderUpTo).toBeCloseTo(70, 9);
    expect(result.action).toBe('watch');
    expect(result.orderQty).toBe(10);
    expect(result.daysOfCover).toBeCloseTo(6, 9);
    expect(result.stockoutDate).toBe('2011-12-16');
    expect(result.atRisk).toBe(false);

    // With 25 on hand: cumulative 5, 20, 30 → runs out during day 3: cover = 2 + (25 − 20)/10 = 2.5.
    const short = projectCover('2011-12-09', forecast, 25);
    expect(short.daysOfCover).toBeCloseTo(2.5, 9);
    expect(short.stockoutDate).toBe('2011-12-12');
  });

  it('plenty of stock: ok, cover extrapolated past the horizon', () => {
    // 7 days of μ=2, σ=1. Horizon total 14; on hand 100 → 14 + (100 − 14)/2 = 50 days of cover;
    // stockout on the 51st day after 2011-12-09 = 2012-01-29.
    // ROP = 8 + 1.644854·√4 = 11.289707; S = 14 + 1.644854·√7 = 18.351874; IP = 100 > S → ok, qty 0.
    const result = planSkuInventory(
      { sku: 'C', asOf: '2011-12-09', forecast: flatForecast(7, 2, 1), stock: { onHand: 100, onOrder: 0 } },
      policy,
    );
    expect(result.daysOfCover).toBeCloseTo(50, 9);
    expect(result.stockoutDate).toBe('2012-01-29');
    expect(result.reorderPoint).toBeCloseTo(11.289707, 5);
    expect(result.orderUpTo).toBeCloseTo(18.351874, 5);
    expect(result.action).toBe('ok');
    expect(result.orderQty).toBe(0);
  });

  it('no stock observation: no_stock_data, still reports safety stock', () => {
    const result = planSkuInventory(
      { sku: 'D', asOf: '2011-12-09', forecast: flatForecast(7, 10, 2), stock: { onHand: null, onOrder: 0 } },
      policy,
    );
    expect(result.action).toBe('no_stock_data');
    expect(result.orderQty).toBe(0);
    expect(result.daysOfCover).toBeNull();
    expect(result.safetyStock).toBeCloseTo(6.579415, 5);
  });

  it('no demand: infinite cover (null), nothing to order', () => {
    const result = planSkuInventory(
      { sku: 'E', asOf: '2011-12-09', forecast: flatForecast(7, 0, 0), stock: { onHand: 0, onOrder: 0 } },
      policy,
    );
    expect(result.daysOfCover).toBeNull();
    expect(result.stockoutDate).toBeNull();
    expect(result.action).toBe('ok');
    expect(result.orderQty).toBe(0);
  });

  it('horizon shorter than lead time + review: flat continuation', () => {
    // 2 days with μ = 4 and 6 (σ 0): average 5 per day. L+R = 7 days → 4 + 6 + 5·5 = 35.
    const forecast = flatForecast(2, 0, 0).map((d, i) => ({ ...d, point: i === 0 ? 4 : 6, q05: 0, q95: 0 }));
    forecast[0]!.q05 = 4;
    forecast[0]!.q95 = 4;
    forecast[1]!.q05 = 6;
    forecast[1]!.q95 = 6;
    expect(demandOverDays(forecast, 7).mean).toBeCloseTo(35, 9);
  });

  it('rejects a bad policy naming the field', () => {
    expect(() =>
      planSkuInventory({ sku: 'A', asOf: '2011-12-09', forecast: [], stock: { onHand: 1, onOrder: 0 } }, { ...policy, leadTimeDays: -1 }),
    ).toThrow(/Lead time.*-1/);
  });
});

describe('planInventoryRows', () => {
  it('groups forecast rows, picks the latest stock at the origin and writes Gold rows', () => {
    const forecastRows = flatForecast(7, 10, 2).flatMap((d, i) => [
      {
        run_id: 'r1',
        sku: 'A',
        origin_date: '2011-12-09',
        target_date: d.targetDate,
        step: i + 1,
        point: d.point,
        q05: d.q05,
        q25: 0,
        q50: 10,
        q75: 0,
        q95: d.q95,
        model: 'ets',
      },
      {
        run_id: 'r1',
        sku: 'B',
        origin_date: '2011-12-09',
        target_date: d.targetDate,
        step: i + 1,
        point: d.point,
        q05: d.q05,
        q25: 0,
        q50: 10,
        q75: 0,
        q95: d.q95,
        model: 'ets',
      },
    ]);
    const dailyDemand = [
      { sku: 'A', date: '2011-12-08', on_hand: 500 },
      { sku: 'A', date: '2011-12-09', on_hand: 30 },
      // After the origin: must be ignored.
      { sku: 'A', date: '2011-12-10', on_hand: 999 },
      { sku: 'B', date: '2011-12-09', on_hand: null },
    ];
    // A snapshot older than A's demand observation loses; B only has a snapshot.
    const snapshots = [
      { sku: 'A', snapshot_date: '2011-12-01', on_hand: 7, on_order: 3 },
      { sku: 'B', snapshot_date: '2011-12-05', on_hand: 200, on_order: 10 },
    ];
    const plan = planInventoryRows('r1', forecastRows, dailyDemand, snapshots, policy);
    expect(plan.rows).toEqual([
      {
        run_id: 'r1',
        sku: 'A',
        as_of: '2011-12-09',
        on_hand: 30,
        days_of_cover: 3,
        stockout_date: '2011-12-13',
        safety_stock: 6.58,
        reorder_point: 46.58,
        order_qty: 49,
        service_level: 0.95,
        lead_time_days: 4,
        action: 'reorder_now',
      },
      {
        // IP = 200 + 10 > S = 78.70 → ok. Cover: 70 over the horizon, then (200 − 70)/10 = 13 → 20 days.
        run_id: 'r1',
        sku: 'B',
        as_of: '2011-12-09',
        on_hand: 200,
        days_of_cover: 20,
        stockout_date: '2011-12-30',
        safety_stock: 6.58,
        reorder_point: 46.58,
        order_qty: 0,
        service_level: 0.95,
        lead_time_days: 4,
        action: 'ok',
      },
    ]);
    // A: qty = ⌈78.703744 − 30⌉ = 49 (no on-order on the daily-demand observation).
    expect(plan.summary).toEqual({ skus: 2, atRisk: 1, reorderSuggested: 1 });
  });
});

describe('the daily mean is the expected units, the point only where expected is missing', () => {
  // 7 days with a median-type point of 2 and expected units of 5 (a skewed count: mean above median),
  // σ = 1 a day. Lead time 4, review 3, service level 0.95.
  const skewed = (expected: Array<number | null | undefined>): ForecastDay[] =>
    flatForecast(7, 5, 1).map((d, i) => ({ ...d, point: 2, expected: expected[i] }));

  it('a SKU whose point is below its expected units gets its reorder point from Σ expected', () => {
    // M_L = 4·5 = 20 (Σ point would give 8), σ_L = √4 = 2, SS = 1.644854·2 = 3.289707, ROP = 23.289707.
    // S over 7 days: 35 + 1.644854·√7 = 39.351874. IP = 10 ≤ ROP → reorder_now, qty = ⌈29.35⌉ = 30.
    const result = planSkuInventory(
      { sku: 'SKEW', asOf: '2011-12-09', forecast: skewed(Array<number>(7).fill(5)), stock: { onHand: 10, onOrder: 0 } },
      policy,
    );
    expect(result.meanSource).toBe('expected');
    expect(result.leadTimeDemand).toBeCloseTo(20, 9);
    expect(result.reorderPoint).toBeCloseTo(23.289707, 5);
    expect(result.orderUpTo).toBeCloseTo(39.351874, 5);
    expect(result.orderQty).toBe(30);
    expect(result.action).toBe('reorder_now');
    // Cover walks the expected units too: 10 units at 5 a day last 2 days, out on day 3.
    expect(result.daysOfCover).toBeCloseTo(2, 9);
    expect(result.stockoutDate).toBe('2011-12-12');
  });

  it('falls back to max(0, point) day by day where expected is null, absent or not a number', () => {
    // Days 1–2 have no expected (null, then absent), day 3 NaN: their mean is the point 2; day 4 is 5.
    // M_L = 2 + 2 + 2 + 5 = 11; beyond the lead time days 5–7 are 5 each: M_{L+R} = 26.
    const result = planSkuInventory(
      { sku: 'MIX', asOf: '2011-12-09', forecast: skewed([null, undefined, Number.NaN, 5, 5, 5, 5]), stock: { onHand: 100, onOrder: 0 } },
      policy,
    );
    expect(result.meanSource).toBe('mixed');
    expect(result.leadTimeDemand).toBeCloseTo(11, 9);
    expect(result.orderUpTo).toBeCloseTo(26 + 1.644854 * Math.sqrt(7), 5);
  });

  it('a forecast without any expected units plans on the point, as before the column existed', () => {
    const forecast = flatForecast(7, 10, 2);
    const result = planSkuInventory({ sku: 'OLD', asOf: '2011-12-09', forecast, stock: { onHand: 30, onOrder: 5 } }, policy);
    expect(result.meanSource).toBe('point');
    expect(result.leadTimeDemand).toBeCloseTo(40, 9);
    expect(result.reorderPoint).toBeCloseTo(46.579415, 5);
  });

  it('an all-zero median with a positive expected rate still has a finite cover and a reorder point above safety stock', () => {
    // Intermittent SKU: point 0 every day, expected 0.5 a day. On hand 3 → 6 days of cover, out on day 7.
    const forecast = flatForecast(14, 0, 0).map((d) => ({ ...d, q95: 2, expected: 0.5 }));
    const result = planSkuInventory({ sku: 'INT', asOf: '2011-12-09', forecast, stock: { onHand: 3, onOrder: 0 } }, policy);
    expect(result.leadTimeDemand).toBeCloseTo(2, 9);
    expect(result.reorderPoint).toBeCloseTo(2 + result.safetyStock, 9);
    expect(result.daysOfCover).toBeCloseTo(6, 9);
    expect(result.stockoutDate).toBe('2011-12-16');
  });

  it('planInventoryRows reads expected from Gold rows and falls back to the point for rows without it', () => {
    const row = (day: number, expected?: number | null) => ({
      run_id: 'r',
      sku: 'S',
      origin_date: '2011-12-09',
      target_date: `2011-12-${String(9 + day).padStart(2, '0')}`,
      point: 2,
      q05: 2,
      q95: 2,
      ...(expected === undefined ? {} : { expected }),
    });
    const stock = [{ sku: 'S', date: '2011-12-09', on_hand: 50 }];
    const withExpected = planInventoryRows(
      'r',
      [1, 2, 3, 4].map((d) => row(d, 6)),
      stock,
      [],
      policy,
    );
    expect(withExpected.actions[0]!.leadTimeDemand).toBeCloseTo(24, 9);
    const oldLake = planInventoryRows(
      'r',
      [1, 2, 3, 4].map((d) => row(d)),
      stock,
      [],
      policy,
    );
    expect(oldLake.actions[0]!.leadTimeDemand).toBeCloseTo(8, 9);
    const nulls = planInventoryRows(
      'r',
      [1, 2, 3, 4].map((d) => row(d, null)),
      stock,
      [],
      policy,
    );
    expect(nulls.actions[0]!.leadTimeDemand).toBeCloseTo(8, 9);
  });
});
