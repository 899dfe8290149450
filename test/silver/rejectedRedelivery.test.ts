/**
 * A line id first rejected by a rule (quarantined), later delivered again valid: a full build sees
 * the id first on the rejected line, so the valid one is a re-delivery with other content and is
 * quarantined as `redelivered_conflict`. An increment must agree, whether the month is appended to
 * or rewritten, in one SKU bucket or many; and an exact re-delivery of the rejected line is a plain
 * re-delivery in both.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { ruleSetByName, type RuleSet } from '../../src/lib/silver/ruleSet';
import { buildSilverTables } from '../../src/lib/silver/silverBuild';
import { expectSameSilver, history, line, source, withStatus } from './silverTablesCompare';

const newDay = [line('d1', '200', '22001', 1, '2011-02-21'), line('d2', '201', '22002', 2, '2011-02-21', '14001.0')];

describe.each([
  ['online-retail (netting on)', ruleSetByName('online-retail'), undefined],
  ['order-status (netting off)', ruleSetByName('order-status'), undefined],
  ['online-retail in SKU buckets', ruleSetByName('online-retail'), 2],
])('Silver: a rejected line delivered again valid, rules %s', (_name, ruleSet: RuleSet, linesPerBucket: number | undefined) => {
  let dir: string;
  const lakeAt = (name: string) => FileSystemLake.fromDirectory(path.join(dir, name));
  const status = (records: Array<Record<string, unknown>>) => withStatus(ruleSet, records);
  const build = (lake: FileSystemLake, runId: string, records: Array<Record<string, unknown>>) =>
    buildSilverTables(lake, {
      runId,
      ruleSet,
      orders: source(status(records)),
      ...(linesPerBucket === undefined ? {} : { linesPerBucket }),
    });
  /** Run 1, then run 2 as an increment; and both in one full build; the tables must be the same. */
  const increment = async (run1: Array<Record<string, unknown>>, run2: Array<Record<string, unknown>>) => {
    const runs = lakeAt('runs');
    await build(runs, 'run-1', run1);
    const second = await build(runs, 'run-2', run2);
    const single = lakeAt('single');
    const full = await build(single, 'all', [...run1, ...run2]);
    await expectSameSilver(runs, single);
    return { second, full };
  };

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'silver-rejected-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('on a new day (an appended month): the valid delivery is a conflict, as in a full build', async () => {
    const rejected = line('r1', '300', '22001', 0, '2011-02-21');
    const { second, full } = await increment([...history, rejected], [...newDay, { ...rejected, Quantity: 4 }]);
    expect(full.quarantineReasons).toMatchObject({ quantity_not_positive: 1, redelivered_conflict: 1 });
    expect(second.quarantineReasons).toEqual({ redelivered_conflict: 1 });
    expect(second.redelivered).toBe(1);
  });

  it('on a stored day (a rewritten month): the valid delivery is a conflict, as in a full build', async () => {
    const rejected = line('r1', '300', '22003', 0, '2011-02-05');
    const { second, full } = await increment([...history, rejected], [...newDay, { ...rejected, Quantity: 4 }]);
    expect(full.quarantineReasons).toMatchObject({ redelivered_conflict: 1 });
    expect(second.quarantineReasons).toEqual({ redelivered_conflict: 1 });
  });

  it('under another SKU: the valid delivery is a conflict, as in a full build', async () => {
    const rejected = line('r1', '300', '22001', 0, '2011-02-12');
    const { second } = await increment([...history, rejected], [...newDay, { ...rejected, StockCode: '22002', Quantity: 4 }]);
    expect(second.quarantineReasons).toEqual({ redelivered_conflict: 1 });
  });

  it('the rejected line delivered again as it was: a re-delivery, quarantined once, as in a full build', async () => {
    const rejected = line('r1', '300', '22001', 0, '2011-02-21');
    const { second, full } = await increment([...history, rejected], [...newDay, rejected]);
    expect(full.quarantineReasons).toEqual({ quantity_not_positive: 1 });
    expect(second.quarantineReasons).toEqual({});
    expect(second.redelivered).toBe(1);
    expect(full.redelivered).toBe(1);
  });
});
