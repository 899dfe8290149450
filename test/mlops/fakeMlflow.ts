import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { RecordedRequest, RecorderReply } from '../support/httpRecorder';

/**
 * A stateful stand-in for an open-source MLflow 2.12 tracking server (SQLite store, local artifact
 * root), speaking MLflow's REST API 2.0. Its answers follow what a real, unmodified MLflow 2.12.2
 * server answered our client (../shared/data/mlflow_recorded, checked by mlflowReplay.test.ts)
 * and the server's own validation (mlflow/utils/validation.py, mlflow/server/handlers.py):
 *
 * - log-batch checks every key (letters, digits, `_ - . /`, space; no path that normalises to
 *   another name) and the batch limits before writing anything: one bad key refuses the whole
 *   batch with 400 INVALID_PARAMETER_VALUE;
 * - params are write-once (400 "Changing param values is not allowed");
 * - every metric point sent is appended (the metric history grows on a re-log); runs/get shows the
 *   latest per key (highest step, then timestamp, then value);
 * - model-versions/create refuses a local or file: source unless run_id is given and the path lies
 *   in that run's artifact folder (a missing run is 404); remote sources are taken as they are;
 * - model-versions/search answers carry no aliases, newest version first; model-versions/get and
 *   registered-models/get do carry them; empty lists are left out of answers (proto3 JSON);
 * - registered-models/get and /search carry the model's aliases ({ alias, version });
 * - a missing alias is 400 on GET registered-models/alias, deleting one is 200; a missing version
 *   is 404; an existing registered model or experiment is 400 RESOURCE_ALREADY_EXISTS.
 *
 * experiments/search and registered-models/search (200 with nothing when nothing matches) are
 * built from MLflow's REST docs and service.proto: the recordings have no call to them.
 *
 * Authentication: a real open-source server takes none; with a token the fake plays a Databricks
 * workspace and answers 401 to any other bearer.
 */
interface Kv {
  key: string;
  value: string;
}
interface WireMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}
/** The request fields the fake reads, as MLflow's REST API documents them (every field optional: the fake validates). */
interface MlflowRequestBody {
  name?: string;
  run_id?: string;
  version?: string | number;
  experiment_id?: string | number;
  experiment_ids?: (string | number)[];
  description?: string;
  tags?: Kv[];
  run_name?: string;
  status?: string;
  max_results?: number;
  key?: string;
  value?: string;
  filter?: string;
  order_by?: string[];
  start_time?: number | string;
  end_time?: number | string;
  alias?: string;
  source?: string;
  run_link?: string;
  params?: Kv[];
  metrics?: WireMetric[];
}

interface StoredRun {
  info: {
    run_id: string;
    run_uuid: string;
    experiment_id: string;
    run_name: string;
    user_id: string;
    status: string;
    start_time: number;
    end_time?: number;
    artifact_uri: string;
    lifecycle_stage: string;
  };
  /** Every metric point ever logged, in order. */
  history: WireMetric[];
  params: Kv[];
  tags: Kv[];
}
interface StoredVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: string;
  description: string;
  source: string;
  run_id: string;
  status: string;
  tags: Kv[];
  run_link: string;
}

const error = (status: number, error_code: string, message: string): RecorderReply => ({ status, body: { error_code, message } });
const badRequest = (message: string): RecorderReply => error(400, 'INVALID_PARAMETER_VALUE', message);

const badCharacters = 'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).';
const limits = { metrics: 1000, paramsOrTags: 100, total: 1000, paramValue: 6000, tagValue: 5000, key: 250 };

/** posixpath.normpath, enough for MLflow's path_not_unique check. */
function normpath(name: string): string {
  return path.posix.normalize(name).replace(/(.)\/$/, '$1');
}

/** Why MLflow refuses a metric/param/tag name, as its message says it. */
function nameProblem(kind: 'metric' | 'parameter' | 'tag', name: unknown): string | undefined {
  if (typeof name !== 'string') return `${kind[0]!.toUpperCase()}${kind.slice(1)} name cannot be None.`;
  if (!/^[/\w.\- ]*$/.test(name)) return `Invalid ${kind} name: '${name}'. ${badCharacters}`;
  const norm = normpath(name);
  if (norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/')) {
    return `Invalid ${kind} name: '${name}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${norm}'`;
  }
  return undefined;
}

/** The latest point per key, as MLflow's latest_metrics: highest step, then timestamp, then value. */
function latestMetrics(history: readonly WireMetric[]): WireMetric[] {
  const latest = new Map<string, WireMetric>();
  for (const m of history) {
    const prev = latest.get(m.key);
    const newer =
      !prev ||
      m.step > prev.step ||
      (m.step === prev.step && (m.timestamp > prev.timestamp || (m.timestamp === prev.timestamp && m.value > prev.value)));
    if (newer) latest.set(m.key, m);
  }
  return [...latest.values()];
}

/** MLflow's is_local_uri: no scheme, or file: on this host. */
function isLocalSource(source: string): boolean {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(source)?.[1];
  return scheme === undefined || scheme.toLowerCase() === 'file';
}

function localPath(source: string): string {
  return path.posix.resolve(source.startsWith('file:') ? decodeURIComponent(new URL(source).pathname) : source);
}

export interface FakeMlflowOptions {
  /** Bearer token to require (Databricks-style); none: no authentication, as open-source MLflow. */
  token?: string;
  /** Local artifact root, as `mlflow server --default-artifact-root`. */
  artifactRoot?: string;
  /** Versions per model-versions/search page (the real server: max_results). */
  searchPageSize?: number;
}

export class FakeMlflow {
  /** Experiment name → id. */
  experiments = new Map<string, string>([['Default', '0']]);
  runs = new Map<string, StoredRun>();
  models = new Map<string, { creation_timestamp: number; description: string; versions: StoredVersion[]; aliases: Map<string, string> }>();
  /** Replies to serve before normal handling (to inject 429/5xx). */
  injected: RecorderReply[] = [];
  /** Replies to serve instead of the answer of a request that was handled (a 5xx or timeout after the write). */
  afterApply: RecorderReply[] = [];
  /** One-shot replies for one endpoint ("POST model-versions/create"), served instead of handling it. */
  failOnce = new Map<string, RecorderReply>();
  searchPageSize: number | undefined;
  private readonly token: string | undefined;
  private readonly artifactRoot: string;
  private experimentIds = 0;
  private runCounter = 0;

  constructor(tokenOrOptions?: string | FakeMlflowOptions) {
    const options = typeof tokenOrOptions === 'string' ? { token: tokenOrOptions } : (tokenOrOptions ?? {});
    this.token = options.token;
    this.artifactRoot = options.artifactRoot ?? '/srv/mlflow/artifacts';
    this.searchPageSize = options.searchPageSize;
  }

  /** Every point logged for a metric key of a run (GET metrics/get-history answers the same). */
  metricHistory(runId: string, key: string): WireMetric[] {
    return (this.runs.get(runId)?.history ?? []).filter((m) => m.key === key);
  }

  private newRunId(): string {
    return createHash('md5').update(`run-${++this.runCounter}-${Math.random()}`).digest('hex');
  }

  private wireRun(run: StoredRun) {
    const data: Record<string, unknown> = {};
    const metrics = latestMetrics(run.history);
    if (metrics.length) data['metrics'] = metrics;
    if (run.params.length) data['params'] = run.params;
    if (run.tags.length) data['tags'] = run.tags;
    return { info: run.info, data };
  }

  private wireVersion(v: StoredVersion, withAliases: boolean) {
    const { tags, ...rest } = v;
    const out: Record<string, unknown> = { ...rest };
    if (tags.length) out['tags'] = tags;
    if (withAliases) {
      const aliases = [...this.models.get(v.name)!.aliases].filter(([, ver]) => ver === v.version).map(([alias]) => alias);
      if (aliases.length) out['aliases'] = aliases;
    }
    return out;
  }

  handle = (req: RecordedRequest): RecorderReply => {
    const next = this.injected.shift();
    if (next) return next;
    if (this.token !== undefined && req.headers['authorization'] !== `Bearer ${this.token}`)
      return error(401, 'UNAUTHENTICATED', 'bad token');
    const url = new URL(req.url, 'http://x');
    const endpoint = url.pathname.replace('/api/2.0/mlflow/', '');
    const q = Object.fromEntries(url.searchParams);
    const body = (req.json ?? {}) as MlflowRequestBody;
    const failure = this.failOnce.get(`${req.method} ${endpoint}`);
    if (failure) {
      this.failOnce.delete(`${req.method} ${endpoint}`);
      return failure;
    }
    const answer = this.route(`${req.method} ${endpoint}`, q, body);
    return this.afterApply.shift() ?? answer;
  };

  private route(key: string, q: Record<string, string>, body: MlflowRequestBody): RecorderReply {
    switch (key) {
      case 'GET experiments/get-by-name': {
        const name = q['experiment_name'] ?? '';
        const id = this.experiments.get(name);
        return id
          ? {
              status: 200,
              body: { experiment: { experiment_id: id, name, artifact_location: `${this.artifactRoot}/${id}`, lifecycle_stage: 'active' } },
            }
          : error(404, 'RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
      }
      case 'POST experiments/search': {
        const name = /^(?:attribute\.)?name\s*=\s*'(.*)'$/.exec(body.filter ?? '')?.[1];
        const found = [...this.experiments].filter(([n]) => name === undefined || n === name).slice(0, body.max_results ?? 1000);
        const experiments = found.map(([n, id]) => ({
          experiment_id: id,
          name: n,
          artifact_location: `${this.artifactRoot}/${id}`,
          lifecycle_stage: 'active',
        }));
        return { status: 200, body: experiments.length ? { experiments } : {} };
      }
      case 'POST experiments/create': {
        if (!body.name) return badRequest("Missing value for required parameter 'name'.");
        if (this.experiments.has(body.name)) return error(400, 'RESOURCE_ALREADY_EXISTS', `Experiment(name=${body.name}) already exists.`);
        const id = String(++this.experimentIds);
        this.experiments.set(body.name, id);
        return { status: 200, body: { experiment_id: id } };
      }
      case 'POST runs/create': {
        if (![...this.experiments.values()].includes(String(body.experiment_id)))
          return error(404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${body.experiment_id} exists`);
        const run_id = this.newRunId();
        const tags: Kv[] = [...(body.tags ?? [])];
        if (body.run_name && !tags.some((t) => t.key === 'mlflow.runName')) tags.push({ key: 'mlflow.runName', value: body.run_name });
        const run: StoredRun = {
          info: {
            run_uuid: run_id,
            experiment_id: String(body.experiment_id),
            run_name: body.run_name ?? '',
            user_id: '',
            status: 'RUNNING',
            start_time: Number(body.start_time ?? Date.now()),
            artifact_uri: `${this.artifactRoot}/${body.experiment_id}/${run_id}/artifacts`,
            lifecycle_stage: 'active',
            run_id,
          },
          history: [],
          params: [],
          tags,
        };
        this.runs.set(run_id, run);
        return { status: 200, body: { run: this.wireRun(run) } };
      }
      case 'POST runs/search': {
        const match = /^attributes\.run_name = '(.*)'$/.exec(body.filter ?? '');
        const descending = (body.order_by ?? []).some((o: string) => /start_time DESC/i.test(o));
        const runs = [...this.runs.values()]
          .filter((r) => (body.experiment_ids ?? []).map(String).includes(r.info.experiment_id) && (!match || r.info.run_name === match[1]))
          .sort((a, b) => (descending ? b.info.start_time - a.info.start_time : 0));
        const page = runs.slice(0, body.max_results ?? 1000);
        return { status: 200, body: page.length ? { runs: page.map((r) => this.wireRun(r)) } : {} };
      }
      case 'POST runs/log-batch':
        return this.logBatch(body);
      case 'POST runs/update': {
        const run = this.runs.get(body.run_id ?? '');
        if (!run) return error(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${body.run_id} not found`);
        if (body.status) run.info.status = body.status;
        if (body.end_time !== undefined) run.info.end_time = Number(body.end_time);
        return { status: 200, body: { run_info: run.info } };
      }
      case 'GET runs/get': {
        const run = this.runs.get(q['run_id'] ?? '');
        return run
          ? { status: 200, body: { run: this.wireRun(run) } }
          : error(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${q['run_id']} not found`);
      }
      case 'GET metrics/get-history': {
        const run = this.runs.get(q['run_id'] ?? '');
        if (!run) return error(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${q['run_id']} not found`);
        const points = this.metricHistory(run.info.run_id, q['metric_key'] ?? '');
        return { status: 200, body: points.length ? { metrics: points } : {} };
      }
      case 'POST registered-models/create': {
        if (!body.name) return badRequest("Missing value for required parameter 'name'.");
        if (this.models.has(body.name))
          return error(400, 'RESOURCE_ALREADY_EXISTS', `Registered Model (name=${body.name}) already exists.`);
        const now = Date.now();
        this.models.set(body.name, { creation_timestamp: now, description: body.description ?? '', versions: [], aliases: new Map() });
        return {
          status: 200,
          body: {
            registered_model: {
              name: body.name,
              creation_timestamp: now,
              last_updated_timestamp: now,
              ...(body.description ? { description: body.description } : {}),
            },
          },
        };
      }
      case 'GET registered-models/search': {
        const name = /^name\s*=\s*'(.*)'$/.exec(q['filter'] ?? '')?.[1];
        const found = [...this.models].filter(([n]) => name === undefined || n === name).slice(0, Number(q['max_results'] ?? 100));
        const registered_models = found.map(([n, model]) => {
          const aliases = [...model.aliases].map(([alias, version]) => ({ alias, version }));
          return {
            name: n,
            creation_timestamp: model.creation_timestamp,
            ...(model.description ? { description: model.description } : {}),
            ...(aliases.length ? { aliases } : {}),
          };
        });
        return { status: 200, body: registered_models.length ? { registered_models } : {} };
      }
      case 'GET registered-models/get': {
        const model = this.models.get(q['name'] ?? '');
        if (!model) return error(404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${q['name']} not found`);
        const aliases = [...model.aliases].map(([alias, version]) => ({ alias, version }));
        return {
          status: 200,
          body: {
            registered_model: {
              name: q['name'],
              creation_timestamp: model.creation_timestamp,
              description: model.description,
              ...(aliases.length ? { aliases } : {}),
            },
          },
        };
      }
      case 'POST model-versions/create':
        return this.createVersion(body);
      case 'GET model-versions/get': {
        const v = this.models.get(q['name'] ?? '')?.versions.find((x) => x.version === q['version']);
        return v
          ? { status: 200, body: { model_version: this.wireVersion(v, true) } }
          : error(404, 'RESOURCE_DOES_NOT_EXIST', `Model Version (name=${q['name']}, version=${q['version']}) not found`);
      }
      case 'GET model-versions/search': {
        const name = /^name\s*=\s*'(.*)'$/.exec(q['filter'] ?? '')?.[1] ?? '';
        const all = [...(this.models.get(name)?.versions ?? [])].sort((a, b) => Number(b.version) - Number(a.version));
        const size = this.searchPageSize ?? Number(q['max_results'] ?? 200);
        const start = Number(q['page_token'] ?? 0);
        const page = all.slice(start, start + size).map((v) => this.wireVersion(v, false));
        const more = start + size < all.length;
        return {
          status: 200,
          body: { ...(page.length ? { model_versions: page } : {}), ...(more ? { next_page_token: String(start + size) } : {}) },
        };
      }
      case 'POST model-versions/set-tag': {
        const v = this.models.get(body.name ?? '')?.versions.find((x) => x.version === String(body.version));
        if (!v) return error(404, 'RESOURCE_DOES_NOT_EXIST', `Model Version (name=${body.name}, version=${body.version}) not found`);
        if (body.key === undefined || body.value === undefined) return badRequest("Missing value for required parameter 'key' or 'value'.");
        const tag: Kv = { key: body.key, value: body.value };
        v.tags = [...v.tags.filter((t) => t.key !== tag.key), tag];
        return { status: 200, body: {} };
      }
      case 'POST registered-models/alias': {
        const alias = String(body.alias ?? '');
        if (!/^[\w-]*$/.test(alias) || /^v\d+$/i.test(alias) || alias.toLowerCase() === 'latest')
          return badRequest(`Invalid alias name: '${alias}'.`);
        const model = this.models.get(body.name ?? '');
        if (!model?.versions.some((v) => v.version === String(body.version))) {
          return error(404, 'RESOURCE_DOES_NOT_EXIST', `Model Version (name=${body.name}, version=${body.version}) not found`);
        }
        model.aliases.set(alias, String(body.version));
        return { status: 200, body: {} };
      }
      case 'DELETE registered-models/alias': {
        // A missing alias is no error (200), as the real server answers.
        this.models.get(body.name ?? '')?.aliases.delete(body.alias ?? '');
        return { status: 200, body: {} };
      }
      case 'GET registered-models/alias': {
        const model = this.models.get(q['name'] ?? '');
        const version = model?.aliases.get(q['alias'] ?? '');
        const v = model?.versions.find((x) => x.version === version);
        return v
          ? { status: 200, body: { model_version: this.wireVersion(v, true) } }
          : badRequest(`Registered model alias ${q['alias']} not found.`);
      }
      default:
        return error(404, 'ENDPOINT_NOT_FOUND', `No endpoint ${key}`);
    }
  }

  private logBatch(body: MlflowRequestBody): RecorderReply {
    const metrics: WireMetric[] = body.metrics ?? [];
    const params: Kv[] = body.params ?? [];
    const tags: Kv[] = body.tags ?? [];
    if (metrics.length > limits.metrics)
      return badRequest(`A batch logging request can contain at most ${limits.metrics} metrics. Got ${metrics.length} metrics.`);
    if (params.length > limits.paramsOrTags)
      return badRequest(`A batch logging request can contain at most ${limits.paramsOrTags} params. Got ${params.length} params.`);
    if (tags.length > limits.paramsOrTags)
      return badRequest(`A batch logging request can contain at most ${limits.paramsOrTags} tags. Got ${tags.length} tags.`);
    if (metrics.length + params.length + tags.length > limits.total)
      return badRequest(`A batch logging request can contain at most ${limits.total} metrics, params, and tags.`);
    // Everything is checked before anything is written: one bad entry refuses the whole batch.
    for (const m of metrics) {
      const problem = nameProblem('metric', m.key);
      if (problem) return badRequest(problem);
      if (typeof m.value !== 'number' && Number.isNaN(Number(m.value)))
        return badRequest(`Got invalid value ${m.value as unknown as string} for metric '${m.key}'`);
    }
    for (const p of params) {
      const problem = nameProblem('parameter', p.key);
      if (problem) return badRequest(problem);
      if (p.key.length > limits.key)
        return badRequest(`Param key '${p.key.slice(0, 250)}' had length ${p.key.length}, which exceeded length limit of ${limits.key}`);
    }
    for (const t of tags) {
      const problem = nameProblem('tag', t.key);
      if (problem) return badRequest(problem);
      if (String(t.value).length > limits.tagValue)
        return badRequest(
          `Tag value '${String(t.value).slice(0, 100)}...' had length ${String(t.value).length}, which exceeded length limit of ${limits.tagValue}`,
        );
    }
    const run = this.runs.get(body.run_id ?? '');
    if (!run) return error(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${body.run_id} not found`);
    if (run.info.lifecycle_stage !== 'active')
      return badRequest(`The run ${body.run_id} must be in the 'active' state. Current state is ${run.info.lifecycle_stage}.`);
    // Params longer than 6000 characters are truncated (MLFLOW_TRUNCATE_LONG_VALUES is on by default).
    const incoming = params.map((p) => ({ key: p.key, value: String(p.value).slice(0, limits.paramValue) }));
    const changed = incoming
      .map((p) => ({ p, old: run.params.find((x) => x.key === p.key) }))
      .filter(({ p, old }) => old !== undefined && old.value !== p.value);
    if (changed.length) {
      const listed = changed.map(({ p, old }) => `{'key': '${p.key}', 'old_value': '${old!.value}', 'new_value': '${p.value}'}`).join(', ');
      return badRequest(`Changing param values is not allowed. Params were already logged='[${listed}]' for run ID='${body.run_id}'.`);
    }
    for (const p of incoming) if (!run.params.some((x) => x.key === p.key)) run.params.push(p);
    run.history.push(
      ...metrics.map((m) => ({ key: m.key, value: Number(m.value), timestamp: Number(m.timestamp), step: Number(m.step ?? 0) })),
    );
    for (const t of tags) run.tags = [...run.tags.filter((x) => x.key !== t.key), { key: t.key, value: String(t.value) }];
    return { status: 200, body: {} };
  }

  private createVersion(body: MlflowRequestBody): RecorderReply {
    const source = String(body.source ?? '');
    if (!body.name) return badRequest("Missing value for required parameter 'name'.");
    if (!source) return badRequest("Missing value for required parameter 'source'.");
    if (isLocalSource(source)) {
      const resolved = localPath(source);
      let inside = false;
      if (body.run_id) {
        const run = this.runs.get(body.run_id ?? '');
        if (!run) return error(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${body.run_id} not found`);
        const artifacts = localPath(run.info.artifact_uri);
        inside = resolved === artifacts || resolved.startsWith(`${artifacts}/`);
      }
      if (!inside) {
        return badRequest(
          `Invalid model version source: '${resolved}'. To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id.`,
        );
      }
    } else {
      const sourcePath = decodeURIComponent(new URL(source).pathname).replace(/\/+/g, '/').replace(/\/$/, '');
      if (path.posix.resolve(sourcePath) !== sourcePath && sourcePath !== '') {
        return badRequest(
          `Invalid model version source: '${source}'. If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.`,
        );
      }
    }
    const model = this.models.get(body.name ?? '');
    if (!model) return error(404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${body.name} not found`);
    const now = Date.now();
    const v: StoredVersion = {
      name: body.name,
      version: String(model.versions.length + 1),
      creation_timestamp: now,
      last_updated_timestamp: now,
      current_stage: 'None',
      description: body.description ?? '',
      source,
      run_id: body.run_id ?? '',
      status: 'READY',
      tags: [...(body.tags ?? [])],
      run_link: body.run_link ?? '',
    };
    model.versions.push(v);
    return { status: 200, body: { model_version: this.wireVersion(v, false) } };
  }
}
