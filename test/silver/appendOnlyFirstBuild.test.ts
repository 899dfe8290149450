import * as monthSpill from '../../src/lib/silver/monthSpill';
import { confirmRedeliveries } from '../../src/lib/silver/appendOnlyCheck';
import type { PriorMonthSource } from '../../src/lib/silver/priorMonth';

// A first build has no append-only candidate: the check must not decode the run's spilled months
// on the main thread (at 32,000 SKUs that was buildSilver's main-thread peak, issue 16).
describe('confirmRedeliveries without candidate months', () => {
  afterEach(() => jest.restoreAllMocks());

  it('keeps no month append-only and reads no spill file, even with netting and scanned months', async () => {
    const read = jest.spyOn(monthSpill, 'readSpilledBatches');
    const source = {} as Pick<PriorMonthSource, 'tables' | 'startState' | 'runId' | 'abortSignal'>;
    const appendFrom = new Map<string, number>();
    const result = await confirmRedeliveries(source, '/nonexistent-spill-dir', { months: new Set(), appendFrom }, new Map(), true, [
      '2024-01',
      '2024-02',
    ]);
    expect(result.months.size).toBe(0);
    expect(result.appendFrom).toBe(appendFrom);
    expect(read).not.toHaveBeenCalled();
  });
});
