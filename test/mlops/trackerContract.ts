import { ValidationError } from '../../src/lib/errors';
import { isEmptyBatch, openRun, unloggedPart } from '../../src/lib/tracking/runLog';
import type { Tracker } from '../../src/lib/tracking/tracker';

/**
 * Behaviour every Tracker adapter must show: run against the embedded store, Azure Table storage
 * on Azurite, the MLflow fake, and (MLFLOW_CONTRACT_URI set, by hand) a real MLflow server. Names
 * carry a per-suite suffix so a real server that keeps its state between runs starts clean, and
 * every version points at a run that exists, with a remote source, as a real registry requires.
 */
export function describeTrackerContract(label: string, make: () => Promise<Tracker>): void {
  describe(`Tracker contract: ${label}`, () => {
    let tracker: Tracker;
    const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    const named = (name: string) => `${name}-${suffix}`;
    beforeAll(async () => {
      tracker = await make();
    });

    it('creates an experiment once and finds it again by name', async () => {
      const a = await tracker.getOrCreateExperiment(named('demand-forecast'));
      const b = await tracker.getOrCreateExperiment(named('demand-forecast'));
      const other = await tracker.getOrCreateExperiment(named('other/experiment #2'));
      expect(a).toBe(b);
      expect(other).not.toBe(a);
    });

    it('tracks a run: params write-once, latest metric value, tags overwrite, status and end time', async () => {
      const experimentId = await tracker.getOrCreateExperiment(named('runs-exp'));
      const runId = await tracker.startRun(experimentId, { runName: 'orch-123', startTimeInMs: 1_000, tags: { trigger: 'scheduled' } });
      await tracker.logBatch(runId, {
        params: { 'policy.models': 'ets,tsb', 'silver/daily_demand.version': '5' },
        metrics: [
          { key: 'wape', value: 0.5, step: 0, timestampInMs: 10 },
          { key: 'segment.fast.wape', value: 0.3 },
        ],
        tags: { trigger: 'drift' },
      });
      await tracker.logBatch(runId, {
        params: { 'policy.models': 'ets,tsb' },
        metrics: [{ key: 'wape', value: 0.4, step: 1, timestampInMs: 20 }],
      });
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
      expect(await tracker.getRun('0123456789abcdef0123456789abcdef')).toBeUndefined();
    });

    it('refuses a key MLflow refuses before writing anything of the batch, naming the key', async () => {
      const experimentId = await tracker.getOrCreateExperiment(named('keys-exp'));
      const runId = await tracker.startRun(experimentId, { runName: 'keys' });
      for (const key of [
        'skus_by_model.median(smedian,ets,snaive)',
        'fallbacks.3 stockout day(s) imputed, 2 gaps',
        'a//b',
        '/abs',
        'x/../y',
        'x'.repeat(251),
      ]) {
        const err = await tracker
          .logBatch(runId, {
            params: { 'ok.param': '1' },
            metrics: [
              { key: 'ok.metric', value: 1 },
              { key, value: 2 },
            ],
          })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ValidationError);
        expect((err as Error).message).toContain(JSON.stringify(key));
      }
      const run = await tracker.getRun(runId);
      expect(run?.params).toEqual({});
      expect(run?.metrics).toEqual({});
      // Every character MLflow allows passes: letters, digits, _ - . / and space.
      await tracker.logBatch(runId, { metrics: [{ key: 'Seg_1-b.x/y z', value: 3 }] });
      expect((await tracker.getRun(runId))?.metrics).toEqual({ 'Seg_1-b.x/y z': 3 });
    });

    it('a re-run that changes a param gets a new run of the same name; the finished one stays finished', async () => {
      const experimentId = await tracker.getOrCreateExperiment(named('rerun-exp'));
      const first = await openRun(tracker, experimentId, { runName: 'run-a', startTimeInMs: 1_000, params: { 'code.version': '1' } });
      await tracker.logBatch(first.run.runId, { params: { 'code.version': '1' }, metrics: [{ key: 'wape', value: 0.5 }] });
      await tracker.endRun(first.run.runId, 'FINISHED');
      const retried = await openRun(tracker, experimentId, { runName: 'run-a', startTimeInMs: 1_000, params: { 'code.version': '1' } });
      expect(retried).toMatchObject({ created: false, run: { runId: first.run.runId, status: 'FINISHED' } });
      expect(isEmptyBatch(unloggedPart(retried.run, { params: { 'code.version': '1' }, metrics: [{ key: 'wape', value: 0.5 }] }))).toBe(
        true,
      );

      const rerun = await openRun(tracker, experimentId, { runName: 'run-a', startTimeInMs: 1_000, params: { 'code.version': '2' } });
      expect(rerun.created).toBe(true);
      expect(rerun.run.runId).not.toBe(first.run.runId);
      expect(rerun.run.tags).toMatchObject({
        'pipeline.supersedes': first.run.runId,
        'pipeline.new_run_reason': 'params changed: code.version',
      });
      await tracker.logBatch(rerun.run.runId, { params: { 'code.version': '2' } });
      expect((await tracker.getRun(first.run.runId))?.status).toBe('FINISHED');
      expect((await tracker.findRunByName(experimentId, 'run-a'))?.runId).toBe(rerun.run.runId);
    });

    it('registers policy versions with run links and tags, and moves aliases', async () => {
      const experimentId = await tracker.getOrCreateExperiment(named('registry-exp'));
      const run1 = await tracker.startRun(experimentId, { runName: 'r1' });
      const run2 = await tracker.startRun(experimentId, { runName: 'r2' });
      const name = named('demand-forecast-policy');
      await tracker.ensureRegisteredModel(name);
      await tracker.ensureRegisteredModel(name); // idempotent
      const v1 = await tracker.createModelVersion(name, {
        source: 'https://acct.dfs.core.windows.net/lake/gold/model_params/run_id=r1',
        runId: run1,
        tags: { 'pipeline.run_id': 'r1' },
      });
      const v2 = await tracker.createModelVersion(name, {
        source: 'abfss://lake@acct.dfs.core.windows.net/gold/model_params/run_id=r2',
        runId: run2,
      });
      expect([v1.version, v2.version]).toEqual(['1', '2']);

      await tracker.setAlias(name, 'production', '1');
      await tracker.setAlias(name, 'challenger', '2');
      await tracker.setModelVersionTag(name, '2', 'promotion.decision', 'refused');
      expect((await tracker.getVersionByAlias(name, 'production'))?.version).toBe('1');
      await tracker.setAlias(name, 'production', '2');
      await tracker.deleteAlias(name, 'challenger');
      await tracker.deleteAlias(name, 'challenger'); // a missing alias is no error

      const listed = await tracker.listModelVersions(name);
      expect(listed.map((v) => [v.version, v.aliases, v.runId])).toEqual([
        ['1', [], run1],
        ['2', ['production'], run2],
      ]);
      expect(listed[0]?.tags).toEqual({ 'pipeline.run_id': 'r1' });
      expect((await tracker.getModelVersion(name, '2'))?.tags).toEqual({ 'promotion.decision': 'refused' });
      expect((await tracker.getModelVersion(name, '2'))?.aliases).toEqual(['production']);
      expect(await tracker.getVersionByAlias(name, 'challenger')).toBeUndefined();
      expect(await tracker.getModelVersion(name, '9')).toBeUndefined();
      expect(await tracker.listModelVersions(named('no-such-model'))).toEqual([]);
      expect(await tracker.getVersionByAlias(named('no-such-model'), 'production')).toBeUndefined();
    });

    it('hands out distinct version numbers under concurrent registration', async () => {
      const experimentId = await tracker.getOrCreateExperiment(named('registry-exp'));
      const name = named('concurrent-policy');
      await tracker.ensureRegisteredModel(name);
      const runs = await Promise.all([1, 2, 3, 4].map((i) => tracker.startRun(experimentId, { runName: `c${i}` })));
      const created = await Promise.all(
        runs.map((runId, i) => tracker.createModelVersion(name, { source: `https://acct.dfs.core.windows.net/lake/s${i}`, runId })),
      );
      expect(created.map((v) => Number(v.version)).sort()).toEqual([1, 2, 3, 4]);
    });
  });
}
