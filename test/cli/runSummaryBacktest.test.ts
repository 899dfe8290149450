import { formatRunSummary } from '../../src/cli/summaryText';
import { runRecordFromStatus } from '../../src/lib/runs/runRecord';
import type { RunSummary } from '../../src/orchestrators/summary';

const forecast = {
  skus: 3,
  batches: 1,
  forecastRows: 84,
  models: { ets: 3 },
  fallbacks: {},
  backtest: { absError: 31, absActual: 150, maseSum: 2, maseCount: 2 },
};

const summary = (tracking: Record<string, unknown> | undefined): RunSummary =>
  ({
    runId: 'run-b',
    trigger: 'manual',
    startedAt: '2024-01-01T00:00:00Z',
    status: 'Completed',
    quarantineReasons: {},
    outputs: {},
    stages: { forecast, ...(tracking ? { tracking } : {}) },
  }) as unknown as RunSummary;

describe('run summary: the backtest’s fleet bias and band coverage', () => {
  const tracking = {
    trackingRunId: 't1',
    modelVersion: '1',
    breakdownPath: 'runs/run-b/breakdown.json',
    fleetBias: -0.0345,
    metrics: { wape: 31 / 150, fleet_bias: -0.0345, point_fleet_bias: -0.357, coverage50: 0.482, coverage90: 0.871 },
  };

  it('prints them on the backtest line of `demand run`', () => {
    const text = formatRunSummary(summary(tracking), { lake: 'file:///l', state: 'file:///s' });
    expect(text).toContain(
      'backtest WAPE 20.7%, mean MASE 1.000, fleet bias -3.5% on expected units (points -35.7%) (Σ forecast ÷ Σ actual − 1), q25–q75 holds 48.2%, q05–q95 87.1%',
    );
  });

  it('says when only the points’ fleet bias is known (a run finalized from Gold rows, which carry no expected units)', () => {
    const pointsOnly = { ...tracking, fleetBias: undefined, metrics: { wape: 31 / 150, point_fleet_bias: -0.357 } };
    const text = formatRunSummary(summary(pointsOnly), { lake: 'file:///l', state: 'file:///s' });
    expect(text).toContain("fleet bias -35.7% on points (Σ forecast ÷ Σ actual − 1; no expected units in this run's backtest)");
    expect(text).not.toContain('on expected units');
  });

  it('leaves them out when the run has no tracking stage (failed before finalize)', () => {
    const text = formatRunSummary(summary(undefined), { lake: 'file:///l', state: 'file:///s' });
    expect(text).toContain('backtest WAPE 20.7%, mean MASE 1.000\n');
    expect(text).not.toContain('fleet bias');
  });

  it('keeps the fleet bias in the run record (numbers one level deep)', () => {
    const record = runRecordFromStatus({
      instanceId: 'run-b',
      name: 'demandPipeline',
      runtimeStatus: 'Completed',
      output: summary(tracking),
      customStatus: null,
      createdTime: '2024-01-01T00:00:00Z',
      lastUpdatedTime: '2024-01-01T00:05:00Z',
    });
    expect(record.stages['tracking']).toEqual({ fleetBias: -0.0345 });
  });
});
