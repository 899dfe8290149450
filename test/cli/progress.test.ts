import { barState, createRunProgress } from '../../src/cli/progress';

describe('run progress in plain mode (not a terminal)', () => {
  it('prints periodic lines with counts, rates and time left inside long stages, and a line per finished stage', () => {
    let t = 0;
    const lines: string[] = [];
    const p = createRunProgress({ interactive: false, write: (l) => lines.push(l), intervalInMs: 10_000, now: () => t });
    p.scheduled('ingestOrders');
    p.report('ingest-orders:pages', 1);
    t = 12_000;
    p.report('ingest-orders:pages', 25);
    p.report('ingest-orders', 24_000);
    t = 13_000;
    p.report('ingest-orders:pages', 26); // within the interval: no line
    p.completed('ingestOrders', { records: 26_000 });
    p.scheduled('planForecast');
    p.completed('planForecast', { skuCount: 1000 });
    for (let b = 0; b < 10; b += 1) p.scheduled('forecastBatch');
    t = 23_000;
    p.completed('forecastBatch', { skus: 100 }); // first line of the stage only starts its clock
    t = 33_000;
    p.completed('forecastBatch', { skus: 100 });
    expect(lines).toEqual([
      '… Ingest orders (source → Bronze): 25 pages, 2.1/s',
      '✔ Ingest orders (source → Bronze): 26 pages, 2.0/s · 24,000 lines, 1,846/s',
      '✔ Plan SKU batches',
      '… Forecast SKU batches (Gold): 200/1,000 SKUs, 10/s, about 1m 20s left',
    ]);
  });

  it('adds a second plan of the same run (a challenger forecast) to the SKU total instead of restarting it', () => {
    let t = 0;
    const lines: string[] = [];
    const p = createRunProgress({ interactive: false, write: (l) => lines.push(l), intervalInMs: 1000, now: () => t });
    p.scheduled('planForecast');
    p.completed('planForecast', { skuCount: 300 });
    for (let b = 0; b < 6; b += 1) p.scheduled('forecastBatch');
    t = 1000;
    p.completed('forecastBatch', { skus: 100 });
    p.scheduled('planForecast');
    p.completed('planForecast', { skuCount: 300 });
    t = 3000;
    p.completed('forecastBatch', { skus: 100 });
    expect(lines.at(-1)).toBe('… Forecast SKU batches (Gold): 200/600 SKUs, 67/s, about 6s left');
  });

  it("names the drift check's publish for what it publishes instead of repeating the batch publish with a count", () => {
    const lines: string[] = [];
    const p = createRunProgress({ interactive: false, write: (l) => lines.push(l), now: () => 0 });
    p.scheduled('publish');
    p.completed('publish', { target: 'local', tables: { forecasts: 84, inventory_actions: 3 }, outputs: {} });
    p.scheduled('checkDrift');
    p.completed('checkDrift', { events: 2, driftedSkus: [], fleetDrift: false, psiOverall: 0.1 });
    // The local publisher rewrites the dashboard and counts every Gold table either way: only the input tells the calls apart.
    const driftPublish = { runId: 'r', mode: 'batch', tables: ['drift_events'] };
    p.scheduled('publish', driftPublish);
    p.completed(
      'publish',
      { target: 'local', tables: { forecasts: 84, inventory_actions: 3, drift_events: 2 }, outputs: {} },
      driftPublish,
    );
    for (let b = 0; b < 3; b += 1) p.scheduled('forecastBatch');
    for (let b = 0; b < 3; b += 1) p.completed('forecastBatch', { skus: 10 });
    p.scheduled('forecastBatch'); // a second round (the drift re-forecast) counts its own batches
    p.completed('forecastBatch', { skus: 2 });
    expect(lines.slice(0, 3)).toEqual(['✔ Publish (Gold, dashboard)', '✔ Drift check', '✔ Publish drift events']);
    expect(lines.filter((l) => l.includes('(2)'))).toEqual([]);
    expect(lines[3]).toMatch(/^✔ Forecast SKU batches \(Gold\) \(3\): /);
    expect(lines[4]).toMatch(/^✔ Forecast SKU batches \(Gold\): /);
  });

  it('counts SKUs as the parallel batches report them, and a failed attempt leaves the batch total', () => {
    let t = 0;
    const lines: string[] = [];
    const p = createRunProgress({ interactive: false, write: (l) => lines.push(l), intervalInMs: 10_000, now: () => t });
    p.scheduled('planForecast');
    p.completed('planForecast', { skuCount: 200 });
    p.scheduled('forecastBatch');
    p.scheduled('forecastBatch');
    p.report('forecast:skus', 25); // worker chunks of both batches land long before either batch ends
    p.report('forecast:skus', 25);
    t = 10_000;
    p.report('forecast:skus', 50);
    expect(lines.at(-1)).toBe('… Forecast SKU batches (Gold): 100/200 SKUs, 10/s, about 10s left');
    p.failed('forecastBatch'); // one attempt fails after its chunks reported; the retry starts again
    p.scheduled('forecastBatch');
    p.report('forecast:skus', 100);
    t = 20_000;
    p.report('forecast:skus', 50);
    p.completed('forecastBatch', { skus: 100 });
    p.completed('forecastBatch', { skus: 100 });
    expect(lines.at(-1)).toBe('✔ Forecast SKU batches (Gold) (2): 200/200 SKUs, 13/s · 1 failed attempt retried');
  });

  it('ignores signals it does not know', () => {
    const lines: string[] = [];
    const p = createRunProgress({ interactive: false, write: (l) => lines.push(l), now: () => 0 });
    p.report('unknown', 1);
    expect(lines).toEqual([]);
  });
});

describe('progress bars on a terminal', () => {
  it('fill by the measured unit when it has a total, with the calls beside it, else by calls', () => {
    const counts = (done: number, total?: number) => ({
      measured: () => (total ? { done: Math.min(done, total), total } : undefined),
      text: () => `${done}${total ? `/${total}` : ''} SKUs`,
    });
    // 2,980 of 3,754 SKUs done while no batch of 38 has finished: the bar is at 79 %, not 0 %.
    expect(barState({ done: 0, total: 38 }, counts(2980, 3754), 0)).toEqual({
      value: 2980,
      total: 3754,
      detail: '2980/3754 SKUs · 0/38 calls',
    });
    expect(barState({ done: 1, total: 1 }, undefined, 0)).toEqual({ value: 1, total: 1, detail: '1/1' });
    expect(barState({ done: 0, total: 1 }, counts(600_000), 0, '1 failed attempt retried')).toEqual({
      value: 0,
      total: 1,
      detail: '0/1 · 600000 SKUs · 1 failed attempt retried',
    });
  });
});
