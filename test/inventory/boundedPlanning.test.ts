/**
 * What inventory planning holds does not grow with the rows it reads: the forecast spill's buffers
 * stay within the spill size whatever the fleet, and a SKU's stock is one record however many days
 * of Silver rows observe it.
 */
import { ForecastBuckets } from '../../src/lib/inventory/forecastBuckets';
import { LatestStock } from '../../src/lib/inventory/stockPosition';
import { ForecastGroups } from '../../src/lib/inventory/planInventoryRows';
import { isoDateOfDayNumber, dayNumberOf } from '../../src/lib/calendar/dayNumbers';

const origin = '2024-06-30';
const sku = (i: number) => `SKU-${String(i).padStart(6, '0')}`;

async function spillFleet(skus: number, spillRows: number): Promise<{ maxHeld: number; rows: number; buckets: number }> {
  const asOf = new Map(Array.from({ length: skus }, (_, i) => [sku(i), origin]));
  const buckets = await ForecastBuckets.create(asOf, { bucketSkus: 50, spillRows });
  let maxHeld = 0;
  try {
    // Rows interleaved across every bucket (the worst order for the buffers): day by day over the fleet.
    for (let d = 1; d <= 14; d++) {
      const target = isoDateOfDayNumber(dayNumberOf(origin) + d);
      for (let i = 0; i < skus; i++) {
        const spilled = buckets.addValues(sku(i), origin, target, d, 0, 2 * d, d % 3 === 0 ? null : d + 0.5);
        if (spilled) await spilled;
        maxHeld = Math.max(maxHeld, buckets.heldValues);
      }
    }
    let rows = 0;
    for await (const bucket of buckets.buckets()) for (const f of bucket.values()) rows += f.days.length;
    return { maxHeld, rows, buckets: buckets.bucketCount };
  } finally {
    await buckets.close();
  }
}

describe('bounded inventory planning', () => {
  it('holds at most one spill of forecast rows, the same at 4× the fleet', async () => {
    const spillRows = 500;
    const small = await spillFleet(400, spillRows);
    const large = await spillFleet(1600, spillRows);
    expect([small.rows, large.rows]).toEqual([400 * 14, 1600 * 14]);
    // Each touched bucket's buffer starts at 64 rows and at most doubles past what it holds: 6 values a row.
    const bound = (buckets: number) => 6 * (2 * spillRows + 64 * Math.min(buckets, spillRows));
    expect(small.maxHeld).toBeLessThanOrEqual(bound(small.buckets));
    expect(large.maxHeld).toBeLessThanOrEqual(bound(large.buckets));
    // 4× the SKUs and rows: not 4× the buffers (only the buckets' first allocations are added).
    expect(large.maxHeld).toBeLessThan(2 * small.maxHeld);
  });

  it('gives the SKUs one at a time in SKU order, each with its days in added order across spills (as ForecastGroups groups them)', async () => {
    const asOf = new Map(Array.from({ length: 30 }, (_, i) => [sku(i), origin]));
    asOf.set(sku(30), origin); // a SKU without rows still gets its (empty) turn
    const buckets = await ForecastBuckets.create(asOf, { bucketSkus: 7, spillRows: 13 });
    const groups = new ForecastGroups();
    try {
      // Targets in a scrambled order, SKUs interleaved, several spills per bucket.
      for (let n = 0; n < 30 * 10; n++) {
        const i = (n * 7) % 30;
        const d = ((n * 11) % 10) + 1;
        const row = {
          sku: sku(i),
          origin_date: origin,
          target_date: isoDateOfDayNumber(dayNumberOf(origin) + d),
          point: n,
          q05: 0,
          q95: n + 1,
          expected: n % 4 === 0 ? null : n / 2,
        };
        const spilled = buckets.add(row);
        if (spilled) await spilled;
        groups.add(row);
      }
      const seen: string[] = [];
      for await (const members of buckets.skuForecasts()) {
        for (const { sku: s, forecast } of members) {
          seen.push(s);
          expect(forecast).toEqual(groups.bySku.get(s) ?? { asOf: origin, days: [] });
        }
      }
      expect(seen).toEqual([...asOf.keys()].sort());
    } finally {
      await buckets.close();
    }
  });

  it('keeps one stock record per SKU, updated in place as newer days come', () => {
    const stock = new LatestStock(new Map([['A', '2024-06-30']]));
    stock.addDemandValues('A', '2024-06-01', 5);
    const first = stock.of('A');
    const seen = new Set([first]);
    for (let d = 2; d <= 30; d++) {
      stock.addDemandValues('A', `2024-06-${String(d).padStart(2, '0')}`, d);
      seen.add(stock.of('A'));
    }
    stock.addDemandValues('A', '2024-07-01', 99); // after the origin: ignored
    expect(seen.size).toBe(1);
    expect(stock.of('A')).toEqual({ onHand: 30, onOrder: 0, observedOn: '2024-06-30' });
    stock.addSnapshotValues('A', '2024-06-30', 7, 3); // a snapshot on the same day wins the tie
    expect(stock.of('A')).toEqual({ onHand: 7, onOrder: 3, observedOn: '2024-06-30' });
  });
});
