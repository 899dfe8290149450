import { isPermanentFailure, MlflowApiError, ValidationError } from '../../src/lib/errors';
import { chunkLogBatch, MlflowTracker } from '../../src/lib/tracking/mlflowTracker';
import { HttpRecorder } from '../support/httpRecorder';
import { FakeMlflow } from './fakeMlflow';
import { describeTrackerContract } from './trackerContract';

/**
 * Contract tests of the MLflow adapter on a local HTTP recorder. Request/response shapes follow
 * MLflow's REST API 2.0 documentation (https://mlflow.org/docs/latest/rest-api.html) and the protos
 * in mlflow/mlflow (mlflow/protos/service.proto, mlflow/protos/model_registry.proto), as exposed by
 * Databricks under /api/2.0/mlflow/. Not tested against a real MLflow server.
 */
const token = 'test-token-not-a-secret';
const recorders: HttpRecorder[] = [];
afterAll(async () => {
  await Promise.all(recorders.map((r) => r.close()));
});

async function fakeServer(): Promise<{ fake: FakeMlflow; recorder: HttpRecorder; tracker: MlflowTracker }> {
  const fake = new FakeMlflow(token);
  const recorder = await HttpRecorder.start(fake.handle);
  recorders.push(recorder);
  const tracker = MlflowTracker.fromOptions({ trackingUri: `${recorder.url}/`, token, initialRetryDelayInMs: 1, maxRetryDelayInMs: 5 });
  return { fake, recorder, tracker };
}

describeTrackerContract('MlflowTracker on the MLflow fake (recorded behaviours)', async () => (await fakeServer()).tracker);

/** By hand, against a real server: MLFLOW_CONTRACT_URI=http://127.0.0.1:5000 npx jest test/mlops/mlflowTracker.test.ts */
const realUri = process.env['MLFLOW_CONTRACT_URI'];
if (realUri)
  describeTrackerContract(`MlflowTracker on the real MLflow server at ${realUri}`, async () =>
    MlflowTracker.fromOptions({ trackingUri: realUri }),
  );

describe('MlflowTracker request shapes', () => {
  it('gets or creates the experiment: POST experiments/search by name (200 when absent), then POST experiments/create {name}', async () => {
    const { recorder, tracker } = await fakeServer();
    const id = await tracker.getOrCreateExperiment('/Shared/demand-forecast');
    expect(recorder.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /api/2.0/mlflow/experiments/search',
      'POST /api/2.0/mlflow/experiments/create',
    ]);
    expect(recorder.requests[0]?.json).toEqual({ filter: "name = '/Shared/demand-forecast'", max_results: 1, view_type: 'ALL' });
    // CreateExperiment request: { name }; response: { experiment_id }.
    expect(recorder.requests[1]?.json).toEqual({ name: '/Shared/demand-forecast' });
    expect(recorder.requests[1]?.headers['content-type']).toBe('application/json');
    // Bearer token auth on every call (Databricks personal access token or Entra ID token).
    expect(recorder.requests.every((r) => r.headers.authorization === `Bearer ${token}`)).toBe(true);
    expect(await tracker.getOrCreateExperiment('/Shared/demand-forecast')).toBe(id);
  });

  it('falls back to the existing experiment when create answers RESOURCE_ALREADY_EXISTS (a lost race)', async () => {
    const { fake, recorder, tracker } = await fakeServer();
    fake.injected.push({ status: 200, body: {} });
    fake.experiments.set('exp', '77'); // created by someone else between our search and our create
    expect(await tracker.getOrCreateExperiment('exp')).toBe('77');
    expect(recorder.requests.map((r) => r.url.split('?')[0])).toEqual([
      '/api/2.0/mlflow/experiments/search',
      '/api/2.0/mlflow/experiments/create',
      '/api/2.0/mlflow/experiments/search',
    ]);
    // A name with a quote cannot go in a filter: it is looked up with get-by-name.
    recorder.requests.length = 0;
    const quoted = await tracker.getOrCreateExperiment("it's");
    expect(await tracker.getOrCreateExperiment("it's")).toBe(quoted);
    expect(recorder.requests.map((r) => r.url.split('?')[0])).toEqual([
      '/api/2.0/mlflow/experiments/get-by-name',
      '/api/2.0/mlflow/experiments/create',
      '/api/2.0/mlflow/experiments/get-by-name',
    ]);
  });

  it('creates, logs and ends a run with the documented field names', async () => {
    const { fake, recorder, tracker } = await fakeServer();
    fake.experiments.set('exp5', '5');
    const runId = await tracker.startRun('5', { runName: 'orch-1', startTimeInMs: 1700000000000, tags: { trigger: 'scheduled' } });
    await tracker.logBatch(runId, {
      params: { 'policy.models': 'ets,tsb' },
      metrics: [{ key: 'wape', value: 0.41, timestampInMs: 1700000000500, step: 0 }],
      tags: { 'code.version': '0.1.0+abc' },
    });
    await tracker.endRun(runId, 'FINISHED', { endTimeInMs: 1700000009000 });
    const [create, batch, update] = recorder.requests;
    // CreateRun: experiment_id, run_name, start_time (ms), tags [{key,value}]; response run.info.run_id.
    expect(create?.json).toEqual({
      experiment_id: '5',
      run_name: 'orch-1',
      start_time: 1700000000000,
      tags: [{ key: 'trigger', value: 'scheduled' }],
    });
    // LogBatch: run_id, metrics [{key,value,timestamp,step}], params [{key,value}], tags [{key,value}].
    expect(batch?.url).toBe('/api/2.0/mlflow/runs/log-batch');
    expect(batch?.json).toEqual({
      run_id: runId,
      metrics: [{ key: 'wape', value: 0.41, timestamp: 1700000000500, step: 0 }],
      params: [{ key: 'policy.models', value: 'ets,tsb' }],
      tags: [{ key: 'code.version', value: '0.1.0+abc' }],
    });
    // UpdateRun: run_id, status (RunStatus enum name), end_time (ms).
    expect(update?.json).toEqual({ run_id: runId, status: 'FINISHED', end_time: 1700000009000 });
  });

  it('splits log-batch to stay within 100 params / 100 tags / 1000 metrics / 1000 entries per request', () => {
    const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
    const metrics = Array.from({ length: 1500 }, (_, i) => ({ key: `m${i}`, value: i, timestamp: 0, step: 0 }));
    const chunks = chunkLogBatch({ params, metrics, tags: [{ key: 't', value: 'v' }] });
    for (const c of chunks) {
      expect(c.params.length).toBeLessThanOrEqual(100);
      expect(c.tags.length).toBeLessThanOrEqual(100);
      expect(c.metrics.length).toBeLessThanOrEqual(1000);
      expect(c.params.length + c.tags.length + c.metrics.length).toBeLessThanOrEqual(1000);
    }
    expect(chunks.flatMap((c) => c.params)).toEqual(params);
    expect(chunks.flatMap((c) => c.metrics)).toEqual(metrics);
  });

  it('registers versions and aliases with the model registry shapes', async () => {
    const { recorder, tracker } = await fakeServer();
    await tracker.ensureRegisteredModel('policy');
    await tracker.ensureRegisteredModel('policy'); // RESOURCE_ALREADY_EXISTS is success here
    const v = await tracker.createModelVersion('policy', {
      source: 'abfss://lake@acct.dfs.core.windows.net/gold/model_params/run_id=r1',
      runId: 'run9',
      tags: { 'pipeline.run_id': 'r1' },
    });
    await tracker.setAlias('policy', 'challenger', v.version);
    await tracker.getVersionByAlias('policy', 'challenger');
    await tracker.deleteAlias('policy', 'challenger');
    const calls = recorder.requests.map((r) => `${r.method} ${r.url}`);
    expect(calls).toEqual([
      // A model that exists is found by search: no refused create on every run.
      'GET /api/2.0/mlflow/registered-models/search?filter=name%3D%27policy%27&max_results=1',
      'POST /api/2.0/mlflow/registered-models/create',
      'GET /api/2.0/mlflow/registered-models/search?filter=name%3D%27policy%27&max_results=1',
      'POST /api/2.0/mlflow/model-versions/create',
      'POST /api/2.0/mlflow/registered-models/alias',
      // An alias is read from the model's alias list (GET registered-models/alias answers 400 when it is absent).
      'GET /api/2.0/mlflow/registered-models/search?filter=name%3D%27policy%27&max_results=1',
      'GET /api/2.0/mlflow/model-versions/get?name=policy&version=1',
      'DELETE /api/2.0/mlflow/registered-models/alias',
    ]);
    // CreateModelVersion: name, source, run_id, tags; response model_version { version: string }.
    expect(recorder.requests[3]?.json).toEqual({
      name: 'policy',
      source: 'abfss://lake@acct.dfs.core.windows.net/gold/model_params/run_id=r1',
      run_id: 'run9',
      tags: [{ key: 'pipeline.run_id', value: 'r1' }],
    });
    // SetRegisteredModelAlias: name, alias, version.
    expect(recorder.requests[4]?.json).toEqual({ name: 'policy', alias: 'challenger', version: '1' });
    expect(recorder.requests[7]?.json).toEqual({ name: 'policy', alias: 'challenger' });
    expect(v).toMatchObject({ name: 'policy', version: '1', runId: 'run9', tags: { 'pipeline.run_id': 'r1' } });
  });

  it('pages model-versions/search with page_token', async () => {
    const { fake, recorder, tracker } = await fakeServer();
    fake.searchPageSize = 2;
    await tracker.ensureRegisteredModel('p');
    for (let i = 0; i < 5; i++)
      await tracker.createModelVersion('p', { source: `https://acct.dfs.core.windows.net/lake/s${i}`, runId: `r${i}` });
    recorder.requests.length = 0;
    const all = await tracker.listModelVersions('p');
    expect(all.map((v) => v.version)).toEqual(['1', '2', '3', '4', '5']);
    expect(recorder.requests.map((r) => r.url).filter((u) => u.includes('/search'))).toEqual([
      '/api/2.0/mlflow/model-versions/search?filter=name%3D%27p%27&max_results=200',
      '/api/2.0/mlflow/model-versions/search?filter=name%3D%27p%27&max_results=200&page_token=2',
      '/api/2.0/mlflow/model-versions/search?filter=name%3D%27p%27&max_results=200&page_token=4',
    ]);
  });

  it('retries 429 and 5xx, then succeeds; does not retry a 400', async () => {
    const { fake, recorder, tracker } = await fakeServer();
    fake.injected.push(
      { status: 429, body: { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' } },
      { status: 503, body: 'unavailable' },
    );
    await tracker.getRun('0123456789abcdef0123456789abcdef');
    expect(recorder.requests).toHaveLength(3);
    recorder.requests.length = 0;
    fake.injected.push({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'bad' } });
    await expect(tracker.getRun('0123456789abcdef0123456789abcdef')).rejects.toMatchObject({
      errorCode: 'INVALID_PARAMETER_VALUE',
      status: 400,
    });
    expect(recorder.requests).toHaveLength(1);
  });

  it('gives up after 1 + 3 retries with an MlflowApiError naming the endpoint', async () => {
    const { fake, recorder, tracker } = await fakeServer();
    for (let i = 0; i < 4; i++) fake.injected.push({ status: 500, body: { error_code: 'INTERNAL_ERROR', message: 'boom' } });
    const err = await tracker.getRun('r1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowApiError);
    expect((err as Error).message).toMatch(/runs\/get failed \(500 INTERNAL_ERROR\): boom/);
    expect(recorder.requests).toHaveLength(4);
  });
});

describe('MlflowTracker against what a real MLflow server does', () => {
  it('reads aliases with model-versions/get: search answers carry none (open-source MLflow)', async () => {
    const { fake, recorder, tracker } = await fakeServer();
    await tracker.ensureRegisteredModel('policy');
    const runId = (
      fake.handle({
        method: 'POST',
        url: '/api/2.0/mlflow/runs/create',
        headers: { authorization: `Bearer ${token}` },
        body: Buffer.alloc(0),
        json: { experiment_id: '0', run_name: 'r' },
      }).body as { run: { info: { run_id: string } } }
    ).run.info.run_id;
    for (const i of [1, 2, 3])
      await tracker.createModelVersion('policy', { source: `https://acct.dfs.core.windows.net/lake/r${i}`, runId });
    await tracker.setAlias('policy', 'production', '1');
    await tracker.setAlias('policy', 'champion', '1');
    await tracker.setAlias('policy', 'challenger', '3');
    recorder.requests.length = 0;
    const listed = await tracker.listModelVersions('policy');
    expect(listed.map((v) => [v.version, [...v.aliases].sort()])).toEqual([
      ['1', ['champion', 'production']],
      ['2', []],
      ['3', ['challenger']],
    ]);
    const search = recorder.requests.find((r) => r.url.includes('model-versions/search'))!;
    expect(search).toBeDefined();
    expect(recorder.requests.filter((r) => r.url.includes('model-versions/get'))).toHaveLength(3);
    // Callers that need no aliases are spared the per-version reads.
    recorder.requests.length = 0;
    expect((await tracker.listModelVersions('policy', { withAliases: false })).map((v) => v.aliases)).toEqual([[], [], []]);
    expect(recorder.requests).toHaveLength(1);
  });

  it('a retried log-batch whose first attempt was applied adds no metric point twice', async () => {
    const { fake, recorder, tracker } = await fakeServer();
    const experimentId = await tracker.getOrCreateExperiment('e');
    const runId = await tracker.startRun(experimentId, { runName: 'r' });
    // The server writes the batch, then the answer is lost to a 503 (or a timeout).
    fake.afterApply.push({ status: 503, body: { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'gateway' } });
    await tracker.logBatch(runId, {
      metrics: [
        { key: 'wape', value: 0.4, timestampInMs: 1, step: 0 },
        { key: 'mase', value: 0.9, timestampInMs: 1, step: 0 },
      ],
      tags: { t: '1' },
    });
    expect(fake.metricHistory(runId, 'wape')).toHaveLength(1);
    expect(fake.metricHistory(runId, 'mase')).toHaveLength(1);
    const retry = recorder.requests.filter((r) => r.url === '/api/2.0/mlflow/runs/log-batch')[1]!.json as { metrics: unknown[] };
    expect(retry.metrics).toEqual([]);
  });

  it.each([400, 401, 403, 404, 409, 413])('does not retry a %i: the same request would be refused again', async (status) => {
    const { fake, recorder, tracker } = await fakeServer();
    fake.injected.push({ status, body: { error_code: 'SOME_ERROR', message: 'no' } });
    const err = await tracker.ensureRegisteredModel('m').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowApiError);
    expect(err).toMatchObject({ status, permanent: true });
    expect((err as Error).message).toMatch(/\[permanent/);
    expect(recorder.requests).toHaveLength(1);
    // Only the message crosses an orchestration's history: it still says so.
    expect(isPermanentFailure(err)).toBe(true);
    expect(isPermanentFailure(new Error(`Activity function 'finalizeForecast' failed: ${(err as Error).message}`))).toBe(true);
  });

  it.each([408, 429, 500, 502, 503, 504])('retries a %i', async (status) => {
    const { fake, recorder, tracker } = await fakeServer();
    fake.injected.push({ status, body: { error_code: 'X', message: 'later' } });
    await tracker.getRun('0123456789abcdef0123456789abcdef');
    expect(recorder.requests).toHaveLength(2);
    expect(isPermanentFailure(new MlflowApiError('runs/get', status, 'X', 'later'))).toBe(false);
  });

  it('refuses a bad key before any request, naming it', async () => {
    const { recorder, tracker } = await fakeServer();
    const err = await tracker
      .logBatch('0123456789abcdef0123456789abcdef', { metrics: [{ key: 'skus_by_model.median(smedian,ets,snaive)', value: 1 }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe('metrics.skus_by_model.median(smedian,ets,snaive)');
    expect(recorder.requests).toHaveLength(0);
  });

  it('exposes the run artifact location the server assigns', async () => {
    const { tracker } = await fakeServer();
    const runId = await tracker.startRun(await tracker.getOrCreateExperiment('e'), { runName: 'r' });
    expect((await tracker.getRun(runId))?.artifactUri).toBe(`/srv/mlflow/artifacts/1/${runId}/artifacts`);
  });
});
