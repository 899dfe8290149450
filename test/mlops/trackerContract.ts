import type { Tracker } from '../../src/lib/tracking/tracker';

/**
 * Behaviour every Tracker adapter over an EntityStore must show; run against the embedded store
 * and against Azure Table storage on Azurite.
 */
export function describeTrackerContract(label: string, make: () => Promise<Tracker>): void {
  describe(`Tracker contract: ${label}`, () => {
    let tracker: Tracker;
    beforeAll(async () => {
      tracker = await make();
    });

    it('creates an experiment once and finds it again by name', async () => {
      const a = await tracker.getOrCreateExperiment('demand-forecast');
      const b = await tracker.getOrCreateExperiment('demand-forecast');
      const other = await tracker.getOrCreateExperiment('other/experiment #2');
      expect(a).toBe(b);
      expect(other).not.toBe(a);
    });

    it('tracks a run: params write-once, latest metric value, tags overwrite, status and end time', async () => {
      const experimentId = await tracker.getOrCreateExperiment('runs-exp');
      const runId = await tracker.startRun(experimentId, { runName: 'orch-123', startTimeInMs: 1_000, tags: { trigger: 'scheduled' } });
      await tracker.logBatch(runId, {
        params: { 'policy.models': 'ets,tsb', 'silver/daily_demand.version': '5' },
        metrics: [
          { key: 'wape', value: 0.5, step: 0, timestampInMs: 10 },
          { key: 'segment.fast.wape', value: 0.3 },
        ],
        tags: { trigger: 'drift' },
      });
      await tracker.logBatch(runId, { params: { 'policy.models': 'ets,tsb' }, metrics: [{ key: 'wape', value: 0.4, step: 1, timestampInMs: 20 }] });
      await expect(tracker.logBatch(runId, { params: { 'policy.models': 'naive' } })).rejects.toThrow(/policy\.models/);
      await tracker.endRun(runId, 'FINISHED', { endTimeInMs: 5_000 });

      const run = await tracker.getRun(runId);
      expect(run).toMatchObject({
        runId,
        experimentId,
        runName: 'orch-123',
        status: 'FINISHED',
        startTimeInMs: 1_000,
        endTimeInMs: 5_000,
        params: { 'policy.models': 'ets,tsb', 'silver/daily_demand.version': '5' },
        metrics: { wape: 0.4, 'segment.fast.wape': 0.3 },
        tags: { trigger: 'drift' },
      });
      expect((await tracker.findRunByName(experimentId, 'orch-123'))?.runId).toBe(runId);
      expect(await tracker.findRunByName(experimentId, 'nope')).toBeUndefined();
      expect(await tracker.getRun('missing-run')).toBeUndefined();
    });

    it('registers policy versions with run links and tags, and moves aliases', async () => {
      const name = 'demand-forecast-policy';
      await tracker.ensureRegisteredModel(name);
      await tracker.ensureRegisteredModel(name); // idempotent
      const v1 = await tracker.createModelVersion(name, { source: 'gold/model_params/run_id=r1', runId: 'run-1', tags: { 'pipeline.run_id': 'r1' } });
      const v2 = await tracker.createModelVersion(name, { source: 'gold/model_params/run_id=r2', runId: 'run-2' });
      expect([v1.version, v2.version]).toEqual(['1', '2']);

      await tracker.setAlias(name, 'production', '1');
      await tracker.setAlias(name, 'challenger', '2');
      await tracker.setModelVersionTag(name, '2', 'promotion.decision', 'refused');
      expect((await tracker.getVersionByAlias(name, 'production'))?.version).toBe('1');
      await tracker.setAlias(name, 'production', '2');
      await tracker.deleteAlias(name, 'challenger');

      const listed = await tracker.listModelVersions(name);
      expect(listed.map((v) => [v.version, v.aliases, v.runId])).toEqual([
        ['1', [], 'run-1'],
        ['2', ['production'], 'run-2'],
      ]);
      expect(listed[0]?.tags).toEqual({ 'pipeline.run_id': 'r1' });
      expect((await tracker.getModelVersion(name, '2'))?.tags).toEqual({ 'promotion.decision': 'refused' });
      expect(await tracker.getVersionByAlias(name, 'challenger')).toBeUndefined();
      expect(await tracker.getModelVersion(name, '9')).toBeUndefined();
    });

    it('hands out distinct version numbers under concurrent registration', async () => {
      const name = 'concurrent-policy';
      await tracker.ensureRegisteredModel(name);
      const created = await Promise.all([1, 2, 3, 4].map((i) => tracker.createModelVersion(name, { source: `s${i}`, runId: `r${i}` })));
      expect(created.map((v) => Number(v.version)).sort()).toEqual([1, 2, 3, 4]);
    });
  });
}
