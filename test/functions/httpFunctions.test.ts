import { HttpRequest, InvocationContext } from '@azure/functions';
import type { FunctionDeps } from '../../src/functions/deps';
import { reforecastSkuHandler } from '../../src/functions/handlers/reforecastSku';
import { runStatusHandler } from '../../src/functions/handlers/runStatus';
import { startPipelineHandler } from '../../src/functions/handlers/startPipeline';
import { LocalOrchestrationHost } from '../../src/host/localHost';
import { localPipelineClient } from '../../src/host/localPipelineClient';
import { loadSettings, type PipelineSettings } from '../../src/lib/config/settings';
import { notifyCallback } from '../../src/activities/notifyCallback';
import { orchestrators } from '../../src/orchestrators';
import { activityNames } from '../../src/contracts/names';
import { fakeActivities } from '../orchestration/fakeActivities';
import { HttpRecorder } from '../support/httpRecorder';

const base = 'http://127.0.0.1:7071';

function setup(options: { settings?: Partial<Record<string, string>>; knownSkus?: string[]; slowForecast?: boolean } = {}) {
  const { activities, calls } = fakeActivities({ skus: 12, batchSize: 5 });
  if (options.slowForecast) {
    const inner = activities[activityNames.forecastBatch] as (i: unknown) => Promise<unknown>;
    activities[activityNames.forecastBatch] = async (input) => {
      await new Promise((r) => setTimeout(r, 300));
      return inner(input);
    };
  }
  const host = new LocalOrchestrationHost({ sleep: async () => undefined });
  for (const [name, handler] of Object.entries(orchestrators)) host.registerOrchestrator(name, handler);
  for (const [name, fn] of Object.entries(activities)) host.registerActivity(name, fn);
  host.registerActivity(activityNames.notifyCallback, (input) => notifyCallback(input as never, { log: () => undefined }));
  const settings: PipelineSettings = loadSettings({
    DEMAND_ACTIVITY_FIRST_RETRY_MS: '100',
    DEMAND_REFORECAST_WAIT_MS: '5000',
    ...options.settings,
  });
  const client = localPipelineClient(host);
  const known = new Set(options.knownSkus ?? ['85123A', '22423']);
  const deps: FunctionDeps = { client: () => client, settings: () => settings, skuExists: async (sku) => known.has(sku) };
  return { host, deps, calls };
}

const ctx = (name: string) =>
  new InvocationContext({ functionName: name, invocationId: `inv-${Math.random().toString(16).slice(2)}`, logHandler: () => undefined });

function post(path: string, body?: string, params: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({ method: 'POST', url: `${base}${path}`, params, ...(body !== undefined ? { body: { string: body } } : {}) });
}

describe('POST /api/pipeline/start (ADF WebHook starter)', () => {
  it('answers 202 with the check-status payload and starts the run', async () => {
    const { deps, host } = setup();
    const res = await startPipelineHandler(deps)(post('/api/pipeline/start', '{}'), ctx('startPipeline'));
    expect(res.status).toBe(202);
    const body = res.jsonBody as { id: string; statusQueryGetUri: string };
    // Relative: never built from the request's Host (the local client has no configured base URL).
    expect(body.statusQueryGetUri).toBe(`/api/runs/${encodeURIComponent(body.id)}`);
    expect((res.headers as Record<string, string>)['location']).toBe(body.statusQueryGetUri);
    expect((await host.waitForCompletion(body.id)).runtimeStatus).toBe('Completed');
  });

  it('starts a full run (trigger api), which registers a policy version unlike a per-SKU re-forecast', async () => {
    const { deps, host } = setup();
    const res = await startPipelineHandler(deps)(post('/api/pipeline/start', '{}'), ctx('startPipeline'));
    const status = await host.waitForCompletion((res.jsonBody as { id: string }).id);
    const summary = status.output as { trigger: string; stages: { tracking?: { modelVersion: string | null } } };
    expect(summary.trigger).toBe('api');
    expect(summary.stages.tracking?.modelVersion).toEqual(expect.any(String));
  });

  it.each([
    ['not JSON', '{"callBackUri": ', 'body', /not valid JSON/],
    ['a JSON array', '[1,2]', 'body', /JSON object/],
    ['a callBackUri that is not a URL', '{"callBackUri":"not a url"}', 'callBackUri', /"not a url"/],
    ['a pipelineRunId with odd characters', '{"pipelineRunId":"../../etc"}', 'pipelineRunId', /"..\/..\/etc"/],
  ])('rejects %s with 400 naming the field and the value', async (_label, body, field, message) => {
    const { deps } = setup();
    const res = await startPipelineHandler(deps)(post('/api/pipeline/start', body), ctx('startPipeline'));
    expect(res.status).toBe(400);
    const error = (res.jsonBody as { error: { field: string; message: string } }).error;
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it('does not start a second run when ADF retries the same pipelineRunId', async () => {
    const { deps, calls, host } = setup();
    const body = JSON.stringify({ pipelineRunId: 'abc-123' });
    const first = await startPipelineHandler(deps)(post('/api/pipeline/start', body), ctx('startPipeline'));
    const second = await startPipelineHandler(deps)(post('/api/pipeline/start', body), ctx('startPipeline'));
    expect((first.jsonBody as { id: string }).id).toBe('adf-abc-123');
    expect((second.jsonBody as { alreadyStarted: boolean }).alreadyStarted).toBe(true);
    // Waiting for the run to end (not a fixed sleep) keeps this true on a busy machine.
    expect((await host.waitForCompletion('adf-abc-123')).runtimeStatus).toBe('Completed');
    expect(calls.filter((c) => c.name === 'ingestOrders')).toHaveLength(1);
  });

  it('remembers callBackUri and calls it when the run ends (ADF WebHook flow, on a local receiver)', async () => {
    const receiver = await HttpRecorder.start(() => ({ status: 200, body: {} }));
    try {
      const { deps, host } = setup();
      const callBackUri = `${receiver.url}/subscriptions/x/callbacks/run-9?sig=abc`;
      const res = await startPipelineHandler(deps)(
        post('/api/pipeline/start', JSON.stringify({ callBackUri, pipelineRunId: 'run-9' })),
        ctx('startPipeline'),
      );
      expect(res.status).toBe(202);
      expect(receiver.requests).toHaveLength(0); // answered before the run finished
      await host.waitForCompletion('adf-run-9');
      expect(receiver.requests).toHaveLength(1);
      const call = receiver.requests[0]!;
      expect(call.method).toBe('POST');
      expect(call.url).toBe('/subscriptions/x/callbacks/run-9?sig=abc');
      expect(call.json).toMatchObject({ StatusCode: '200', Output: { runId: 'adf-run-9', pipelineRunId: 'run-9', status: 'Completed' } });
    } finally {
      await receiver.close();
    }
  });
});

describe('POST /api/skus/{sku}/forecast', () => {
  const call = (deps: FunctionDeps, sku: string, body?: string, query = '') =>
    reforecastSkuHandler(deps)(post(`/api/skus/${encodeURIComponent(sku)}/forecast${query}`, body, { sku }), ctx('reforecastSku'));

  it('re-forecasts one SKU and returns the result when it finishes within the wait', async () => {
    const { deps, calls } = setup();
    const res = await call(deps, '85123a', '{"horizonDays": 14}');
    expect(res.status).toBe(200);
    const body = res.jsonBody as { sku: string; runtimeStatus: string; output: { forecast: { skus: number } }; statusQueryGetUri: string };
    expect(body.sku).toBe('85123A');
    expect(body.runtimeStatus).toBe('Completed');
    expect(body.statusQueryGetUri).toContain('/api/runs/');
    const plan = calls.find((c) => c.name === 'planForecast')?.input as { skus: string[] };
    expect(plan.skus).toEqual(['85123A']);
    const batch = calls.find((c) => c.name === 'forecastBatch')?.input as { horizonDays: number };
    expect(batch.horizonDays).toBe(14);
    const publish = calls.find((c) => c.name === 'publish')?.input as { mode: string };
    expect(publish.mode).toBe('single');
  });

  it('answers 202 with status URLs when the forecast takes longer than the wait', async () => {
    const { deps } = setup({ settings: { DEMAND_REFORECAST_WAIT_MS: '0' }, slowForecast: true });
    const res = await call(deps, '22423', undefined, '?horizonDays=7');
    expect(res.status).toBe(202);
    expect((res.jsonBody as { statusQueryGetUri: string }).statusQueryGetUri).toMatch(/\/api\/runs\/reforecast-22423-/);
  });

  it.each([
    ['a path traversal SKU', '../x', undefined, '', 'sku', /"\.\.\/x"/],
    ['an empty SKU', '', undefined, '', 'sku', /required/],
    ['an oversized SKU', 'A'.repeat(65), undefined, '', 'sku', /longer than 64/],
    ['a SKU with spaces', 'BANK CHARGES', undefined, '', 'sku', /letters, digits/],
    ['horizon 0', '85123A', '{"horizonDays":0}', '', 'horizonDays', /at least 1.*got 0/],
    ['horizon 10000', '85123A', undefined, '?horizonDays=10000', 'horizonDays', /at most 365.*"10000"/],
    ['a fractional horizon', '85123A', '{"horizonDays":2.5}', '', 'horizonDays', /whole number/],
    ['a non-numeric horizon', '85123A', '{"horizonDays":"soon"}', '', 'horizonDays', /"soon"/],
    ['bad JSON', '85123A', '{horizonDays: 3', '', 'body', /not valid JSON/],
  ])('rejects %s with 400 naming the field and the value', async (_label, sku, body, query, field, message) => {
    const { deps } = setup();
    const res = await call(deps, sku, body, query);
    expect(res.status).toBe(400);
    const error = (res.jsonBody as { error: { field: string; message: string } }).error;
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it('answers 404 for a SKU that is not in the catalogue', async () => {
    const { deps } = setup();
    const res = await call(deps, 'NOPE1');
    expect(res.status).toBe(404);
    expect((res.jsonBody as { error: { message: string } }).error.message).toContain('NOPE1');
  });
});

describe('GET /api/runs/{instanceId}', () => {
  const get = (deps: FunctionDeps, instanceId: string) =>
    runStatusHandler(deps)(
      new HttpRequest({ method: 'GET', url: `${base}/api/runs/${encodeURIComponent(instanceId)}`, params: { instanceId } }),
      ctx('runStatus'),
    );

  it('reports a finished run with 200 and its summary, unknown runs with 404, odd ids with 400', async () => {
    const { deps, host } = setup();
    const started = await startPipelineHandler(deps)(post('/api/pipeline/start', '{"pipelineRunId":"s1"}'), ctx('startPipeline'));
    const id = (started.jsonBody as { id: string }).id;
    await host.waitForCompletion(id);
    const done = await get(deps, id);
    expect(done.status).toBe(200);
    expect(done.jsonBody).toMatchObject({ instanceId: 'adf-s1', runtimeStatus: 'Completed', output: { status: 'Completed' } });
    expect((await get(deps, 'adf-nope')).status).toBe(404);
    const bad = await get(deps, '../../secrets');
    expect(bad.status).toBe(400);
    expect((bad.jsonBody as { error: { field: string } }).error.field).toBe('instanceId');
  });
});

describe('timer starts (scheduled pipeline, drift monitor)', () => {
  it('starts one run per scheduled occurrence, even when the timer fires twice', async () => {
    const { startScheduledRun } = await import('../../src/functions/handlers/scheduledRun');
    const { deps, calls } = setup();
    const client = deps.client(post('/', ''), ctx('timer'));
    const at = new Date('2026-11-25T02:00:00Z');
    const input = {
      trigger: 'scheduled' as const,
      options: (await import('../../src/orchestrators/input')).pipelineOptionsFromSettings(deps.settings()),
    };
    const first = await startScheduledRun(client, at, input);
    const second = await startScheduledRun(client, at, input);
    expect(first).toEqual({ instanceId: 'scheduled-2026-11-25T0200', started: true });
    expect(second).toEqual({ instanceId: 'scheduled-2026-11-25T0200', started: false });
    await client.waitForCompletion(first.instanceId, 10_000);
    expect(calls.filter((c) => c.name === 'ingestOrders')).toHaveLength(1);
  });
});
