/**
 * What a run was asked for travels with it: the horizon and season of the run's options reach the
 * tracking step (finalizeForecast) and the drift check, so an HTTP re-forecast with its own
 * horizon is tracked with that horizon, not the global setting; and a trigger that is no
 * TriggerKind fails the run with an error naming the field and the value.
 */
import { LocalOrchestrationHost } from '../../src/host/localHost';
import { loadSettings } from '../../src/lib/config/settings';
import { orchestrators } from '../../src/orchestrators';
import { pipelineOptionsFromSettings } from '../../src/orchestrators/input';
import { activityNames, orchestratorNames } from '../../src/contracts/names';
import type { DriftCheckInput, FinalizeForecastInput } from '../../src/contracts/messages';
import type { RunSummary } from '../../src/orchestrators/summary';
import { fakeActivities } from './fakeActivities';

const settings = loadSettings({});
const options = { ...pipelineOptionsFromSettings(settings), batchSize: 10, firstRetryIntervalInMs: 5, horizonDays: 30, season: 14 };

function makeHost(activities: Record<string, (input: unknown) => Promise<unknown>>) {
  const host = new LocalOrchestrationHost({ sleep: async () => undefined, now: () => new Date('2026-11-24T02:00:00Z') });
  for (const [name, handler] of Object.entries(orchestrators)) host.registerOrchestrator(name, handler);
  for (const [name, fn] of Object.entries(activities)) host.registerActivity(name, fn);
  return host;
}

describe('run parameters through the orchestrations', () => {
  it('settings differ from the run options under test (else the test could not tell them apart)', () => {
    expect(settings.DEMAND_FORECAST_HORIZON_DAYS).not.toBe(options.horizonDays);
    expect(settings.DEMAND_FORECAST_SEASON).not.toBe(options.season);
  });

  it('an HTTP re-forecast with horizonDays=30 hands 30 (and its season) to the tracking step', async () => {
    const { activities, calls } = fakeActivities({ skus: 1, batchSize: 10 });
    const host = makeHost(activities);
    const input = { skus: ['SKU0000'], reason: 'http', options };
    const status = await host.waitForCompletion(host.startNew(orchestratorNames.reforecastSkus, { instanceId: 'http-30', input }));
    expect(status.runtimeStatus).toBe('Completed');
    const finalize = calls.find((c) => c.name === activityNames.finalizeForecast)?.input as FinalizeForecastInput;
    expect(finalize).toMatchObject({ trigger: 'http', horizonDays: 30, season: 14 });
    const batch = calls.find((c) => c.name === activityNames.forecastBatch)?.input as { horizonDays: number; season: number };
    expect(batch).toMatchObject({ horizonDays: 30, season: 14 });
  });

  it('the daily pipeline and the drift monitor hand their horizon and season to the drift check', async () => {
    const { activities, calls } = fakeActivities({ skus: 5, batchSize: 10 });
    const host = makeHost(activities);
    const pipeline = await host.waitForCompletion(
      host.startNew(orchestratorNames.demandPipeline, { instanceId: 'run-30', input: { trigger: 'manual', options } }),
    );
    expect(pipeline.runtimeStatus).toBe('Completed');
    const monitor = await host.waitForCompletion(
      host.startNew(orchestratorNames.driftMonitor, { instanceId: 'monitor-30', input: { options } }),
    );
    expect(monitor.runtimeStatus).toBe('Completed');
    const driftInputs = calls.filter((c) => c.name === activityNames.checkDrift).map((c) => c.input as DriftCheckInput);
    expect(driftInputs).toEqual([
      expect.objectContaining({ runId: 'run-30', horizonDays: 30, season: 14 }),
      expect.objectContaining({ runId: 'monitor-30', horizonDays: 30, season: 14 }),
    ]);
  });

  it('a trigger that is no TriggerKind fails the run before any activity, naming the field and the value', async () => {
    const { activities, calls } = fakeActivities({ skus: 5, batchSize: 10 });
    const host = makeHost(activities);
    const status = await host.waitForCompletion(
      host.startNew(orchestratorNames.demandPipeline, { instanceId: 'run-bad-trigger', input: { trigger: 'reforecast', options } }),
    );
    expect(status.runtimeStatus).toBe('Failed');
    expect(calls).toHaveLength(0);
    const output = JSON.stringify(status.output);
    expect(output).toMatch(/trigger must be one of manual, scheduled, adf, api, http, drift, challenger; got \\"reforecast\\"/);
    // The failed run's summary (in its custom status) names no trigger rather than an invalid one.
    expect((status.customStatus as { summary: RunSummary }).summary.trigger).toBeNull();
  });

  it('a re-forecast whose reason is no re-forecast trigger fails, naming the field and the value', async () => {
    const { activities, calls } = fakeActivities({ skus: 1, batchSize: 10 });
    const host = makeHost(activities);
    const input = { skus: ['SKU0000'], reason: 'reforecast', options };
    const status = await host.waitForCompletion(host.startNew(orchestratorNames.reforecastSkus, { instanceId: 'bad-reason', input }));
    expect(status.runtimeStatus).toBe('Failed');
    expect(calls).toHaveLength(0);
    expect(JSON.stringify(status.output)).toMatch(
      /Orchestration input is invalid at reason: reason must be http or drift; got \\"reforecast\\"/,
    );
  });
});
