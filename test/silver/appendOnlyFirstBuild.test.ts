import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import * as monthSpill from '../../src/lib/silver/monthSpill';
import * as appendOnlyCheck from '../../src/lib/silver/appendOnlyCheck';
import { confirmRedeliveries } from '../../src/lib/silver/appendOnlyCheck';
import type { AppendOnlyMonths } from '../../src/lib/silver/affectedMonths';
import type { PriorMonthSource } from '../../src/lib/silver/priorMonth';
import { ruleSetByName, type RuleSet } from '../../src/lib/silver/ruleSet';
import { buildSilverTables } from '../../src/lib/silver/silverBuild';
import { expectSameSilver, history, line, rowsOf, source, stock, withStatus } from './silverTablesCompare';

// A first build has no append-only candidate: the check must not decode the run's spilled months
// on the main thread (at 32,000 SKUs that was buildSilver's main-thread peak, issue 16).
describe('confirmRedeliveries without candidate months', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

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

/** One confirmRedeliveries call of a real build: its candidates, its answer and the full decode's answer (checkRedeliveries, no shortcut). */
interface CheckCall {
  candidates: string[];
  answer: AppendOnlyMonths;
  fullDecode: AppendOnlyMonths;
  spillReadsByAnswer: number;
}

/**
 * Wraps confirmRedeliveries as the build calls it: while the run's spill folder still exists, the
 * same input also goes through checkRedeliveries (no shortcut), so the two answers can be compared.
 */
function recordChecks(): CheckCall[] {
  const calls: CheckCall[] = [];
  const real = appendOnlyCheck.confirmRedeliveries;
  const reads = jest.spyOn(monthSpill, 'readSpilledBatches');
  jest.spyOn(appendOnlyCheck, 'confirmRedeliveries').mockImplementation(async (...args) => {
    const before = reads.mock.calls.length;
    const answer = await real(...args);
    const spillReadsByAnswer = reads.mock.calls.length - before;
    const fullDecode = await appendOnlyCheck.checkRedeliveries(...args);
    calls.push({ candidates: [...args[2].months].sort(), answer, fullDecode, spillReadsByAnswer });
    return answer;
  });
  return calls;
}

/** What decides the build: the months kept append-only, where each SKU's rows start, the re-delivered days. */
const decision = (a: AppendOnlyMonths) => ({
  months: [...a.months].sort(),
  appendFrom: [...a.appendFrom].sort(),
  redeliveredDays: [...(a.redeliveredDays ?? new Map())].sort(),
});

const nettingOn = ruleSetByName('online-retail');

describe.each([
  ['online-retail (netting on)', nettingOn],
  ['order-status (netting off)', ruleSetByName('order-status')],
])('confirmRedeliveries in real builds, rules %s', (_name, ruleSet: RuleSet) => {
  // Without netting the full decode reads no spill either when there is no candidate: the shortcut
  // is only observable (and its spill-read checks only able to fail) with netting on.
  const shortcutObservable = ruleSet === nettingOn;
  let dir: string;
  const lakeAt = (name: string) => FileSystemLake.fromDirectory(path.join(dir, name));
  const status = (records: Array<Record<string, unknown>>) => withStatus(ruleSet, records);
  const build = (lake: FileSystemLake, runId: string, records: Array<Record<string, unknown>>, inventory?: Array<Record<string, string>>) =>
    buildSilverTables(lake, { runId, ruleSet, orders: source(status(records)), ...(inventory ? { inventory: stock(inventory) } : {}) });
  /** History as run 1, then `next` as run 2 (its confirmRedeliveries call recorded); the lake and that call. */
  const increment = async (next: Array<Record<string, unknown>>, inventory?: Array<Record<string, string>>) => {
    const runs = lakeAt('runs');
    await build(runs, 'run-1', history);
    const calls = recordChecks();
    await build(runs, 'run-2', next, inventory);
    jest.restoreAllMocks();
    expect(calls).toHaveLength(1);
    return { runs, call: calls[0] as CheckCall };
  };
  /** The increment's tables equal one build of every line from scratch: daily_demand rows and order_lines counted, then every table. */
  const expectSameAsRebuild = async (
    runs: FileSystemLake,
    records: Array<Record<string, unknown>>,
    inventory?: Array<Record<string, string>>,
  ) => {
    const single = lakeAt('single');
    await build(single, 'all', records, inventory);
    for (const table of ['daily_demand', 'order_lines'] as const)
      expect({ table, rows: (await rowsOf(runs, table)).length }).toEqual({ table, rows: (await rowsOf(single, table)).length });
    await expectSameSilver(runs, single);
  };

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-redeliveries-'));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it(
    'a first build (with a cancellation) answers as the full decode' + (shortcutObservable ? ', reading no spill (the shortcut)' : ''),
    async () => {
      const calls = recordChecks();
      const first = [...history, line('k1', 'C150', '22002', -2, '2011-02-15', '14000.0')];
      await build(lakeAt('runs'), 'run-1', first);
      jest.restoreAllMocks();
      expect(calls).toHaveLength(1);
      const call = calls[0] as CheckCall;
      expect(call.candidates).toEqual([]);
      if (shortcutObservable) expect(call.spillReadsByAnswer).toBe(0);
      expect(decision(call.answer)).toEqual(decision(call.fullDecode));
      expect(call.answer.months.size).toBe(0);
    },
  );

  it(
    'an increment with no candidate (a stock figure for a stored day) answers as the full decode' +
      (shortcutObservable ? ', reading no spill,' : '') +
      ' and equals a rebuild',
    async () => {
      const next = [line('a1', '200', '22001', 1, '2011-02-21'), line('x1', '201', '22001', 4, '2011-02-12')];
      const inv = [{ snapshot_date: '2011-02-15', sku: '22001', on_hand: '4', on_order: '' }];
      const { runs, call } = await increment(next, inv);
      expect(call.candidates).toEqual([]);
      if (shortcutObservable) expect(call.spillReadsByAnswer).toBe(0);
      expect(decision(call.answer)).toEqual(decision(call.fullDecode));
      await expectSameAsRebuild(runs, [...history, ...next], inv);
    },
  );

  // With candidates confirmRedeliveries is checkRedeliveries itself: these two check its answer
  // against months and days worked out by hand, and the tables against a rebuild.
  it('a candidate month that only gains lines (and an exact re-delivery) is confirmed and equals a rebuild', async () => {
    const next = [line('a1', '200', '22001', 1, '2011-02-21'), line('n1', '201', '22004', 3, '2011-02-21'), history[2] as never];
    const { runs, call } = await increment(next);
    // With netting, January (the window the new lines' cancellations could reach back to) is a candidate too.
    expect(call.candidates).toEqual(ruleSet.document.netting.enabled ? ['2011-01', '2011-02'] : ['2011-02']);
    expect([...call.answer.months].sort()).toEqual(call.candidates);
    // The re-delivered line (A's Feb 19) is the only one whose stored lines are read in full.
    expect([...(call.answer.redeliveredDays ?? [])]).toEqual([['2011-02', { first: 15024, last: 15024 }]]);
    await expectSameAsRebuild(runs, [...history, ...next]);
  });

  it('a candidate month with a new line on a SKU’s stored last day is refused and equals a rebuild', async () => {
    const next = [line('a1', '200', '22001', 1, '2011-02-21'), line('x1', '201', '22001', 8, '2011-02-19')];
    const { runs, call } = await increment(next);
    expect(call.candidates).toContain('2011-02');
    expect([...call.answer.months].sort()).toEqual(call.candidates.filter((m) => m !== '2011-02'));
    await expectSameAsRebuild(runs, [...history, ...next]);
  });
});
