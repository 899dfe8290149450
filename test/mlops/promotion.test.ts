import { Command } from 'commander';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { registerModelsCommand } from '../../src/cli/commands/models';
import type { CliContext } from '../../src/cli/context';
import { loadSettings } from '../../src/lib/config/settings';
import { createServices } from '../../src/composition/services';
import { decidePromotion, type PolicyEvidence } from '../../src/lib/registry/decision';
import { listDecisions, promotePolicy } from '../../src/lib/registry/promotion';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { MlflowTracker } from '../../src/lib/tracking/mlflowTracker';
import { TablesTracker } from '../../src/lib/tracking/tablesTracker';
import type { Tracker } from '../../src/lib/tracking/tracker';
import { HttpRecorder } from '../support/httpRecorder';
import { FakeMlflow } from './fakeMlflow';
import { expect } from '@jest/globals';

const window = 'origin=2011-12-09;windows=3;horizon=28';
const production: PolicyEvidence = {
  version: '1',
  windowKey: window,
  metrics: { wape: 0.5, 'segment.fast.wape': 0.4, 'segment.slow.wape': 0.6, 'segment.intermittent.wape': 0.9 },
};
const gate = { margin: 0.02, segmentTolerance: 0.05 };

describe('decidePromotion', () => {
  it('approves a candidate that beats production by the margin with no segment regression', () => {
    const d = decidePromotion({
      ...gate,
      production,
      candidate: {
        version: '2',
        windowKey: window,
        metrics: { wape: 0.45, 'segment.fast.wape': 0.38, 'segment.slow.wape': 0.62, 'segment.intermittent.wape': 0.85 },
      },
    });
    expect(d).toMatchObject({ approved: true, reason: 'better', productionVersion: '1' });
    // slow got a little worse (0.62 vs 0.6) but within 5%: limit 0.63
    expect(d.figures.find((f) => f.metric === 'segment.slow.wape')).toMatchObject({ passed: true, limit: expect.closeTo(0.63, 10) });
  });

  it('refuses a candidate that does not beat production by the margin, saying by how much', () => {
    const d = decidePromotion({
      ...gate,
      production,
      candidate: {
        version: '2',
        windowKey: window,
        metrics: { wape: 0.495, 'segment.fast.wape': 0.4, 'segment.slow.wape': 0.6, 'segment.intermittent.wape': 0.9 },
      },
    });
    expect(d).toMatchObject({ approved: false, reason: 'worse' });
    expect(d.reasons).toEqual([expect.stringContaining('wape: candidate 0.4950 > limit 0.4900 (production 0.5000')]);
  });

  it('refuses a better overall candidate that regresses a segment beyond the tolerance', () => {
    const d = decidePromotion({
      ...gate,
      production,
      candidate: {
        version: '3',
        windowKey: window,
        metrics: { wape: 0.4, 'segment.fast.wape': 0.3, 'segment.slow.wape': 0.6, 'segment.intermittent.wape': 0.99 },
      },
    });
    expect(d).toMatchObject({ approved: false, reason: 'segment_regression' });
    expect(d.reasons).toHaveLength(1);
    expect(d.reasons[0]).toMatch(/^segment\.intermittent\.wape: candidate 0\.9900 > limit 0\.9450 \(production 0\.9000/);
  });

  it('refuses when a segment figure is missing from the candidate', () => {
    const d = decidePromotion({ ...gate, production, candidate: { version: '3', windowKey: window, metrics: { wape: 0.3 } } });
    expect(d.approved).toBe(false);
    expect(d.reasons.filter((r) => r.includes('candidate has no figure'))).toHaveLength(3);
  });

  it('approves the first candidate when there is no production version yet', () => {
    const d = decidePromotion({ ...gate, production: undefined, candidate: { version: '1', windowKey: window, metrics: { wape: 0.7 } } });
    expect(d).toMatchObject({ approved: true, reason: 'no_production', productionVersion: null });
  });

  it('refuses to compare policies backtested on different windows', () => {
    const d = decidePromotion({
      ...gate,
      production,
      candidate: { version: '2', windowKey: 'origin=2011-12-01;windows=3;horizon=28', metrics: { wape: 0.1 } },
    });
    expect(d).toMatchObject({ approved: false, reason: 'not_comparable' });
  });
});

/** Registers a policy version whose run carries the given metrics. */
async function registerVersion(tracker: Tracker, name: string, metrics: Record<string, number>, windowKey = window): Promise<string> {
  const experimentId = await tracker.getOrCreateExperiment('demand-forecast');
  const runId = await tracker.startRun(experimentId, { runName: `run-${Object.values(metrics).join('-')}` });
  await tracker.logBatch(runId, {
    params: { 'backtest.window_key': windowKey },
    metrics: Object.entries(metrics).map(([key, value]) => ({ key, value })),
  });
  await tracker.endRun(runId, 'FINISHED');
  await tracker.ensureRegisteredModel(name);
  return (await tracker.createModelVersion(name, { source: `gold/model_params/run_id=${runId}`, runId })).version;
}

describe('promotePolicy and `demand models` on the Table-storage tracker', () => {
  let dir: string;
  let stdout: string[];
  let stderr: string[];
  let exitCode: number;
  const name = 'demand-forecast-policy';

  const context = (): CliContext => ({
    settings: (overrides) =>
      loadSettings({ DEMAND_STATE_DIR: path.join(dir, 'state'), DEMAND_LAKE_DIR: path.join(dir, 'lake') }, overrides),
    services: (settings) => createServices(settings),
    stdout: (t) => stdout.push(t),
    stderr: (t) => stderr.push(t),
    setExitCode: (c) => {
      exitCode = c;
    },
  });
  const cli = async (...args: string[]) => {
    stdout = [];
    stderr = [];
    exitCode = 0;
    const program = new Command().exitOverride();
    registerModelsCommand(program, context());
    await program.parseAsync(['node', 'demand', ...args]);
  };

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-promo-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('promotes the first version, refuses a worse one figure by figure, promotes a better one', async () => {
    const entities = EmbeddedEntityStore.fromDirectory(path.join(dir, 'state'));
    const tracker = TablesTracker.fromEntityStore(entities);
    const v1 = await registerVersion(tracker, name, production.metrics);
    const first = await promotePolicy({
      tracker,
      entities,
      modelName: name,
      version: v1,
      to: 'production',
      ...gate,
      decidedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(first).toMatchObject({ promoted: true, decision: { reason: 'no_production' } });
    expect((await tracker.getVersionByAlias(name, 'production'))?.version).toBe(v1);
    expect((await tracker.getVersionByAlias(name, 'champion'))?.version).toBe(v1);

    // worse on the intermittent segment: the CLI refuses, exits non-zero and keeps production
    const v2 = await registerVersion(tracker, name, {
      wape: 0.4,
      'segment.fast.wape': 0.3,
      'segment.slow.wape': 0.5,
      'segment.intermittent.wape': 1.2,
    });
    await cli('models', 'promote', '--version', v2, '--to', 'production');
    expect(exitCode).toBe(2);
    expect(stderr.join('')).toMatch(/REFUSED: version 2 .*segment_regression/);
    expect(stderr.join('')).toMatch(/segment\.intermittent\.wape: candidate 1\.2000 > limit 0\.9450/);
    expect((await tracker.getVersionByAlias(name, 'production'))?.version).toBe(v1);
    expect((await tracker.getModelVersion(name, v2))?.tags).toMatchObject({
      'promotion.decision': 'refused',
      'promotion.reason': 'segment_regression',
      'promotion.against': '1',
    });

    const v3 = await registerVersion(tracker, name, {
      wape: 0.45,
      'segment.fast.wape': 0.39,
      'segment.slow.wape': 0.6,
      'segment.intermittent.wape': 0.9,
    });
    // the release pipeline's gate: evaluate and record, move nothing
    await cli('models', 'promote', '--version', v3, '--to', 'production', '--dry-run');
    expect(exitCode).toBe(0);
    expect(stdout.join('')).toMatch(/APPROVED: version 3 passes the gate \(dry run: no alias moved\) \(better\)/);
    expect((await tracker.getVersionByAlias(name, 'production'))?.version).toBe(v1);

    await cli('models', 'promote', '--version', v3, '--to', 'production', '--json');
    expect(exitCode).toBe(0);
    const json = JSON.parse(stdout.join('')) as { promoted: boolean; decision: { reason: string; approved: boolean } };
    expect(json).toMatchObject({ promoted: true, decision: { approved: true, reason: 'better' } });
    expect((await tracker.getVersionByAlias(name, 'production'))?.version).toBe(v3);

    const records = await listDecisions(entities, name);
    // (a dry run and the real promotion may share a millisecond, so their order is not asserted)
    expect(records.map((r) => [r['candidateVersion'], r['approved'], r['reason'], r['dryRun']])).toHaveLength(4);
    expect(records.map((r) => [r['candidateVersion'], r['approved'], r['reason'], r['dryRun']])).toEqual(
      expect.arrayContaining([
        ['1', true, 'no_production', false],
        ['2', false, 'segment_regression', false],
        ['3', true, 'better', true],
        ['3', true, 'better', false],
      ]),
    );
    expect(records[1]?.['figures']).toEqual(
      expect.arrayContaining([expect.objectContaining({ metric: 'segment.intermittent.wape', passed: false, candidate: 1.2 })]),
    );

    await cli('models', 'list', '--json');
    const listed = JSON.parse(stdout.join('')) as { versions: Array<{ version: string; aliases: string[] }> };
    expect(listed.versions.map((v) => [v.version, v.aliases.sort()])).toEqual([
      ['1', []],
      ['2', []],
      ['3', ['champion', 'production']],
    ]);
    await cli('models', 'show', '3');
    expect(stdout.join('')).toMatch(/version 3 +aliases: (champion, production|production, champion)/);
    expect(stdout.join('')).toMatch(/segment\.intermittent\.wape +0\.9000/);

    await expect(cli('models', 'promote', '--version', '3', '--to', 'staging')).rejects.toThrow(
      /target must be "production", got "staging"/,
    );
    await expect(cli('models', 'show', '42')).rejects.toThrow(/Version 42 of demand-forecast-policy does not exist/);
  });
});

describe('`demand models` on MLflow (the fake answers as a real 2.12 server: search carries no aliases)', () => {
  let dir: string;
  let recorder: HttpRecorder;
  let out: string[];
  let err: string[];
  let exitCode: number;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-promo-mlflow-'));
    recorder = await HttpRecorder.start(new FakeMlflow().handle);
  });
  afterAll(async () => {
    await recorder.close();
    await fs.rm(dir, { recursive: true, force: true });
  });
  const cli = async (...args: string[]) => {
    out = [];
    err = [];
    exitCode = 0;
    const program = new Command().exitOverride();
    registerModelsCommand(program, {
      settings: (overrides) =>
        loadSettings(
          {
            DEMAND_STATE_DIR: path.join(dir, 'state'),
            DEMAND_LAKE_DIR: path.join(dir, 'lake'),
            DEMAND_TRACKER: 'mlflow',
            MLFLOW_TRACKING_URI: recorder.url,
          },
          overrides,
        ),
      services: (settings) => createServices(settings),
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      setExitCode: (c) => {
        exitCode = c;
      },
    });
    await program.parseAsync(['node', 'demand', ...args]);
  };

  it('lists the aliases the registry holds, refuses a worse version and approves a better one', async () => {
    const tracker = MlflowTracker.fromOptions({ trackingUri: recorder.url });
    const register = async (metrics: Record<string, number>) => {
      const experimentId = await tracker.getOrCreateExperiment('demand-forecast');
      const runId = await tracker.startRun(experimentId, { runName: `run-${Object.values(metrics).join('-')}` });
      await tracker.logBatch(runId, {
        params: { 'backtest.window_key': window },
        metrics: Object.entries(metrics).map(([key, value]) => ({ key, value })),
        tags: { 'breakdown.skus_by_model': '{"median(ets,sba)":2}' },
      });
      await tracker.endRun(runId, 'FINISHED');
      await tracker.ensureRegisteredModel('demand-forecast-policy');
      return (
        await tracker.createModelVersion('demand-forecast-policy', {
          source: `https://acct.dfs.core.windows.net/lake/gold/model_params/run_id=${runId}`,
          runId,
        })
      ).version;
    };
    const v1 = await register(production.metrics);
    await cli('models', 'promote', '--version', v1, '--to', 'production');
    expect(exitCode).toBe(0);
    const v2 = await register({ ...production.metrics, wape: 0.499 });
    await cli('models', 'promote', '--version', v2, '--to', 'production');
    expect(exitCode).toBe(2);
    expect(err.join('')).toMatch(/REFUSED: version 2 not promoted over production version 1 \(worse\)/);
    const v3 = await register({ wape: 0.45, 'segment.fast.wape': 0.39, 'segment.slow.wape': 0.6, 'segment.intermittent.wape': 0.9 });
    await cli('models', 'promote', '--version', v3, '--to', 'production');
    expect(exitCode).toBe(0);
    expect(out.join('')).toMatch(/APPROVED: version 3 is now production \(better\)/);

    await cli('models', 'list');
    const lines = out.join('').split('\n');
    expect(lines.find((l) => l.startsWith('1 '))).toMatch(/^1\s+-\s/);
    expect(lines.find((l) => l.startsWith('3 '))).toMatch(/^3\s+(champion,production|production,champion)\s/);
    await cli('models', 'show', '3');
    expect(out.join('')).toMatch(/aliases: (champion, production|production, champion)/);
    expect(out.join('')).toMatch(/run tags:\n(.*\n)*\s+breakdown\.skus_by_model\s+\{"median\(ets,sba\)":2\}/);
    expect(out.join('')).not.toMatch(/mlflow\.runName/);
  });
});
