import { countQuantiles } from '../../src/lib/forecast/conformal';
import { compoundPoissonPmf, compoundPoissonQuantiles, countPmf, rankedProbabilityScore } from '../../src/lib/forecast/countShape';
import { orderSizesOf, type OrderSizes } from '../../src/lib/forecast/orderSizes';
import { seededRandom } from '../../src/lib/sample/seededRandom';
import { poissonDraw } from './rng';

const unitOrders: OrderSizes = { sizes: [1], probs: [1], mean: 1, meanSquare: 1, saleDays: 10 };

describe('compound Poisson day', () => {
  it('with orders of one unit is the Poisson distribution', () => {
    const pmf = compoundPoissonPmf(2, unitOrders, 30);
    const poisson = countPmf(2, 2, 30);
    pmf.forEach((p, k) => expect(p).toBeCloseTo(poisson[k] as number, 12));
    expect(compoundPoissonQuantiles(2, unitOrders, [0.05, 0.25, 0.5, 0.75, 0.95])).toEqual(
      countQuantiles(2, 2, [0.05, 0.25, 0.5, 0.75, 0.95]),
    );
  });

  it('puts its mass on sums of order sizes and keeps the zero day', () => {
    const orders: OrderSizes = { sizes: [12, 24], probs: [0.75, 0.25], mean: 15, meanSquare: 252, saleDays: 20 };
    const pmf = compoundPoissonPmf(3, orders, 200);
    expect(pmf[0]).toBeCloseTo(Math.exp(-0.2), 12);
    pmf.forEach((p, k) => (k % 12 === 0 ? undefined : expect(p).toBe(0)));
    expect(pmf.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 9);
    expect(pmf.reduce((s, p, k) => s + k * p, 0)).toBeCloseTo(3, 6);
    // P(0) = e^-0.2 = 0.819, P(≤12) = 0.819 × (1 + 0.2 × 0.75) = 0.942: q05..q75 are 0, q95 is 24.
    expect(compoundPoissonQuantiles(3, orders, [0.05, 0.5, 0.75, 0.95])).toEqual([0, 0, 0, 24]);
  });

  it('scores a lumpy actual better than a negative binomial of the same mean and variance does', () => {
    const orders: OrderSizes = { sizes: [25], probs: [1], mean: 25, meanSquare: 625, saleDays: 20 };
    const cp = compoundPoissonPmf(5, orders, 300);
    const nb = countPmf(5, 5 * 25, 300);
    expect(rankedProbabilityScore(cp, 25)).toBeLessThan(rankedProbabilityScore(nb, 25));
    expect(rankedProbabilityScore(cp, 0)).toBeLessThan(rankedProbabilityScore(nb, 0));
  });
});

describe('order sizes from sale days', () => {
  it('decompounds the days with two orders: the mean order size, not the mean sale day', () => {
    const u = seededRandom(42);
    const y = Array.from({ length: 3000 }, () => {
      let units = 0;
      for (let o = poissonDraw(u, 0.6); o > 0; o--) units += u() < 0.7 ? 12 : 24;
      return units;
    });
    const censored = y.map(() => false);
    const orders = orderSizesOf(y, censored, y.length, 3000);
    expect(orders).not.toBeNull();
    const saleDays = y.filter((v) => v > 0);
    const saleDayMean = saleDays.reduce((s, v) => s + v, 0) / saleDays.length;
    // True order mean 15.6; a sale day averages 15.6 × 0.6 / (1 − e^-0.6) = 20.6.
    expect(orders!.mean).toBeGreaterThan(15.6 * 0.93);
    expect(orders!.mean).toBeLessThan(15.6 * 1.07);
    expect(saleDayMean).toBeGreaterThan(19);
    const p12 = orders!.probs[orders!.sizes.indexOf(12)] ?? 0;
    expect(p12).toBeGreaterThan(0.62);
    expect(p12).toBeLessThan(0.78);
  });

  it('is null for too few sale days, or a SKU that sells on most days', () => {
    const censored = new Array<boolean>(200).fill(false);
    expect(orderSizesOf([...new Array<number>(198).fill(0), 5, 5], censored)).toBeNull();
    expect(
      orderSizesOf(
        Array.from({ length: 200 }, (_, t) => (t % 5 === 0 ? 0 : 3)),
        censored,
      ),
    ).toBeNull();
    expect(
      orderSizesOf(
        Array.from({ length: 200 }, (_, t) => (t % 5 === 0 ? 3 : 0)),
        censored,
      ),
    ).not.toBeNull();
  });

  it('learns from the recent window only, and leaves censored days out', () => {
    const old = Array.from({ length: 400 }, (_, t) => (t % 10 === 0 ? 50 : 0));
    const recent = Array.from({ length: 182 }, (_, t) => (t % 10 === 0 ? 6 : 0));
    const y: number[] = [...old, ...recent];
    const censored = y.map((_, t) => t === y.length - 2);
    y[y.length - 2] = 999;
    const orders = orderSizesOf(y, censored);
    expect(orders!.sizes).toEqual([6]);
  });
});
