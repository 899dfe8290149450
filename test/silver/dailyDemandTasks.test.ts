import { decodeParquet } from '../../src/lib/delta/parquet';
import { lakeTables } from '../../src/lib/lakeTables';
import { OnHandIndex, type DayRange } from '../../src/lib/silver/dailyDemand';
import { buildDailyDemandFiles, dailyDemandTasks } from '../../src/lib/silver/dailyDemandTask';
import { DemandLines } from '../../src/lib/silver/demandLines';
import { dayNumber } from '../../src/lib/silver/orderRecord';

/** Twelve SKUs, each with a few lines in June 2011 and a range from its first to its last line (some beyond June). */
function fixture() {
  const window = new DemandLines();
  const ranges = new Map<string, DayRange>();
  const skus: string[] = [];
  for (let k = 0; k < 12; k++) {
    const sku = `2${String(k).padStart(4, '0')}`;
    skus.push(sku);
    const days = [1 + k, 5 + k, 20 - (k % 4)].map((d) => `2011-06-${String(d).padStart(2, '0')}`);
    for (const [i, date] of days.entries()) {
      window.add({
        sku,
        orderDate: date,
        orderTs: `${date}T10:00:00.000Z`,
        quantity: 1 + i + k,
        revenue: 2 * (1 + i + k),
        invoiceNo: `5${k}${i}`,
        customerId: k % 3 ? `c${k % 5}` : null,
      });
    }
    ranges.set(sku, {
      first: dayNumber(`2011-06-${String(1 + k).padStart(2, '0')}`),
      last: dayNumber(k % 2 ? '2011-07-15' : '2011-06-25'),
    });
  }
  const onHand = OnHandIndex.fromSnapshots(
    skus.filter((_, k) => k % 4 === 0).map((sku) => ({ sku, snapshotDate: '2011-06-10', onHand: 7 })),
  );
  const fields = [...lakeTables.daily_demand.schema.fields.filter((f) => f.name !== 'month')];
  return { window, options: { skuOrder: skus, ranges, onHand, fields, fileRows: 50 } };
}

async function rowsOf(tasks: ReturnType<typeof dailyDemandTasks>) {
  const rows: Array<Record<string, unknown>> = [];
  for (const { task } of tasks) for (const file of buildDailyDemandFiles(task)) rows.push(...(await decodeParquet(file.bytes)));
  return rows;
}

describe('daily demand tasks cut by SKU run', () => {
  it('give the month’s rows, in order, whether one task holds the month or each holds 40 SKU-days at most', async () => {
    const { window, options } = fixture();
    const whole = dailyDemandTasks(window, '2011-06', options);
    const cut = dailyDemandTasks(window, '2011-06', options, 40);
    expect(whole).toHaveLength(1);
    expect(cut.length).toBeGreaterThan(3);
    for (const { rows } of cut) expect(rows).toBeLessThanOrEqual(40);
    expect(cut.reduce((a, t) => a + t.rows, 0)).toBe(whole[0]!.rows);
    const [a, b] = [await rowsOf(whole), await rowsOf(cut)];
    expect(a).toHaveLength(whole[0]!.rows);
    expect(b).toEqual(a);
    expect(a.some((r) => Number(r['units']) > 0 && r['on_hand'] !== null)).toBe(true);
  });

  it('keeps a SKU whole even when its month alone is over the limit, and a month without SKUs is one empty task', () => {
    const { window, options } = fixture();
    const one = dailyDemandTasks(window, '2011-06', options, 1);
    expect(one.map((t) => t.task.skus.length)).toEqual(Array(12).fill(1));
    expect(dailyDemandTasks(window, '2012-01', options).map((t) => t.rows)).toEqual([0]);
  });
});
