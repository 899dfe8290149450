import { LocalOrchestrationHost } from '../../src/host/localHost';
import { replay } from '../../src/host/replayEngine';
import { loadSettings } from '../../src/lib/config/settings';
import { ScratchSpaceError, ValidationError } from '../../src/lib/errors';
import { classified } from '../../src/activities';
import { notifyCallback } from '../../src/activities/notifyCallback';
import { orchestrators } from '../../src/orchestrators';
import { pipelineOptionsFromSettings, type DemandPipelineInput } from '../../src/orchestrators/input';
import { activityNames, orchestratorNames } from '../../src/contracts/names';
import type { RunSummary } from '../../src/orchestrators/summary';
import { HttpRecorder } from '../support/httpRecorder';
import { fakeActivities } from './fakeActivities';

const options = {
  ...pipelineOptionsFromSettings(loadSettings({})),
  batchSize: 10,
  maxActivitiesPerSubOrchestration: 3,
  firstRetryIntervalInMs: 5,
};

function makeHost(activities: Record<string, (input: unknown) => Promise<unknown>>) {
  const host = new LocalOrchestrationHost({ sleep: async () => undefined, now: () => new Date('2026-11-24T02:00:00Z') });
  for (const [name, handler] of Object.entries(orchestrators)) host.registerOrchestrator(name, handler);
  for (const [name, fn] of Object.entries(activities)) host.registerActivity(name, fn);
  host.registerActivity(activityNames.notifyCallback, (input) => notifyCallback(input as never, { log: () => undefined }));
  return host;
}

describe('demandPipeline orchestrator (real durable-functions replay engine)', () => {
  it('sequences every stage, fans out SKU batches in sub-orchestrations of bounded size, and sums the results', async () => {
    const { activities, calls } = fakeActivities({ skus: 95, batchSize: 10 });
    const host = makeHost(activities);
    const input: DemandPipelineInput = { trigger: 'manual', options };
    const status = await host.waitForCompletion(host.startNew(orchestratorNames.demandPipeline, { instanceId: 'run-1', input }));
    expect(status.runtimeStatus).toBe('Completed');
    const summary = status.output as RunSummary;
    expect(summary.status).toBe('Completed');
    expect(summary.stages.forecast?.skus).toBe(95);
    expect(summary.stages.forecast?.batches).toBe(10);
    expect(summary.stages.forecast?.forecastRows).toBe(95 * options.horizonDays);
    expect(summary.quarantineReasons).toEqual({ price_not_positive: 10, non_product_code: 5 });
    // Order of the sequential stages.
    const order = calls.map((c) => c.name).filter((n) => n !== 'forecastBatch');
    expect(order).toEqual([
      'ingestOrders',
      'ingestInventory',
      'buildSilver',
      'planForecast',
      'finalizeForecast',
      'planInventory',
      'publish',
      'checkDrift',
    ]);
    // 10 batches in chunks of at most 3 activities: 4 fan-out sub-orchestrations.
    expect(host.getStatus('run-1:forecast:3')?.runtimeStatus).toBe('Completed');
    expect(host.getStatus('run-1:forecast:4')).toBeUndefined();
    // Only references cross the boundary: forecastBatch inputs carry a batch path, not rows.
    const batchInput = calls.find((c) => c.name === 'forecastBatch')?.input as { batch: { path: string } };
    expect(batchInput.batch.path).toMatch(/^runs\/run-1\/batches\/batch-\d{5}\.json$/);
    expect(JSON.stringify(batchInput).length).toBeLessThan(1000);
    // The run id and date come from the orchestration clock.
    const ingest = calls[0]?.input as { runId: string; runDate: string };
    expect(ingest).toMatchObject({ runId: 'run-1', runDate: '2026-11-24' });
  });

  it('retries an activity that fails then succeeds', async () => {
    const { activities } = fakeActivities({ skus: 5, batchSize: 10 });
    let silverCalls = 0;
    const realSilver = activities[activityNames.buildSilver] as (i: unknown) => Promise<unknown>;
    activities[activityNames.buildSilver] = async (input) => {
      silverCalls++;
      if (silverCalls === 1) throw new Error('transient: lake throttled');
      return realSilver(input);
    };
    const host = makeHost(activities);
    const status = await host.waitForCompletion(
      host.startNew(orchestratorNames.demandPipeline, { instanceId: 'run-retry', input: { trigger: 'manual', options } }),
    );
    expect(status.runtimeStatus).toBe('Completed');
    expect(silverCalls).toBe(2);
  });

  it('fails the run when an activity fails for good, and reports the failure to ADF’s callBackUri', async () => {
    const recorder = await HttpRecorder.start(() => ({ status: 200, body: {} }));
    try {
      const { activities, calls } = fakeActivities({ skus: 5, batchSize: 10 });
      let attempts = 0;
      activities[activityNames.ingestInventory] = async () => {
        attempts++;
        throw new Error(`landing folder unreadable ${'x'.repeat(10_000)}`);
      };
      const host = makeHost(activities);
      const input: DemandPipelineInput = {
        trigger: 'adf',
        callBackUri: `${recorder.url}/callback/abc?token=1`,
        pipelineRunId: 'adf-run-7',
        options,
      };
      const status = await host.waitForCompletion(host.startNew(orchestratorNames.demandPipeline, { instanceId: 'run-fail', input }));
      expect(status.runtimeStatus).toBe('Failed');
      expect(attempts).toBe(options.maxAttempts);
      expect(calls.map((c) => c.name)).not.toContain('buildSilver');
      expect(recorder.requests).toHaveLength(1);
      const callback = recorder.requests[0]!;
      expect(callback.method).toBe('POST');
      expect(callback.url).toBe('/callback/abc?token=1');
      const body = callback.json as {
        StatusCode: string;
        Error: { ErrorCode: string; Message: string };
        Output: { pipelineRunId: string };
      };
      expect(body.StatusCode).toBe('500');
      expect(body.Error.ErrorCode).toBe('DemandPipelineFailed');
      expect(body.Error.Message).toContain('landing folder unreadable');
      // Error text crossing Durable boundaries is truncated.
      expect(body.Error.Message.length).toBeLessThanOrEqual(2000);
      expect(body.Output.pipelineRunId).toBe('adf-run-7');
    } finally {
      await recorder.close();
    }
  });

  it('reports success to ADF’s callBackUri with StatusCode 200', async () => {
    const recorder = await HttpRecorder.start(() => ({ status: 200, body: {} }));
    try {
      const { activities } = fakeActivities({ skus: 3, batchSize: 10 });
      const host = makeHost(activities);
      const input: DemandPipelineInput = { trigger: 'adf', callBackUri: `${recorder.url}/cb`, options };
      const status = await host.waitForCompletion(host.startNew(orchestratorNames.demandPipeline, { instanceId: 'run-ok', input }));
      expect(status.runtimeStatus).toBe('Completed');
      expect((recorder.requests[0]?.json as { StatusCode: string }).StatusCode).toBe('200');
    } finally {
      await recorder.close();
    }
  });

  it('re-forecasts drifted SKUs through the re-forecast path; fleet drift does not start a challenger inside the daily run', async () => {
    const { activities, calls } = fakeActivities({ skus: 20, batchSize: 10, drifted: ['SKU0003', 'SKU0007'], fleetDrift: true });
    const host = makeHost(activities);
    const status = await host.waitForCompletion(
      host.startNew(orchestratorNames.demandPipeline, { instanceId: 'run-drift', input: { trigger: 'scheduled', options } }),
    );
    expect(status.runtimeStatus).toBe('Completed');
    const plans = calls.filter((c) => c.name === 'planForecast').map((c) => c.input as { skus?: string[]; runId: string });
    expect(plans).toHaveLength(2);
    expect(plans[1]?.skus).toEqual(['SKU0003', 'SKU0007']);
    expect(host.getStatus('run-drift:drift-reforecast')?.runtimeStatus).toBe('Completed');
    expect((status.output as RunSummary).stages.drift).toMatchObject({ reforecastSkus: 2, challengerStarted: false, fleetDrift: true });
    // The whole fleet is forecast once: no wide-policy batch, no second finalize.
    expect(calls.some((c) => c.name === 'forecastBatch' && (c.input as { policy?: string }).policy === 'wide')).toBe(false);
    expect(calls.filter((c) => c.name === 'finalizeForecast')).toHaveLength(2);
    const published = calls.filter((c) => c.name === 'publish').map((c) => c.input as { runId: string; tables?: string[] });
    // The drift events, written after the run's publish, are published on their own.
    expect(published.filter((p) => p.runId === 'run-drift' && p.tables?.includes('drift_events'))).toHaveLength(1);
  });

  it('fails fast, without retries, when an activity fails for a reason no retry can fix', async () => {
    const { activities, calls } = fakeActivities({ skus: 5, batchSize: 10 });
    activities[activityNames.buildSilver] = classified(activityNames.buildSilver, async () => {
      calls.push({ name: 'buildSilver', input: null });
      throw new ScratchSpaceError('/no/such/folder', 'is not a folder that exists');
    }) as never;
    const host = makeHost(activities);
    const status = await host.waitForCompletion(
      host.startNew(orchestratorNames.demandPipeline, { instanceId: 'run-scratch', input: { trigger: 'manual', options } }),
    );
    expect(status.runtimeStatus).toBe('Failed');
    expect(calls.filter((c) => c.name === 'buildSilver')).toHaveLength(1);
    expect(String(status.output)).toMatch(
      /activity buildSilver: ScratchSpaceError: \[scratch_space\] Scratch folder \/no\/such\/folder: is not a folder that exists/,
    );
    // No retry timer was ever created.
    expect(host.getHistory('run-scratch').some((e) => e.constructor.name === 'TimerCreatedEvent')).toBe(false);
  });

  it('fails fast through sub-orchestrations: a non-retryable batch failure is not retried by the fan-out or the forecast run', async () => {
    const { activities, calls } = fakeActivities({ skus: 30, batchSize: 10 });
    activities[activityNames.forecastBatch] = classified(activityNames.forecastBatch, async (input: { batch: { batchId: string } }) => {
      calls.push({ name: 'forecastBatch', input });
      if (input.batch.batchId === 'batch-00001')
        throw new ValidationError('batch', 'SKU batch runs/x/batches/batch-00001.json is malformed: series.0.values expected array');
      return {
        batchId: input.batch.batchId,
        skus: 10,
        forecastRows: 10,
        models: {},
        fallbacks: {},
        backtest: { absError: 0, absActual: 0, maseSum: 0, maseCount: 0 },
      };
    }) as never;
    const host = makeHost(activities);
    const status = await host.waitForCompletion(
      host.startNew(orchestratorNames.demandPipeline, { instanceId: 'run-bad-batch', input: { trigger: 'manual', options } }),
    );
    expect(status.runtimeStatus).toBe('Failed');
    expect(
      calls.filter((c) => c.name === 'forecastBatch' && (c.input as { batch: { batchId: string } }).batch.batchId === 'batch-00001'),
    ).toHaveLength(1);
    expect(String(status.output)).toMatch(/activity forecastBatch: ValidationError: \[validation\] SKU batch .*batch-00001/);
    expect(calls.some((c) => c.name === 'finalizeForecast')).toBe(false);
  });

  it('still retries a transient failure inside the fan-out, naming the activity', async () => {
    const { activities, calls } = fakeActivities({ skus: 10, batchSize: 10 });
    const real = activities[activityNames.forecastBatch] as (i: unknown) => Promise<unknown>;
    let attempts = 0;
    activities[activityNames.forecastBatch] = classified(activityNames.forecastBatch, async (input: unknown) => {
      attempts++;
      if (attempts < 3) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      return real(input);
    }) as never;
    const host = makeHost(activities);
    const status = await host.waitForCompletion(
      host.startNew(orchestratorNames.demandPipeline, { instanceId: 'run-flaky', input: { trigger: 'manual', options } }),
    );
    expect(status.runtimeStatus).toBe('Completed');
    expect(attempts).toBe(3);
    const failed = host.getHistory('run-flaky:forecast:0').filter((e) => e.constructor.name === 'TaskFailedEvent');
    expect(failed).toHaveLength(2);
    expect((failed[0] as { Reason?: string }).Reason).toMatch(/activity forecastBatch: Error: read ECONNRESET/);
    void calls;
  });

  it('answers ADF’s callback with the failure when the orchestration input itself is invalid', async () => {
    const recorder = await HttpRecorder.start(() => ({ status: 200, body: {} }));
    try {
      const { activities, calls } = fakeActivities({ skus: 3, batchSize: 10 });
      const host = makeHost(activities);
      const input = { trigger: 'adf', callBackUri: `${recorder.url}/cb`, options: { ...options, horizonDays: 0 } };
      const status = await host.waitForCompletion(host.startNew(orchestratorNames.demandPipeline, { instanceId: 'run-bad-input', input }));
      expect(status.runtimeStatus).toBe('Failed');
      expect(calls).toHaveLength(0);
      const body = recorder.requests[0]?.json as { StatusCode: string; Error: { Message: string } };
      expect(body.StatusCode).toBe('500');
      expect(body.Error.Message).toMatch(/options\.horizonDays/);
    } finally {
      await recorder.close();
    }
  });

  it('replays its completed history to the same actions and output (determinism)', async () => {
    const { activities } = fakeActivities({ skus: 25, batchSize: 10 });
    const host = makeHost(activities);
    const input: DemandPipelineInput = { trigger: 'manual', options };
    const status = await host.waitForCompletion(host.startNew(orchestratorNames.demandPipeline, { instanceId: 'run-det', input }));
    const history = [...host.getHistory('run-det')];
    const a = await replay(orchestrators.demandPipeline, { functionName: 'demandPipeline', instanceId: 'run-det', history, input });
    const b = await replay(orchestrators.demandPipeline, { functionName: 'demandPipeline', instanceId: 'run-det', history, input });
    expect(a.isDone).toBe(true);
    expect(a.output).toEqual(status.output);
    expect(JSON.stringify(a.actions)).toEqual(JSON.stringify(b.actions));
  });
});

describe('driftMonitor orchestrator (the drift timer between runs)', () => {
  it('checks drift, publishes the events, re-forecasts drifted SKUs and starts a challenger run (its own orchestration) on fleet drift', async () => {
    const { activities, calls } = fakeActivities({ skus: 20, batchSize: 10, drifted: ['SKU0001'], fleetDrift: true });
    const host = makeHost(activities);
    const status = await host.waitForCompletion(
      host.startNew(orchestratorNames.driftMonitor, { instanceId: 'drift-20261124T0630', input: { options } }),
    );
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toMatchObject({ reforecastSkus: 1, challengerStarted: true });
    expect(calls.filter((c) => c.name === 'ingestOrders')).toHaveLength(0);
    const plans = calls
      .filter((c) => c.name === 'planForecast')
      .map((c) => c.input as { skus?: string[]; runId: string; dailyDemandVersion: number });
    expect(plans.map((p) => p.skus ?? 'all')).toEqual([['SKU0001'], 'all']);
    expect(plans[1]).toMatchObject({ runId: 'drift-20261124T0630-challenger', dailyDemandVersion: -1 });
    expect(host.getStatus('drift-20261124T0630-challenger')).toMatchObject({
      name: orchestratorNames.challengerRun,
      runtimeStatus: 'Completed',
    });
    expect(calls.some((c) => c.name === 'publish' && (c.input as { tables?: string[] }).tables?.includes('drift_events'))).toBe(true);
    // The challenger tries the wide policy, is tracked, and is never published or planned.
    const challengerBatches = calls.filter(
      (c) => c.name === 'forecastBatch' && (c.input as { runId: string }).runId === 'drift-20261124T0630-challenger',
    );
    expect(challengerBatches.length).toBe(2);
    expect(challengerBatches.every((c) => (c.input as { policy: string }).policy === 'wide')).toBe(true);
    const finalize = calls
      .filter((c) => c.name === 'finalizeForecast')
      .map((c) => c.input as { runId: string; policy: string; trigger: string });
    expect(finalize.find((f) => f.runId === 'drift-20261124T0630-challenger')).toMatchObject({ policy: 'wide', trigger: 'challenger' });
    const published = calls.filter((c) => c.name === 'publish').map((c) => c.input as { runId: string });
    expect(published.some((p) => p.runId === 'drift-20261124T0630-challenger')).toBe(false);
    expect(calls.some((c) => c.name === 'planInventory' && (c.input as { runId: string }).runId === 'drift-20261124T0630-challenger')).toBe(
      false,
    );
  });

  it('does not start a challenger when the drift check says one already ran since the production run', async () => {
    const { activities, calls } = fakeActivities({ skus: 20, batchSize: 10, fleetDrift: true });
    const check = activities[activityNames.checkDrift] as (i: unknown) => Promise<unknown>;
    activities[activityNames.checkDrift] = async (input) => ({ ...((await check(input)) as object), challengerDue: false });
    const host = makeHost(activities);
    const status = await host.waitForCompletion(
      host.startNew(orchestratorNames.driftMonitor, { instanceId: 'drift-again', input: { options } }),
    );
    expect(status.output).toMatchObject({ challengerStarted: false });
    expect(calls.some((c) => c.name === 'planForecast')).toBe(false);
  });

  it('does nothing more than the check when nothing drifted', async () => {
    const { activities, calls } = fakeActivities({ skus: 20, batchSize: 10 });
    const host = makeHost(activities);
    const status = await host.waitForCompletion(
      host.startNew(orchestratorNames.driftMonitor, { instanceId: 'drift-quiet', input: { options } }),
    );
    expect(status.runtimeStatus).toBe('Completed');
    expect(calls.map((c) => c.name)).toEqual(['checkDrift']);
  });
});

describe('fail-fast children started on their own', () => {
  it('a top-level re-forecast with a non-retryable failure fails (it does not complete with the failure as its output)', async () => {
    const { activities } = fakeActivities({ skus: 5, batchSize: 10 });
    activities[activityNames.planForecast] = classified(activityNames.planForecast, async () => {
      throw new ValidationError('skus', 'SKU "??" is not a SKU code');
    }) as never;
    const host = makeHost(activities);
    const status = await host.waitForCompletion(
      host.startNew(orchestratorNames.reforecastSkus, { instanceId: 'http-reforecast', input: { skus: ['??'], reason: 'http', options } }),
    );
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toMatch(/activity planForecast: ValidationError: \[validation\] SKU "\?\?" is not a SKU code/);
  });
});
