/**
 * Worker results are transferred, not copied: the large typed arrays a view covers whole go in the
 * transfer list (once each); views into a shared buffer, small buffers (maybe Node's Buffer pool)
 * and text arrays do not. Posted with that list, the worker's copy is gone at once.
 */
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from '@jest/globals';
import { transferableSymbol, valueSymbol } from 'piscina';
import { movedResult, transferableBuffers } from '../../src/lib/silver/transferResult';

describe('worker results by transfer', () => {
  const big = () => new Float64Array(20_000);

  it('lists the large buffers a view covers whole, through objects and arrays of objects, once each', () => {
    const files = [
      { bytes: new Uint8Array(200_000), stats: { numRecords: 3 } },
      { bytes: new Uint8Array(10), stats: { numRecords: 1 } },
    ];
    const shared = new Int32Array(100_000);
    const demand = { sku: shared, again: shared, day: big(), skus: ['A', 'B'], part: shared.subarray(10, 20_000) };
    const pooled = Buffer.from('small text');
    const found = transferableBuffers({ files, demand, pooled, catalogue: new Map([['A', { n: big() }]]) });
    expect(found).toHaveLength(3);
    expect(found).toContain(files[0]?.bytes.buffer);
    expect(found).toContain(shared.buffer);
    expect(found).toContain(demand.day.buffer);
  });

  it('marks the result for piscina, and posting it with that list moves the arrays instead of copying them', () => {
    const result = { month: '2011-01', demand: { quantity: big() }, files: [{ bytes: new Uint8Array(100_000).fill(7) }] };
    const moved = movedResult(result) as unknown as Record<symbol, unknown>;
    expect(moved[valueSymbol]).toBe(result);
    const list = moved[transferableSymbol] as ArrayBuffer[];
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(moved[valueSymbol], list);
    const received = receiveMessageOnPort(port2)?.message as typeof result;
    port1.close();
    expect(result.demand.quantity.length).toBe(0);
    expect(received.demand.quantity.length).toBe(20_000);
    expect(received.files[0]?.bytes[99_999]).toBe(7);
  });

  it('leaves a result without large buffers as it is', () => {
    const small = { kept: 3, lines: new Int32Array(4) };
    expect(movedResult(small)).toBe(small);
  });
});
