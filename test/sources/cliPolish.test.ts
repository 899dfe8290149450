import { EventEmitter } from 'node:events';
import { exitQuietlyOnClosedPipe } from '../../src/cli/main';
import { formatRunSummary, readableReason } from '../../src/cli/summaryText';
import type { RunSummary } from '../../src/orchestrators/summary';

describe('CLI polish', () => {
  it('ends quietly with the exit code set so far when the reader closes the pipe (export | head)', () => {
    const stream = new EventEmitter() as unknown as NodeJS.WriteStream;
    const codes: number[] = [];
    exitQuietlyOnClosedPipe(stream, (c) => codes.push(c));
    stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(codes).toEqual([0]);
    expect(() => stream.emit('error', Object.assign(new Error('disk full'), { code: 'ENOSPC' }))).toThrow('disk full');
  });

  it('prints counted reasons without their N placeholders', () => {
    expect(readableReason('N stockout day(s) imputed, excluded from losses')).toBe('stockout days imputed, excluded from losses');
    expect(readableReason('short history (N < N seasons)')).toBe('short history (under 2 seasons)');
    expect(readableReason('every candidate failed: seasonal naive / mean fallback')).toBe(
      'every candidate failed: seasonal naive / mean fallback',
    );
  });

  it('names a SKU of this run and the data’s own date range; files sources say files, not pages', () => {
    const summary = {
      runId: 'run-1',
      trigger: 'manual',
      startedAt: '2024-01-01T00:00:00Z',
      status: 'Completed',
      quarantineReasons: { 'unmapped:orderedAt': 9 },
      outputs: {},
      stages: {
        ingestOrders: {
          source: 'orders',
          pages: 1,
          records: 100,
          quantitySum: 100,
          batches: 1,
          problems: { 'unmapped:orderedAt': 9 },
          watermarkBefore: null,
          watermarkAfter: null,
          filesFound: 2,
          filesRejected: 1,
          rejected: [{ file: 'landing/orders/x.xlsx', reason: 'unsupported file type' }],
        },
        silver: {
          orderLinesRead: 100,
          orderLinesKept: 80,
          unitsKept: 80,
          cancellations: 11,
          quarantined: 9,
          quarantineReasons: { 'unmapped:orderedAt': 9 },
          inventoryRows: 0,
          skus: 3,
          dailyDemandRows: 90,
          affectedFrom: '2017-08-01',
          affectedTo: '2017-10-31',
          tableVersions: {},
          quality: {
            records: 100,
            quarantined: 9,
            share: 0.09,
            failed: false,
            warnings: ['unmapped:orderedAt: 9 of 100 order records (9.0%) quarantined, e.g. x'],
          },
        },
      },
    } as unknown as RunSummary;
    const text = formatRunSummary(summary, {
      lake: 'file:///l',
      state: 'file:///s',
      data: { topSku: 'ABC-1', firstDay: '2017-08-03', lastDay: '2017-10-29' },
    });
    expect(text).toContain('100 lines from 2 file(s), 1 rejected');
    expect(text).toContain('rejected landing/orders/x.xlsx: unsupported file type');
    expect(text).toContain('(sales 2017-08-03 … 2017-10-29)');
    expect(text).toContain('WARNING              unmapped:orderedAt: 9 of 100');
    expect(text).toContain('--where "sku=ABC-1"');
    expect(text).toContain('POST /api/skus/ABC-1/forecast');
    expect(text).not.toContain('85123A');
  });
});
