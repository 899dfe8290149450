/**
 * A streamed orders source restarted at `since` opens its factory there (a synthetic fleet seeks to
 * the day instead of regenerating its history), and what it serves is what a stream from the start,
 * skipped forward, would serve.
 */
import type { OrderRecord } from '../../src/lib/ingest/orderRecord';
import { StreamOrderedSource, type StreamStart } from '../../src/lib/sample/orderedSource';
import { syntheticFleet, syntheticOrders } from '../../src/lib/sample/syntheticFleet';

const fleet = syntheticFleet({ skus: 40, days: 30, seed: 11 });

async function all(records: AsyncIterable<OrderRecord>): Promise<OrderRecord[]> {
  const out: OrderRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
}

describe('synthetic orders opened at since', () => {
  it('start at that day and equal the whole stream from it on', async () => {
    const whole = await all(syntheticOrders(fleet));
    const lastDay = String(whole[whole.length - 1]!.InvoiceDate).slice(0, 10);
    for (const since of [`${lastDay} 00:00:00`, `${String(whole[0]!.InvoiceDate).slice(0, 10)} 00:00:00`, '2000-01-01 00:00:00']) {
      const opened = await all(syntheticOrders(fleet, { since }));
      expect(opened).toEqual(whole.filter((r) => String(r.InvoiceDate) >= since));
    }
    expect((await all(syntheticOrders(fleet, { since: `${lastDay} 00:00:00` }))).length).toBeLessThan(whole.length / 10);
  });
});

describe('StreamOrderedSource', () => {
  it('passes since to the factory when it restarts, and serves the same pages as a stream that cannot seek', async () => {
    const starts: StreamStart[] = [];
    const seeking = StreamOrderedSource.fromFactory((start) => {
      starts.push(start);
      return syntheticOrders(fleet, start);
    });
    const plain = StreamOrderedSource.fromFactory(() => syntheticOrders(fleet));
    const whole = await all(syntheticOrders(fleet));
    const since = `${String(whole[Math.floor(whole.length / 2)]!.InvoiceDate).slice(0, 10)} 00:00:00`;
    const first = { since, after: null, count: 25 };
    const a = await seeking.slice(first);
    const b = await plain.slice(first);
    expect(a).toEqual(b);
    expect(a.items[0]).toEqual(whole.find((r) => String(r.InvoiceDate) >= since));
    expect(starts).toEqual([{ since }]);
    const last = a.items[a.items.length - 1]!;
    const next = { since, after: [String(last.InvoiceDate), String(last.orderLineId)] as const, count: 25 };
    expect(await seeking.slice(next)).toEqual(await plain.slice(next));
    // Continuing where the last slice ended keeps the open stream.
    expect(starts).toHaveLength(1);
  });
});
