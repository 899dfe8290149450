import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import packageJson from '../../package.json';
import { loadSettings } from '../../src/lib/config/settings';
import { openLakeTable } from '../../src/lib/delta';
import type { DeltaRow } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { forecastRunsInEffect } from '../../src/activities/checkDrift';
import { finalizeForecast } from '../../src/activities/finalizeForecast';
import type { FinalizeForecastInput } from '../../src/contracts/messages';
import type { PipelineServices } from '../../src/lib/pipelineServices';
import { lakeTables } from '../../src/lib/lakeTables';
import { listDecisions } from '../../src/lib/registry/promotion';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { createTracker } from '../../src/composition/tracker';
import { HttpRecorder } from '../support/httpRecorder';
import { FakeMlflow } from './fakeMlflow';
import { expect } from '@jest/globals';
import { adapterFactories } from '../../src/composition/services';
import type { TriggerKind } from '../../src/lib/runs/triggerKind';
import { ValidationError } from '../../src/lib/errors';
import { experimentNameFor } from '../../src/lib/tracking/mlflowSettings';

const segments: Record<string, string> = { S1: 'fast', S2: 'fast', S3: 'slow', S4: 'intermittent' };

/** Gold forecast_metrics and forecasts of one run: |error| and |actual| per SKU scaled by `errorScale`. */
async function writeGold(services: PipelineServices, runId: string, errorScale: number): Promise<void> {
  const metrics: DeltaRow[] = Object.entries(segments).map(([sku, segment], i) => ({
    run_id: runId,
    sku,
    model: 'ets',
    segment,
    demand_class: segment === 'intermittent' ? 'intermittent' : 'smooth',
    mase: 0.8 * errorScale + i * 0.1,
    wape: ((10 + i) * errorScale) / 100,
    smape: null,
    bias: i % 2 === 0 ? 0.1 : -0.1,
    coverage90: 0.9,
    pinball: 1 + i,
    abs_err: (10 + i) * errorScale,
    abs_actual: 100,
    windows: 3,
    fallback_reason: null,
  }));
  const forecasts: DeltaRow[] = Object.keys(segments).map((sku) => ({
    run_id: runId,
    sku,
    origin_date: '2011-12-09',
    target_date: '2011-12-10',
    step: 1,
    point: 1,
    q05: 0,
    q25: 1,
    q50: 1,
    q75: 1,
    q95: 2,
    model: 'ets',
    expected: 1,
  }));
  for (const [def, rows] of [
    [lakeTables.forecast_metrics, metrics],
    [lakeTables.forecasts, forecasts],
  ] as const) {
    await openLakeTable(services.lake, def).write(rows, { schema: def.schema, partitionBy: def.partitionBy, mode: 'overwritePartitions' });
  }
}

const input = (runId: string, trigger: TriggerKind = 'scheduled', startedAt = '2011-12-10T02:00:00.000Z'): FinalizeForecastInput => ({
  runId,
  runDate: startedAt.slice(0, 10),
  startedAt,
  trigger,
  tableVersions: { daily_demand: 3, order_lines: 2 },
  batches: [
    {
      batchId: 'b0',
      skus: 4,
      forecastRows: 112,
      models: { ets: 3, tsb: 1 },
      fallbacks: { short_history: 1 },
      backtest: { absError: 46, absActual: 400, maseSum: 3.8, maseCount: 4 },
    },
  ],
});

describe('finalizeForecast', () => {
  let dir: string;
  let recorder: HttpRecorder | undefined;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-final-'));
  });
  afterEach(async () => {
    await recorder?.close();
    recorder = undefined;
    await fs.rm(dir, { recursive: true, force: true });
  });
  const servicesWith = (env: Record<string, string> = {}): PipelineServices & { logs: string[] } => {
    const logs: string[] = [];
    return {
      settings: loadSettings({ DEMAND_LAKE_DIR: path.join(dir, 'lake'), DEMAND_CODE_VERSION: 'abc1234', ...env }),
      lake: FileSystemLake.fromDirectory(path.join(dir, 'lake')),
      entities: EmbeddedEntityStore.fromDirectory(path.join(dir, 'state')),
      log: (m: string) => logs.push(m),
      adapters: adapterFactories,
      logs,
    };
  };

  it('tracks params, aggregate and per-segment metrics, registers the policy and promotes the first version', async () => {
    const services = servicesWith();
    await writeGold(services, 'r1', 1);
    const out = await finalizeForecast(input('r1'), services);
    expect(out.modelVersion).toBe('1');
    // pooled WAPE = Σ|err| / Σ|actual| = (10+11+12+13) / 400
    expect(out.metrics['wape']).toBeCloseTo(46 / 400, 12);
    expect(out.metrics['segment.fast.wape']).toBeCloseTo(21 / 200, 12);
    expect(out.metrics['segment.intermittent.wape']).toBeCloseTo(0.13, 12);
    expect(out.metrics['mase']).toBeCloseTo((0.8 + 0.9 + 1.0 + 1.1) / 4, 12);
    expect(out.metrics['bias']).toBeCloseTo(0, 12);
    expect(out.metrics['coverage90']).toBeCloseTo(0.9, 12);
    expect(out.metrics['pinball']).toBeCloseTo(2.5, 12);
    expect(out.metrics).toMatchObject({ skus: 4, 'segment.fast.skus': 2, 'models.distinct': 2, 'fallbacks.total': 1, forecast_rows: 112 });
    expect(Object.keys(out.metrics).filter((k) => k.startsWith('skus_by_model') || k.startsWith('fallbacks.short'))).toEqual([]);

    const tracker = createTracker(services);
    const run = (await tracker.getRun(out.trackingRunId))!;
    expect(run.status).toBe('FINISHED');
    expect(run.runName).toBe('r1');
    expect(run.params).toMatchObject({
      'code.version': `${packageJson.version}+abc1234`,
      'silver.daily_demand.version': '3',
      'silver.order_lines.version': '2',
      'gold.model_params': 'gold/model_params/run_id=r1',
      'backtest.window_key': 'origin=2011-12-09;windows=3;horizon=28',
      'policy.horizon_days': '28',
      'metrics.source': 'gold.forecast_metrics',
    });
    // Counts by model and by fallback reason are JSON tags, not metric names.
    expect(JSON.parse(run.tags['breakdown.skus_by_model']!)).toEqual({ ets: 3, tsb: 1 });
    expect(JSON.parse(run.tags['breakdown.fallbacks']!)).toEqual({ short_history: 1 });
    const version = (await tracker.getModelVersion('demand-forecast-policy', '1'))!;
    expect(version).toMatchObject({
      runId: out.trackingRunId,
      aliases: expect.arrayContaining(['production', 'champion']),
      tags: { 'pipeline.run_id': 'r1', 'promotion.reason': 'no_production' },
    });
    expect(version.source).toMatch(/^file:\/\/.*\/gold\/model_params\/run_id=r1$/);
    expect(services.logs.join('\n')).toMatch(/first policy version 1 promoted to production automatically/);
    expect((await listDecisions(services.entities, 'demand-forecast-policy')).map((d) => d['reason'])).toEqual(['no_production']);
  });

  it('tracks an HTTP re-forecast with its own horizon and season, not the settings', async () => {
    const services = servicesWith();
    expect(services.settings.DEMAND_FORECAST_HORIZON_DAYS).not.toBe(30);
    await writeGold(services, 'h1', 1);
    const out = await finalizeForecast({ ...input('h1', 'http'), horizonDays: 30, season: 14 }, services);
    expect(out.modelVersion).toBeNull(); // a partial re-forecast registers no version
    const run = (await createTracker(services).getRun(out.trackingRunId))!;
    expect(run.params).toMatchObject({
      'backtest.window_key': 'origin=2011-12-09;windows=3;horizon=30',
      'policy.horizon_days': '30',
      'policy.season': '14',
    });
  });

  it('refuses a trigger that is no TriggerKind, naming the field and the value, before tracking anything', async () => {
    const services = servicesWith();
    await writeGold(services, 'bad', 1);
    const err = await finalizeForecast({ ...input('bad'), trigger: 'reforecast' as TriggerKind }, services).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({
      field: 'trigger',
      message: 'trigger must be one of manual, scheduled, adf, api, http, drift, challenger; got "reforecast"',
    });
    const tracker = createTracker(services);
    expect(await tracker.findRunByName(await tracker.getOrCreateExperiment(experimentNameFor(services.settings)), 'bad')).toBeUndefined();
  });

  it('registers later runs as challenger, is idempotent on retry, and tracks partial re-forecasts without a version', async () => {
    const services = servicesWith();
    await writeGold(services, 'r1', 1);
    await writeGold(services, 'r2', 0.5);
    await finalizeForecast(input('r1'), services);
    const second = await finalizeForecast(input('r2'), services);
    const retried = await finalizeForecast(input('r2'), services);
    expect(second.modelVersion).toBe('2');
    expect(retried).toMatchObject({ modelVersion: '2', trackingRunId: second.trackingRunId });
    const tracker = createTracker(services);
    const versions = await tracker.listModelVersions('demand-forecast-policy');
    expect(versions.map((v) => [v.version, v.aliases.sort()])).toEqual([
      ['1', ['champion', 'production']],
      ['2', ['challenger']],
    ]);
    const drift = await finalizeForecast(input('r3', 'drift'), services);
    expect(drift.modelVersion).toBeNull();
    expect(drift.metrics['wape']).toBeCloseTo(46 / 400, 12); // no Gold rows for r3: from the batch sums
    expect((await tracker.getRun(drift.trackingRunId))?.params['metrics.source']).toBe('batch_sums');
    expect(await tracker.listModelVersions('demand-forecast-policy')).toHaveLength(2);
  });

  it('indexes runs so the drift check reads only the forecasts in effect (never a challenger run)', async () => {
    const services = servicesWith();
    expect(await forecastRunsInEffect(services, 'now')).toBeUndefined(); // no index yet: every earlier run
    await finalizeForecast(input('d1', 'scheduled', '2011-12-10T02:00:00.000Z'), services);
    await finalizeForecast(input('d1-fix', 'drift', '2011-12-10T05:00:00.000Z'), services);
    await finalizeForecast(input('d2', 'scheduled', '2011-12-11T02:00:00.000Z'), services);
    await finalizeForecast(input('d2-challenger', 'challenger', '2011-12-11T03:00:00.000Z'), services);
    await finalizeForecast(input('d2-fix', 'http', '2011-12-11T04:00:00.000Z'), services);
    expect([...(await forecastRunsInEffect(services, 'timer-check'))!].sort()).toEqual(['d2', 'd2-fix']);
    // right after run d2, its own forecasts have no actuals yet: d1 and the re-forecasts since are in effect
    expect([...(await forecastRunsInEffect(services, 'd2'))!].sort()).toEqual(['d1', 'd1-fix', 'd2-fix']);
  });

  it('tracks to MLflow when DEMAND_TRACKER=mlflow (stand-in server, documented REST shapes)', async () => {
    const fake = new FakeMlflow('tok');
    recorder = await HttpRecorder.start(fake.handle);
    const services = servicesWith({ DEMAND_TRACKER: 'mlflow', MLFLOW_TRACKING_URI: recorder.url, MLFLOW_TRACKING_TOKEN: 'tok' });
    await writeGold(services, 'r1', 1);
    const out = await finalizeForecast(input('r1'), services);
    expect(out.modelVersion).toBe('1');
    const calls = recorder.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`);
    for (const endpoint of [
      'POST /api/2.0/mlflow/runs/create',
      'POST /api/2.0/mlflow/runs/log-batch',
      'POST /api/2.0/mlflow/runs/update',
      'POST /api/2.0/mlflow/registered-models/create',
      'POST /api/2.0/mlflow/model-versions/create',
      'POST /api/2.0/mlflow/registered-models/alias',
    ]) {
      expect(calls).toContain(endpoint);
    }
    const batch = recorder.requests.find((r) => r.url === '/api/2.0/mlflow/runs/log-batch')!.json as {
      params: Array<{ key: string; value: string }>;
      metrics: Array<{ key: string }>;
    };
    expect(batch.params).toContainEqual({ key: 'gold.model_params', value: 'gold/model_params/run_id=r1' });
    expect(batch.metrics.map((m) => m.key)).toEqual(
      expect.arrayContaining(['wape', 'mase', 'bias', 'coverage90', 'pinball', 'segment.slow.wape']),
    );
    expect(fake.models.get('demand-forecast-policy')?.aliases.get('production')).toBe('1');
  });
});

describe('finalizeForecast against the MLflow fake (behaviours recorded from a real MLflow 2.12.2)', () => {
  let dir: string;
  let recorder: HttpRecorder;
  let fake: FakeMlflow;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-final-mlflow-'));
    // An open-source server: no token, local artifact root.
    fake = new FakeMlflow({ artifactRoot: path.join(dir, 'mlartifacts') });
    recorder = await HttpRecorder.start(fake.handle);
  });
  afterEach(async () => {
    await recorder.close();
    await fs.rm(dir, { recursive: true, force: true });
  });
  const services = (env: Record<string, string> = {}): PipelineServices & { logs: string[] } => {
    const logs: string[] = [];
    return {
      settings: loadSettings({
        DEMAND_LAKE_DIR: path.join(dir, 'lake'),
        DEMAND_CODE_VERSION: 'abc1234',
        DEMAND_TRACKER: 'mlflow',
        MLFLOW_TRACKING_URI: recorder.url,
        ...env,
      }),
      lake: FileSystemLake.fromDirectory(path.join(dir, 'lake')),
      entities: EmbeddedEntityStore.fromDirectory(path.join(dir, 'state')),
      log: (m: string) => logs.push(m),
      adapters: adapterFactories,
      logs,
    };
  };
  /** Batches as the real sample produced them: ensemble names and fallback reasons are free text. */
  const realisticInput = (runId: string): FinalizeForecastInput => ({
    ...input(runId),
    batches: [
      {
        batchId: 'b0',
        skus: 6,
        forecastRows: 168,
        models: { 'median(smedian,ets,snaive)': 3, 'median(harmonic_smooth,smedian,sba)': 2, ets: 1 },
        fallbacks: { '3 stockout day(s) imputed, series too short for seasonality': 2, 'all-zero history → zero forecast': 1 },
        backtest: { absError: 46, absActual: 400, maseSum: 3.8, maseCount: 4 },
      },
    ],
  });
  const logBatches = () => recorder.requests.filter((r) => r.url === '/api/2.0/mlflow/runs/log-batch');

  it('logs a run whose models and fallbacks are free text: every key is MLflow-valid, the breakdowns are JSON tags', async () => {
    const s = services();
    await writeGold(s, 'r1', 1);
    const out = await finalizeForecast(realisticInput('r1'), s);
    expect(out.modelVersion).toBe('1');
    expect(logBatches().map((r) => r.url)).toHaveLength(1);
    const run = fake.runs.get(out.trackingRunId)!;
    expect(run.info.status).toBe('FINISHED');
    const tags = Object.fromEntries(run.tags.map((t) => [t.key, t.value]));
    expect(JSON.parse(tags['breakdown.skus_by_model']!)).toEqual({
      'median(smedian,ets,snaive)': 3,
      'median(harmonic_smooth,smedian,sba)': 2,
      ets: 1,
    });
    expect(JSON.parse(tags['breakdown.fallbacks']!)).toEqual({
      '3 stockout day(s) imputed, series too short for seasonality': 2,
      'all-zero history → zero forecast': 1,
    });
    expect(out.metrics).toMatchObject({ 'models.distinct': 3, 'fallbacks.total': 3 });
  });

  it('registers a local-lake version with a source inside the run artifact folder (a real registry refuses the lake path)', async () => {
    const s = services();
    await writeGold(s, 'r1', 1);
    const out = await finalizeForecast(input('r1'), s);
    const version = fake.models.get('demand-forecast-policy')!.versions[0]!;
    expect(version.source).toBe(`${path.join(dir, 'mlartifacts')}/1/${out.trackingRunId}/artifacts/model_params`);
    expect(version.run_id).toBe(out.trackingRunId);
    expect(version.tags).toContainEqual({
      key: 'gold.model_params.uri',
      value: `file://${path.join(dir, 'lake')}/gold/model_params/run_id=r1`,
    });
    expect(fake.models.get('demand-forecast-policy')!.aliases.get('production')).toBe('1');
  });

  it('a re-run with another code version is a new MLflow run; the finished run behind version 1 stays FINISHED', async () => {
    const first = services({ DEMAND_CODE_VERSION: 'test-a' });
    await writeGold(first, 'r1', 1);
    const a = await finalizeForecast(input('r1'), first);
    const b = await finalizeForecast(input('r1'), services({ DEMAND_CODE_VERSION: 'test-b' }));
    expect(b.trackingRunId).not.toBe(a.trackingRunId);
    expect(fake.runs.get(a.trackingRunId)!.info.status).toBe('FINISHED');
    expect(fake.runs.get(b.trackingRunId)!.info.status).toBe('FINISHED');
    expect(fake.runs.get(b.trackingRunId)!.params).toContainEqual({ key: 'code.version', value: `${packageJson.version}+test-b` });
    expect(fake.runs.get(b.trackingRunId)!.tags).toContainEqual({ key: 'pipeline.supersedes', value: a.trackingRunId });
    // The new run is a new policy version; version 1 keeps its own run.
    expect(b.modelVersion).toBe('2');
    expect(fake.models.get('demand-forecast-policy')!.versions.map((v) => v.run_id)).toEqual([a.trackingRunId, b.trackingRunId]);
  });

  it('a failure after the run finished leaves it FINISHED, and the retry completes without logging a metric point twice', async () => {
    const s = services();
    await writeGold(s, 'r1', 1);
    // The registry refuses once, after the run was logged and finished: the activity fails.
    fake.failOnce.set('POST model-versions/create', {
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'refused once' },
    });
    const err = await finalizeForecast(input('r1'), s).catch((e: unknown) => e);
    expect(String(err)).toMatch(/refused once.*\[permanent/);
    const runId = [...fake.runs.keys()][0]!;
    expect(fake.runs.get(runId)!.info.status).toBe('FINISHED');
    const retried = await finalizeForecast(input('r1'), s);
    expect(retried).toMatchObject({ trackingRunId: runId, modelVersion: '1' });
    const again = await finalizeForecast(input('r1'), s);
    expect(again).toMatchObject({ trackingRunId: runId, modelVersion: '1' });
    for (const key of ['wape', 'mase', 'segment.fast.wape', 'forecast_rows']) expect(fake.metricHistory(runId, key)).toHaveLength(1);
    expect(logBatches()).toHaveLength(1);
    expect(fake.runs.size).toBe(1);
  });
});
