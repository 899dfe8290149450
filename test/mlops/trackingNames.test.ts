import { loadSettings } from '../../src/lib/config/settings';
import { SettingsError } from '../../src/lib/errors';
import { createServices } from '../../src/composition/services';
import { segmentMetricKey, segmentsIn, silverVersionParamKey } from '../../src/lib/registry/policyMetrics';
import { breakdownJson, breakdownTags, otherEntriesKey, sumBreakdowns } from '../../src/lib/registry/runMetrics';
import { isLocalUri, policyVersionSource } from '../../src/lib/registry/versionSource';
import { experimentNameFor } from '../../src/lib/tracking/mlflowSettings';
import { keyProblem, keySegment, parseKeySegment, parseTrackingKey, trackingKey } from '../../src/lib/tracking/trackingKeys';

describe('tracking keys (MLflow-valid, reversible)', () => {
  it('accepts what MLflow accepts and refuses what it refuses', () => {
    for (const ok of ['wape', 'segment.fast.wape', 'silver/daily_demand.version', 'a b-c_d', 'x'.repeat(250)])
      expect(keyProblem(ok)).toBeUndefined();
    for (const bad of [
      'skus_by_model.median(smedian,ets,snaive)',
      'fallbacks.3 stockout day(s) imputed, …',
      'a,b',
      'é',
      '',
      '/a',
      'a/',
      'a//b',
      'a/./b',
      '..',
      'x'.repeat(251),
    ]) {
      expect(keyProblem(bad)).toBeDefined();
    }
  });

  it('encodes data into key parts that are valid and decode back exactly', () => {
    const texts = ['fast', 'median(smedian,ets,snaive)', '3 stockout day(s) imputed, …', 'a.b/c d-e', 'ünï→', '-2D', ''];
    for (const text of texts) {
      const part = keySegment(text);
      expect(part).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(parseKeySegment(part)).toBe(text);
    }
    expect(keySegment('median(ets,sba)')).toBe('median-28ets-2Csba-29');
    const key = trackingKey(['segment', 'slow.movers', 'wape']);
    expect(key).toBe('segment.slow-2Emovers.wape');
    expect(keyProblem(key)).toBeUndefined();
    expect(parseTrackingKey(key)).toEqual(['segment', 'slow.movers', 'wape']);
  });

  it('keeps the existing names of plain segments and tables, and reads encoded segments back', () => {
    expect(segmentMetricKey('fast', 'wape')).toBe('segment.fast.wape');
    expect(silverVersionParamKey('daily_demand')).toBe('silver.daily_demand.version');
    expect(segmentsIn({ [segmentMetricKey('new (q4)', 'wape')]: 1, 'segment.fast.wape': 2, wape: 3 })).toEqual(['fast', 'new (q4)']);
  });
});

describe('breakdowns as JSON tags', () => {
  it('sums counts over batches and writes them largest first', () => {
    const b = sumBreakdowns([
      { models: { 'median(ets,sba)': 2, ets: 1 }, fallbacks: { 'short history': 1 } },
      { models: { ets: 4 }, fallbacks: {} },
    ]);
    expect(b).toEqual({ skusByModel: { 'median(ets,sba)': 2, ets: 5 }, fallbacks: { 'short history': 1 } });
    expect(breakdownTags(b)).toEqual({
      'breakdown.skus_by_model': '{"ets":5,"median(ets,sba)":2}',
      'breakdown.fallbacks': '{"short history":1}',
    });
  });

  it('folds the smallest entries into "(other)" to stay within the tag value limit', () => {
    const counts = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`${i} stockout day(s) imputed`, 1000 - i]));
    const json = breakdownJson(counts);
    expect(json.length).toBeLessThanOrEqual(5000);
    const parsed = JSON.parse(json) as Record<string, number>;
    const total = Object.values(counts).reduce((a, c) => a + c, 0);
    expect(Object.values(parsed).reduce((a, c) => a + c, 0)).toBe(total);
    expect(parsed[otherEntriesKey]).toBeGreaterThan(0);
    expect(parsed['0 stockout day(s) imputed']).toBe(1000);
  });
});

describe('policy version source', () => {
  const run = { runId: 'abc', artifactUri: '/srv/mlflow/artifacts/1/abc/artifacts' };
  it('is the lake URI for a lake in Azure, whatever the tracker', () => {
    const lakeLocation = 'https://acct.dfs.core.windows.net/lake';
    expect(policyVersionSource({ lakeLocation, modelParamsPath: 'gold/model_params/run_id=r1', run, tracker: { kind: 'mlflow' } })).toBe(
      'https://acct.dfs.core.windows.net/lake/gold/model_params/run_id=r1',
    );
    expect(
      policyVersionSource({
        lakeLocation: 'abfss://lake@acct.dfs.core.windows.net/',
        modelParamsPath: 'gold/m',
        run,
        tracker: { kind: 'mlflow' },
      }),
    ).toBe('abfss://lake@acct.dfs.core.windows.net/gold/m');
  });
  it('is the run artifact folder for a local lake with MLflow, the lake URI with the embedded registry', () => {
    expect(policyVersionSource({ lakeLocation: 'file:///home/u/lake', modelParamsPath: 'gold/m', run, tracker: { kind: 'mlflow' } })).toBe(
      '/srv/mlflow/artifacts/1/abc/artifacts/model_params',
    );
    expect(policyVersionSource({ lakeLocation: 'file:///home/u/lake', modelParamsPath: 'gold/m', run, tracker: { kind: 'tables' } })).toBe(
      'file:///home/u/lake/gold/m',
    );
    expect(() =>
      policyVersionSource({
        lakeLocation: '/home/u/lake',
        modelParamsPath: 'gold/m',
        run: { runId: 'abc', artifactUri: null },
        tracker: { kind: 'mlflow' },
      }),
    ).toThrow(/no artifact location/);
    expect([isLocalUri('/a'), isLocalUri('file:///a'), isLocalUri('C:/a'), isLocalUri('https://x/a'), isLocalUri('dbfs:/a')]).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('MLflow settings on Databricks and Unity Catalog', () => {
  const adb = 'https://adb-123.4.azuredatabricks.net';
  it('places the default experiment at a workspace path on Databricks only', () => {
    expect(experimentNameFor(loadSettings({ DEMAND_TRACKER: 'mlflow', MLFLOW_TRACKING_URI: adb }))).toBe('/Shared/demand-forecast');
    expect(
      experimentNameFor(loadSettings({ DEMAND_TRACKER: 'mlflow', MLFLOW_TRACKING_URI: adb, DEMAND_EXPERIMENT_NAME: '/Users/me@x.com/f' })),
    ).toBe('/Users/me@x.com/f');
    expect(experimentNameFor(loadSettings({ DEMAND_TRACKER: 'mlflow', MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' }))).toBe(
      'demand-forecast',
    );
    expect(experimentNameFor(loadSettings({}))).toBe('demand-forecast');
  });

  it('refuses a Unity Catalog model name when the pipeline starts, saying what is supported', async () => {
    const settings = loadSettings({
      DEMAND_TRACKER: 'mlflow',
      MLFLOW_TRACKING_URI: adb,
      DEMAND_REGISTERED_MODEL_NAME: 'main.demand.policy',
    });
    const err = await createServices(settings).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SettingsError);
    expect((err as SettingsError).setting).toBe('DEMAND_REGISTERED_MODEL_NAME');
    expect((err as Error).message).toMatch(/Unity Catalog.*not supported.*workspace model registry/);
    // The embedded registry takes any name; a two-part name is a workspace registry name.
    await expect(
      createServices(loadSettings({ DEMAND_REGISTERED_MODEL_NAME: 'main.demand.policy', DEMAND_LAKE_DIR: '/nonexistent-lake' })),
    ).resolves.toBeDefined();
    await expect(
      createServices(loadSettings({ DEMAND_TRACKER: 'mlflow', MLFLOW_TRACKING_URI: adb, DEMAND_REGISTERED_MODEL_NAME: 'demand.policy' })),
    ).resolves.toBeDefined();
    await expect(createServices(loadSettings({ DEMAND_TRACKER: 'mlflow' }))).rejects.toThrow(/MLFLOW_TRACKING_URI/);
  });
});
