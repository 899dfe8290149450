import type { TokenCredential } from '@azure/identity';
import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import { defaultAzureCredential } from '../azure/credential';
import { errorText, MlflowApiError, SettingsError, UpstreamError, ValidationError } from '../errors';
import type { PipelineSettings } from '../config/settings';
import { azureDatabricksScope, entraTokenProvider, isAzureDatabricksHost, type AccessTokenProvider } from './databricksAuth';
import { checkMlflowSettings } from './mlflowSettings';
import { assertRunBatch } from './runBatchRules';
import {
  compareVersions,
  runStatuses,
  type MetricPoint,
  type ModelVersion,
  type NewModelVersion,
  type RunBatch,
  type RunStatus,
  type TrackedRun,
  type Tracker,
  type TrackerOptions,
} from './tracker';
import { valueText } from '../errors/valueText';

/** Wire shapes of MLflow's REST API 2.0 (mlflow/protos/service.proto, model_registry.proto). */
interface KeyValue {
  key: string;
  value: string;
}
interface WireMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}
interface WireRun {
  info: {
    run_id?: string;
    run_uuid?: string;
    experiment_id: string;
    run_name?: string;
    status?: string;
    start_time?: number | string;
    end_time?: number | string | null;
    artifact_uri?: string;
  };
  data?: { metrics?: WireMetric[]; params?: KeyValue[]; tags?: KeyValue[] };
}
interface WireModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number | string;
  description?: string;
  source?: string;
  run_id?: string;
  tags?: KeyValue[];
  aliases?: string[];
}

/** log-batch request limits from MLflow's documentation: ≤1000 metrics, ≤100 params, ≤100 tags, ≤1000 in total. */
export const logBatchLimits = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;

export interface MlflowTrackerOptions {
  /** Tracking server root, e.g. https://adb-123.4.azuredatabricks.net (the API lives under /api/2.0/mlflow). */
  trackingUri: string;
  /** Databricks personal access token (or any fixed bearer token). When set, no credential is used. */
  token?: string;
  /**
   * Entra ID credential for Azure Databricks, used when no `token` is set. Defaults to the shared
   * DefaultAzureCredential (the Function App's managed identity), but only for *.azuredatabricks.net
   * hosts: any other host without a token (a local `mlflow server`) gets no Authorization header.
   */
  credential?: TokenCredential;
  /** Entra ID scope to request; defaults to the Azure Databricks resource. */
  tokenScope?: string;
  /** Retries after the first attempt (cockatiel counts retries, not attempts). */
  maxRetries?: number;
  initialRetryDelayInMs?: number;
  maxRetryDelayInMs?: number;
  requestTimeoutInMs?: number;
  fetch?: typeof fetch;
}

/** HTTP statuses worth retrying: throttling, a request timeout and server-side failures; any other 4xx is final. */
export function isRetryableStatus(status: number | undefined): boolean {
  return status === 429 || status === 408 || (status !== undefined && status >= 500);
}

/** A metric point as MLflow stores it: the same key, value, timestamp and step is the same point. */
const samePoint = (a: WireMetric, b: WireMetric): boolean =>
  a.key === b.key &&
  Number(a.value) === Number(b.value) &&
  Number(a.timestamp) === Number(b.timestamp) &&
  Number(a.step) === Number(b.step);

/** Versions whose aliases are read at once when listing (one model-versions/get each). */
const aliasReadConcurrency = 8;

function toMs(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function pairs(record: Record<string, string> | undefined): KeyValue[] {
  return Object.entries(record ?? {}).map(([key, value]) => ({ key, value }));
}

function fromPairs(list: KeyValue[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of list ?? []) out[key] = value;
  return out;
}

/** Splits a batch so each request stays inside MLflow's log-batch limits. */
export function chunkLogBatch(batch: {
  metrics: WireMetric[];
  params: KeyValue[];
  tags: KeyValue[];
}): Array<{ metrics: WireMetric[]; params: KeyValue[]; tags: KeyValue[] }> {
  const chunks: Array<{ metrics: WireMetric[]; params: KeyValue[]; tags: KeyValue[] }> = [];
  let params = [...batch.params];
  let tags = [...batch.tags];
  let metrics = [...batch.metrics];
  while (params.length > 0 || tags.length > 0 || metrics.length > 0) {
    const p = params.slice(0, logBatchLimits.params);
    const t = tags.slice(0, logBatchLimits.tags);
    const m = metrics.slice(0, Math.min(logBatchLimits.metrics, logBatchLimits.total - p.length - t.length));
    chunks.push({ params: p, tags: t, metrics: m });
    params = params.slice(p.length);
    tags = tags.slice(t.length);
    metrics = metrics.slice(m.length);
  }
  return chunks;
}

/**
 * The tracker over the MLflow REST API 2.0 as Databricks-managed MLflow exposes it. Idempotent where
 * MLflow lets it be: RESOURCE_ALREADY_EXISTS on create falls back to the existing object.
 * Retries 429/5xx and network failures with exponential backoff (cockatiel).
 */
export class MlflowTracker implements Tracker {
  readonly kind = 'mlflow' as const;
  private readonly base: string;
  private readonly policy: RetryPolicy;
  private readonly fetchImpl: typeof fetch;
  /** How requests authenticate: a fixed token, an Entra ID token (resolved on first use), or none. */
  private readonly auth: 'token' | 'entra' | 'none';
  private entraToken: AccessTokenProvider | undefined;

  private constructor(private readonly options: MlflowTrackerOptions) {
    this.base = `${options.trackingUri.replace(/\/+$/, '')}/api/2.0/mlflow/`;
    this.fetchImpl = options.fetch ?? fetch;
    this.auth = options.token ? 'token' : options.credential || isAzureDatabricksHost(options.trackingUri) ? 'entra' : 'none';
    this.policy = retry(
      handleWhen((err) => (err instanceof MlflowApiError ? isRetryableStatus(err.status) : err instanceof TypeError)),
      {
        maxAttempts: options.maxRetries ?? 3,
        backoff: new ExponentialBackoff({
          initialDelay: options.initialRetryDelayInMs ?? 500,
          maxDelay: options.maxRetryDelayInMs ?? 15_000,
        }),
      },
    );
  }

  static fromOptions(options: MlflowTrackerOptions): MlflowTracker {
    return new MlflowTracker(options);
  }

  static fromSettings(settings: PipelineSettings): MlflowTracker {
    checkMlflowSettings(settings);
    if (!settings.MLFLOW_TRACKING_URI) throw new SettingsError('MLFLOW_TRACKING_URI', 'DEMAND_TRACKER=mlflow needs MLFLOW_TRACKING_URI');
    return new MlflowTracker({
      trackingUri: settings.MLFLOW_TRACKING_URI,
      ...(settings.MLFLOW_TRACKING_TOKEN ? { token: settings.MLFLOW_TRACKING_TOKEN } : {}),
    });
  }

  /** How this tracker authenticates (for diagnostics and tests). */
  get authMode(): 'token' | 'entra' | 'none' {
    return this.auth;
  }

  /** The Authorization header value, fetched per attempt so a retry after a long backoff gets a fresh token. */
  private async authorization(): Promise<string | undefined> {
    if (this.auth === 'token') return `Bearer ${this.options.token}`;
    if (this.auth === 'none') return undefined;
    // Resolved lazily: a tracker that never calls (or has a token) never builds a credential.
    this.entraToken ??= entraTokenProvider(
      this.options.credential ?? defaultAzureCredential(),
      this.options.tokenScope ?? azureDatabricksScope,
    );
    try {
      return `Bearer ${await this.entraToken()}`;
    } catch (err) {
      throw new UpstreamError(
        `Could not get an Entra ID token for MLflow at ${this.options.trackingUri} (scope ${this.options.tokenScope ?? azureDatabricksScope}): ${errorText(err)}. ` +
          'Set MLFLOW_TRACKING_TOKEN, or give the app a managed identity (locally: az login).',
        undefined,
        { cause: err },
      );
    }
  }

  /**
   * One REST call: GET sends the fields as query parameters, POST/PATCH/DELETE as a JSON body (as
   * MLflow's own client does). `body` may be built per attempt (attempt 0 is the first), so a
   * retried request can leave out what the failed attempt already wrote.
   */
  private call<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    endpoint: string,
    bodyOrBuilder: Record<string, unknown> | ((attempt: number) => Promise<Record<string, unknown>>),
    options?: TrackerOptions,
  ): Promise<T> {
    return this.policy.execute(async ({ signal, attempt }) => {
      const body = typeof bodyOrBuilder === 'function' ? await bodyOrBuilder(attempt) : bodyOrBuilder;
      let url = this.base + endpoint;
      if (method === 'GET') {
        const query = new URLSearchParams();
        for (const [k, v] of Object.entries(body)) if (v !== undefined) query.append(k, valueText(v));
        url += `?${query.toString()}`;
      }
      const authorization = await this.authorization();
      const signals = [
        signal,
        AbortSignal.timeout(this.options.requestTimeoutInMs ?? 30_000),
        ...(options?.abortSignal ? [options.abortSignal] : []),
      ];
      const response = await this.fetchImpl(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(method === 'GET' ? {} : { 'content-type': 'application/json' }),
          ...(authorization ? { authorization } : {}),
        },
        ...(method === 'GET' ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.any(signals),
      });
      const text = await response.text();
      let json: unknown = undefined;
      try {
        json = text ? JSON.parse(text) : {};
      } catch {
        json = undefined;
      }
      if (!response.ok) {
        const error = (json ?? {}) as { error_code?: string; message?: string };
        // A valid Entra token from an identity the workspace does not know is refused; say what to do.
        const hint =
          this.auth === 'entra' && (response.status === 401 || response.status === 403)
            ? ' (Entra ID token: the identity must be added to the Databricks workspace as a service principal; see docs/deploy.md)'
            : '';
        throw new MlflowApiError(
          endpoint,
          response.status,
          error.error_code ?? `HTTP_${response.status}`,
          (error.message ?? text.slice(0, 300)) + hint,
        );
      }
      return (json ?? {}) as T;
    }, options?.abortSignal);
  }

  async getOrCreateExperiment(name: string, options?: TrackerOptions): Promise<string> {
    if (!name) throw new ValidationError('experiment', 'Experiment name must not be empty');
    const existing = await this.experimentIdByName(name, options);
    if (existing) return existing;
    try {
      const created = await this.call<{ experiment_id: string }>('POST', 'experiments/create', { name }, options);
      return created.experiment_id;
    } catch (err) {
      // Lost a race with another creator: the experiment now exists.
      if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_ALREADY_EXISTS') {
        const id = await this.experimentIdByName(name, options);
        if (id) return id;
      }
      throw err;
    }
  }

  /**
   * Looked up with experiments/search, which answers 200 with no experiment when there is none
   * (get-by-name answers 404: a failed call in the server's log on every first run). A name with a
   * quote cannot go in a filter string, so it is looked up by name.
   */
  private async experimentIdByName(name: string, options?: TrackerOptions): Promise<string | undefined> {
    if (!name.includes("'")) {
      const found = await this.call<{ experiments?: Array<{ experiment_id: string; name: string }> }>(
        'POST',
        'experiments/search',
        { filter: `name = '${name}'`, max_results: 1, view_type: 'ALL' },
        options,
      );
      return found.experiments?.find((e) => e.name === name)?.experiment_id;
    }
    try {
      const found = await this.call<{ experiment?: { experiment_id: string } }>(
        'GET',
        'experiments/get-by-name',
        { experiment_name: name },
        options,
      );
      return found.experiment?.experiment_id;
    } catch (err) {
      if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw err;
    }
  }

  async startRun(
    experimentId: string,
    run: { runName: string; startTimeInMs?: number; tags?: Record<string, string> },
    options?: TrackerOptions,
  ): Promise<string> {
    const created = await this.call<{ run: WireRun }>(
      'POST',
      'runs/create',
      { experiment_id: experimentId, run_name: run.runName, start_time: run.startTimeInMs ?? Date.now(), tags: pairs(run.tags) },
      options,
    );
    const runId = created.run.info.run_id ?? created.run.info.run_uuid;
    if (!runId) throw new MlflowApiError('runs/create', 200, 'MISSING_RUN_ID', 'response had no run.info.run_id');
    return runId;
  }

  async findRunByName(experimentId: string, runName: string, options?: TrackerOptions): Promise<TrackedRun | undefined> {
    if (runName.includes("'")) throw new ValidationError('runName', `Run name must not contain a quote: ${JSON.stringify(runName)}`);
    const found = await this.call<{ runs?: WireRun[] }>(
      'POST',
      'runs/search',
      {
        experiment_ids: [experimentId],
        filter: `attributes.run_name = '${runName}'`,
        max_results: 1,
        order_by: ['attributes.start_time DESC'],
      },
      options,
    );
    const first = found.runs?.[0];
    return first ? this.toRun(first) : undefined;
  }

  async logBatch(runId: string, batch: RunBatch, options?: TrackerOptions): Promise<void> {
    // A real server refuses the whole batch for one bad key: say which, before sending anything.
    assertRunBatch(batch);
    const now = Date.now();
    const metrics = (batch.metrics ?? []).map((m: MetricPoint): WireMetric => ({
      key: m.key,
      value: m.value,
      timestamp: m.timestampInMs ?? now,
      step: m.step ?? 0,
    }));
    for (const chunk of chunkLogBatch({ metrics, params: pairs(batch.params), tags: pairs(batch.tags) })) {
      // log-batch appends every metric point. A retry after a timeout or 5xx may follow an attempt
      // the server did apply, so it first drops the points the run already holds.
      await this.call(
        'POST',
        'runs/log-batch',
        async (attempt) => ({
          run_id: runId,
          ...chunk,
          metrics: attempt === 0 ? chunk.metrics : await this.pointsNotLogged(runId, chunk.metrics, options),
        }),
        options,
      );
    }
  }

  /** The points of `points` that are not already the run's latest point of their key. */
  private async pointsNotLogged(runId: string, points: WireMetric[], options?: TrackerOptions): Promise<WireMetric[]> {
    if (points.length === 0) return points;
    const found = await this.call<{ run: WireRun }>('GET', 'runs/get', { run_id: runId }, options);
    const logged = found.run.data?.metrics ?? [];
    return points.filter((p) => !logged.some((l) => samePoint(l, p)));
  }

  async endRun(runId: string, status: RunStatus, options?: TrackerOptions & { endTimeInMs?: number }): Promise<void> {
    if (!runStatuses.includes(status))
      throw new ValidationError('status', `Run status must be one of ${runStatuses.join(', ')}, got "${status}"`);
    await this.call('POST', 'runs/update', { run_id: runId, status, end_time: options?.endTimeInMs ?? Date.now() }, options);
  }

  async getRun(runId: string, options?: TrackerOptions): Promise<TrackedRun | undefined> {
    try {
      const found = await this.call<{ run: WireRun }>('GET', 'runs/get', { run_id: runId }, options);
      return this.toRun(found.run);
    } catch (err) {
      if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw err;
    }
  }

  private toRun(run: WireRun): TrackedRun {
    const metrics: Record<string, number> = {};
    const latest: Record<string, [number, number]> = {};
    for (const m of run.data?.metrics ?? []) {
      const rank: [number, number] = [Number(m.step ?? 0), Number(m.timestamp ?? 0)];
      const prev = latest[m.key];
      if (!prev || rank[0] > prev[0] || (rank[0] === prev[0] && rank[1] >= prev[1])) {
        latest[m.key] = rank;
        metrics[m.key] = Number(m.value);
      }
    }
    return {
      runId: run.info.run_id ?? run.info.run_uuid ?? '',
      experimentId: run.info.experiment_id,
      runName: run.info.run_name ?? '',
      status: (run.info.status ?? 'RUNNING') as RunStatus,
      startTimeInMs: toMs(run.info.start_time) ?? 0,
      endTimeInMs: toMs(run.info.end_time),
      params: fromPairs(run.data?.params),
      metrics,
      tags: fromPairs(run.data?.tags),
      artifactUri: run.info.artifact_uri || null,
    };
  }

  async ensureRegisteredModel(name: string, options?: TrackerOptions & { description?: string }): Promise<void> {
    // Looked up first, so a model that exists costs no refused create (400 in the server's log).
    if (await this.registeredModel(name, options)) return;
    try {
      await this.call(
        'POST',
        'registered-models/create',
        { name, ...(options?.description ? { description: options.description } : {}) },
        options,
      );
    } catch (err) {
      if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_ALREADY_EXISTS') return;
      throw err;
    }
  }

  /** The registered model with its aliases, or undefined (registered-models/search answers 200 either way). */
  private async registeredModel(
    name: string,
    options?: TrackerOptions,
  ): Promise<{ name: string; aliases: Array<{ alias: string; version: string }> } | undefined> {
    if (name.includes("'")) throw new ValidationError('registeredModel', `Model name must not contain a quote: ${JSON.stringify(name)}`);
    const found = await this.call<{ registered_models?: Array<{ name: string; aliases?: Array<{ alias: string; version: string }> }> }>(
      'GET',
      'registered-models/search',
      { filter: `name='${name}'`, max_results: 1 },
      options,
    );
    const model = found.registered_models?.find((m) => m.name === name);
    return model ? { name: model.name, aliases: model.aliases ?? [] } : undefined;
  }

  async createModelVersion(name: string, version: NewModelVersion, options?: TrackerOptions): Promise<ModelVersion> {
    if (!version.source) throw new ValidationError('source', 'A model version needs a source (where its parameters live)');
    const created = await this.call<{ model_version: WireModelVersion }>(
      'POST',
      'model-versions/create',
      {
        name,
        source: version.source,
        run_id: version.runId,
        tags: pairs(version.tags),
        ...(version.description ? { description: version.description } : {}),
      },
      options,
    );
    return this.toVersion(created.model_version);
  }

  private toVersion(wire: WireModelVersion): ModelVersion {
    return {
      name: wire.name,
      version: String(wire.version),
      source: wire.source ?? '',
      runId: wire.run_id || null,
      description: wire.description || null,
      createdAtInMs: toMs(wire.creation_timestamp) ?? 0,
      tags: fromPairs(wire.tags),
      aliases: wire.aliases ?? [],
    };
  }

  async getModelVersion(name: string, version: string, options?: TrackerOptions): Promise<ModelVersion | undefined> {
    try {
      const found = await this.call<{ model_version: WireModelVersion }>('GET', 'model-versions/get', { name, version }, options);
      return this.toVersion(found.model_version);
    } catch (err) {
      if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw err;
    }
  }

  async listModelVersions(name: string, options?: TrackerOptions & { withAliases?: boolean }): Promise<ModelVersion[]> {
    if (name.includes("'")) throw new ValidationError('registeredModel', `Model name must not contain a quote: ${JSON.stringify(name)}`);
    const out: ModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.call<{ model_versions?: WireModelVersion[]; next_page_token?: string }>(
        'GET',
        'model-versions/search',
        { filter: `name='${name}'`, max_results: 200, ...(pageToken ? { page_token: pageToken } : {}) },
        options,
      );
      out.push(...(page.model_versions ?? []).map((v) => this.toVersion(v)));
      pageToken = page.next_page_token || undefined;
    } while (pageToken);
    if (options?.withAliases === false) return out.sort((a, b) => compareVersions(a.version, b.version));
    // Open-source MLflow leaves aliases out of search answers (and an empty list is left out of
    // any answer), so each version's aliases come from model-versions/get, which has them.
    const withAliases: ModelVersion[] = [];
    for (let i = 0; i < out.length; i += aliasReadConcurrency) {
      const slice = out.slice(i, i + aliasReadConcurrency);
      withAliases.push(...(await Promise.all(slice.map(async (v) => (await this.getModelVersion(name, v.version, options)) ?? v))));
    }
    return withAliases.sort((a, b) => compareVersions(a.version, b.version));
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string, options?: TrackerOptions): Promise<void> {
    await this.call('POST', 'model-versions/set-tag', { name, version, key, value }, options);
  }

  async setAlias(name: string, alias: string, version: string, options?: TrackerOptions): Promise<void> {
    await this.call('POST', 'registered-models/alias', { name, alias, version }, options);
  }

  async deleteAlias(name: string, alias: string, options?: TrackerOptions): Promise<void> {
    try {
      await this.call('DELETE', 'registered-models/alias', { name, alias }, options);
    } catch (err) {
      if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return;
      throw err;
    }
  }

  /**
   * Read through the registered model's alias list, then model-versions/get: GET
   * registered-models/alias answers a missing alias with 400, a failed call in the server's log
   * each time a first version is registered or no challenger exists.
   */
  async getVersionByAlias(name: string, alias: string, options?: TrackerOptions): Promise<ModelVersion | undefined> {
    const model = await this.registeredModel(name, options);
    const version = model?.aliases.find((a) => a.alias === alias)?.version;
    return version === undefined ? undefined : this.getModelVersion(name, version, options);
  }
}
