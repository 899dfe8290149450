/**
 * The drift check streamed through SKU buckets (assessDriftFromLake) against the in-memory
 * assessment it replaced (every row read, computeDriftStats + evaluateDrift), on a seeded fleet:
 * the same verdicts, events and fleet figures; the rows it holds stay under a cap as the fleet
 * grows; and it reads only the files its windows need.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assessDriftFromLake, defaultDriftStatsOptions, type DriftThresholds, type LakeDriftOptions } from '../../src/lib/drift';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import type { LakeStore } from '../../src/lib/lake/lakeStore';
import { horizonDays, inEffectRuns, inMemoryAssessment, lastFleetDay, fleetDay, ownRunId, writeDriftFleet } from './driftFleetFixture';

const thresholds: DriftThresholds = { psi: 0.25, accuracyRatio: 1.5, fleetShare: 0.3, stockoutDelta: 0.02, maxReforecasts: 5 };
const statsOptions = { ...defaultDriftStatsOptions, season: 7 };

const options = (extra: Partial<LakeDriftOptions> = {}): LakeDriftOptions => ({
  runId: ownRunId,
  runDate: fleetDay(lastFleetDay + 1),
  inEffectRuns,
  horizonDays,
  stats: statsOptions,
  thresholds,
  ...extra,
});

/** The lake, recording every object read. */
function spyLake(lake: LakeStore): { lake: LakeStore; reads: string[] } {
  const reads: string[] = [];
  const spy = new Proxy(lake, {
    get(target, prop, receiver) {
      if (prop === 'read')
        return (p: string, o?: Parameters<LakeStore['read']>[1]) => {
          reads.push(p);
          return target.read(p, o);
        };
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { lake: spy, reads };
}

const dataFiles = (reads: string[], table: string): string[] => reads.filter((p) => p.startsWith(`${table}/`) && p.endsWith('.parquet'));

describe('drift check streamed through SKU buckets', () => {
  const dirs: string[] = [];
  const fleetLake = async (skus: number): Promise<LakeStore> => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'drift-stream-'));
    dirs.push(dir);
    const lake = FileSystemLake.fromDirectory(path.join(dir, 'lake'));
    await writeDriftFleet(lake, skus);
    return lake;
  };
  let lake300: LakeStore;
  beforeAll(async () => {
    lake300 = await fleetLake(300);
  }, 60_000);
  afterAll(async () => {
    for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
  });

  it('gives the verdicts, events and fleet figures of the in-memory assessment, in many buckets or one', async () => {
    const reference = await inMemoryAssessment(lake300, inEffectRuns, thresholds);
    const findings = reference.evaluation.findings;
    // The fixture reaches every branch the streaming must keep: accuracy and data drift, the
    // origin of this run's forecasts, the re-forecast cap, churn, stockouts.
    const actions = new Set(findings.map((f) => `${f.kind}:${f.action}`));
    for (const a of [
      'accuracy_wape:reforecast',
      'data_psi:none:forecast_current',
      'data_psi:none:accuracy_ok',
      'new_skus:challenger',
      'fleet:challenger',
    ])
      expect(actions).toContain(a);
    expect(findings.some((f) => f.action === 'none:cap_reached')).toBe(true);
    expect(reference.evaluation.driftedSkus).toHaveLength(thresholds.maxReforecasts);

    const scratchDir = await fs.mkdtemp(path.join(os.tmpdir(), 'drift-scratch-'));
    dirs.push(scratchDir);
    for (const extra of [{ bucketRows: 2_000, spillRows: 700 }, { bucketRows: 10_000_000 }]) {
      const kept = await assessDriftFromLake(lake300, options({ ...extra, keepSkuStats: true, scratchDir }));
      expect(kept.windows).toEqual(reference.windows);
      expect(kept.stats).toEqual(reference.stats);
      expect(kept.evaluation).toEqual(reference.evaluation);

      // The activity's way: no per-SKU figures kept, this run's forecasts looked up for the few SKUs that need them.
      const streamed = await assessDriftFromLake(lake300, options({ ...extra, scratchDir }));
      expect(streamed.stats).toBeUndefined();
      expect(streamed.evaluation).toEqual(reference.evaluation);
      expect(streamed.fleet).toEqual({
        skuCount: reference.stats.skus.length,
        overallPsi: reference.stats.overallPsi,
        newSkuCount: reference.stats.newSkus.length,
        vanishedSkuCount: reference.stats.vanishedSkus.length,
        referenceSkuCount: reference.stats.referenceSkuCount,
        stockoutRate: reference.stats.stockoutRate,
      });
      if (extra.bucketRows === 2_000) expect(streamed.streamed.buckets).toBeGreaterThan(10);
      else expect(streamed.streamed.buckets).toBe(1);
    }
    // The scratch files are removed.
    expect(await fs.readdir(scratchDir)).toEqual([]);
  }, 60_000);

  it('holds at most a bucket of rows whatever the fleet size', async () => {
    const lake900 = await fleetLake(900);
    const bounds = { bucketRows: 4_000, spillRows: 2_000 };
    const small = await assessDriftFromLake(lake300, options(bounds));
    const large = await assessDriftFromLake(lake900, options(bounds));
    expect(large.fleet.skuCount).toBeGreaterThan(2.7 * small.fleet.skuCount);
    expect(large.streamed.spilledRows).toBeGreaterThan(2.7 * small.streamed.spilledRows);
    expect(large.streamed.buckets).toBeGreaterThan(2.7 * small.streamed.buckets);
    // Hash buckets are uneven: a bucket may exceed the aim by a little, never by the fleet's growth.
    for (const r of [small, large]) expect(r.streamed.peakHeldRows).toBeLessThanOrEqual(1.5 * bounds.bucketRows);
    expect(large.streamed.peakHeldRows).toBeLessThan(1.5 * small.streamed.peakHeldRows);
    // Without streaming the whole fleet's rows would be held at once.
    expect(large.streamed.spilledRows).toBeGreaterThan(20 * bounds.bucketRows);
  }, 120_000);

  it('reads only the months, runs and files the windows need', async () => {
    const before = spyLake(lake300);
    await inMemoryAssessment(before.lake, inEffectRuns, thresholds);
    const spy = spyLake(lake300);
    const result = await assessDriftFromLake(spy.lake, options({ bucketRows: 5_000 }));
    const demandMonths = (reads: string[]) => new Set(dataFiles(reads, 'silver/daily_demand').map((p) => /month=([^/]+)/.exec(p)?.[1]));
    const runsRead = (reads: string[]) => new Set(dataFiles(reads, 'gold/forecasts').map((p) => /run_id=([^/]+)/.exec(p)?.[1]));

    // Demand: the MASE history of the earliest origin in effect (day 200 - 120 = 2011-03-22) is the
    // earliest day used; the in-memory check read from 150 days before the reference window.
    expect(result.windows).toMatchObject({ referenceStart: fleetDay(128), recentEnd: fleetDay(lastFleetDay) });
    expect([...demandMonths(spy.reads)].sort()).toEqual(['2011-03', '2011-04', '2011-05', '2011-06', '2011-07', '2011-08']);
    expect(demandMonths(before.reads)).toContain('2011-01');
    // The latest month's dates come from the file statistics: each demand file is read once.
    const demandReads = dataFiles(spy.reads, 'silver/daily_demand');
    expect(new Set(demandReads).size).toBe(demandReads.length);
    expect(dataFiles(before.reads, 'silver/daily_demand').length).toBeGreaterThan(demandReads.length);

    // Forecasts: never the run out of effect; not the partial run whose targets precede the windows
    // (file statistics); of this run, only the files holding a SKU whose verdict hangs on its origin.
    expect(runsRead(spy.reads)).not.toContain('full-old');
    expect(runsRead(before.reads)).toContain('drift-0');
    expect(runsRead(spy.reads)).not.toContain('drift-0');
    const ownFiles = (reads: string[]) => dataFiles(reads, 'gold/forecasts').filter((p) => p.includes(`run_id=${ownRunId}/`));
    const current = result.evaluation.findings.filter((f) => f.action === 'none:forecast_current').length;
    expect(current).toBeGreaterThan(0);
    expect(ownFiles(spy.reads).length).toBeGreaterThan(0);
    expect(ownFiles(spy.reads).length).toBeLessThan(ownFiles(before.reads).length);
  }, 60_000);
});
