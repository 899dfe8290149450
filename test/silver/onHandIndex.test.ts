/**
 * The stock index the main thread holds through the Silver month pass (the fleet's snapshots) and
 * the stock figures it holds through the scan: compact columns with the answers of the plain maps
 * and objects they replaced.
 */
import { describe, expect, it } from '@jest/globals';
import { OnHandIndex } from '../../src/lib/silver/dailyDemand';
import { dayFromNumber, dayNumber } from '../../src/lib/silver/orderRecord';
import { StockFigures } from '../../src/lib/silver/stockFigures';

interface Snapshot {
  sku: string;
  snapshotDate: string;
  onHand: number;
}

function snapshots(count: number, skus: number, seed: number): Snapshot[] {
  let x = seed;
  const rnd = (n: number): number => (x = (x * 1103515245 + 12345) % 2 ** 31) % n;
  const first = dayNumber('2011-01-01');
  return Array.from({ length: count }, () => ({
    sku: `SKU${rnd(skus)}`,
    snapshotDate: dayFromNumber(first + rnd(90)),
    onHand: rnd(500),
  }));
}

/** The index as plain maps: per SKU and day the last record, days in order. */
function reference(list: readonly Snapshot[]): Map<string, Array<[number, number]>> {
  const bySku = new Map<string, Map<number, number>>();
  for (const s of list) {
    let m = bySku.get(s.sku);
    if (!m) bySku.set(s.sku, (m = new Map<number, number>()));
    m.set(dayNumber(s.snapshotDate), s.onHand);
  }
  return new Map([...bySku].map(([sku, m]) => [sku, [...m].sort((a, b) => a[0] - b[0])]));
}

describe('the stock index', () => {
  it('answers as the per-SKU maps did: the latest snapshot at or before a day, a later record of a day replacing an earlier one', () => {
    const list = snapshots(3000, 120, 7);
    const index = OnHandIndex.fromSnapshots(list);
    const ref = reference(list);
    expect(index.size).toBe([...ref.values()].reduce((n, days) => n + days.length, 0));
    const first = dayNumber('2011-01-01');
    for (const sku of [...ref.keys(), 'SKU-none']) {
      for (let day = first - 2; day < first + 95; day += 1) {
        const days = ref.get(sku) ?? [];
        const inForce = days.filter(([d]) => d <= day).at(-1);
        expect(index.onHand(sku, day)).toBe(inForce ? inForce[1] : null);
      }
    }
  });

  it('slices the snapshots deciding a month as before, and is rebuilt from its slice on a worker', () => {
    const list = snapshots(2000, 60, 11);
    const index = OnHandIndex.fromSnapshots(list);
    const ref = reference(list);
    const skus = ['SKU-none', ...[...ref.keys()].sort()];
    const first = dayNumber('2011-02-01');
    const last = dayNumber('2011-02-28');
    const slice = index.sliceFor(skus, first, last);
    const expected: Array<[number, number, number]> = [];
    skus.forEach((sku, k) => {
      const days = ref.get(sku) ?? [];
      let from = 0;
      while (from + 1 < days.length && (days[from + 1] as [number, number])[0] <= first) from += 1;
      for (let i = from; i < days.length && (days[i] as [number, number])[0] <= last; i += 1) {
        const [d, v] = days[i] as [number, number];
        expected.push([k, d, v]);
      }
    });
    expect([...slice.sku].map((k, i) => [k, slice.day[i], slice.onHand[i]])).toEqual(expected);
    const rebuilt = OnHandIndex.fromColumns(skus, slice);
    for (const sku of skus) for (let day = first; day <= last; day += 1) expect(rebuilt.onHand(sku, day)).toBe(index.onHand(sku, day));
  });
});

describe('the stock figures held through the scan', () => {
  it('give back every snapshot in order, holding each SKU once whatever the number of snapshots', () => {
    const list = snapshots(5000, 50, 3);
    const figures = StockFigures.from(list);
    expect(figures.length).toBe(5000);
    expect([...figures]).toEqual(list.map(({ sku, snapshotDate, onHand }) => ({ sku, snapshotDate, onHand })));
    // Count-based: the SKU strings held grow with the catalogue, not with the snapshots of each SKU.
    expect(figures.distinctSkus).toBe(new Set(list.map((s) => s.sku)).size);
    expect(StockFigures.from(snapshots(20_000, 50, 3)).distinctSkus).toBeLessThanOrEqual(50);
    expect([...StockFigures.none]).toEqual([]);
  });
});
