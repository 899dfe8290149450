import type { RecordedRequest, RecorderReply } from '../support/httpRecorder';

/**
 * A small stateful stand-in for an MLflow tracking server, speaking the request and response shapes
 * of MLflow's REST API 2.0 (mlflow.org REST API docs; mlflow/protos/service.proto and
 * model_registry.proto). It is NOT MLflow: the MlflowTracker has not been run against a real
 * server here. Errors use MLflow's body `{ error_code, message }`.
 */
interface Kv {
  key: string;
  value: string;
}
interface StoredRun {
  info: { run_id: string; run_uuid: string; experiment_id: string; run_name: string; status: string; start_time: number; end_time?: number; lifecycle_stage: string };
  data: { metrics: Array<{ key: string; value: number; timestamp: number; step: number }>; params: Kv[]; tags: Kv[] };
}
interface StoredVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: string;
  source: string;
  run_id: string;
  status: string;
  tags: Kv[];
}

const error = (status: number, error_code: string, message: string): RecorderReply => ({ status, body: { error_code, message } });

export class FakeMlflow {
  experiments = new Map<string, string>();
  runs = new Map<string, StoredRun>();
  models = new Map<string, { versions: StoredVersion[]; aliases: Map<string, string> }>();
  /** Replies to serve before normal handling (to inject 429/5xx). */
  injected: RecorderReply[] = [];
  private ids = 0;

  constructor(private readonly token: string) {}

  private withAliases(name: string, v: StoredVersion) {
    const model = this.models.get(name)!;
    return { ...v, aliases: [...model.aliases].filter(([, ver]) => ver === v.version).map(([alias]) => alias) };
  }

  handle = (req: RecordedRequest): RecorderReply => {
    const next = this.injected.shift();
    if (next) return next;
    if (req.headers.authorization !== `Bearer ${this.token}`) return error(401, 'UNAUTHENTICATED', 'bad token');
    const url = new URL(req.url, 'http://x');
    const endpoint = url.pathname.replace('/api/2.0/mlflow/', '');
    const q = Object.fromEntries(url.searchParams);
    const body = (req.json ?? {}) as Record<string, any>;
    const key = `${req.method} ${endpoint}`;
    switch (key) {
      case 'GET experiments/get-by-name': {
        const id = this.experiments.get(q['experiment_name'] ?? '');
        return id
          ? { status: 200, body: { experiment: { experiment_id: id, name: q['experiment_name'], lifecycle_stage: 'active' } } }
          : error(404, 'RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${q['experiment_name']}'`);
      }
      case 'POST experiments/create': {
        if (this.experiments.has(body.name)) return error(400, 'RESOURCE_ALREADY_EXISTS', `Experiment '${body.name}' already exists.`);
        const id = String(++this.ids);
        this.experiments.set(body.name, id);
        return { status: 200, body: { experiment_id: id } };
      }
      case 'POST runs/create': {
        const run_id = `run${++this.ids}`;
        const run: StoredRun = {
          info: { run_id, run_uuid: run_id, experiment_id: body.experiment_id, run_name: body.run_name, status: 'RUNNING', start_time: body.start_time, lifecycle_stage: 'active' },
          data: { metrics: [], params: [], tags: [...(body.tags ?? [])] },
        };
        this.runs.set(run_id, run);
        return { status: 200, body: { run } };
      }
      case 'POST runs/search': {
        const match = /^attributes\.run_name = '(.*)'$/.exec(body.filter ?? '');
        const runs = [...this.runs.values()].filter((r) => body.experiment_ids.includes(r.info.experiment_id) && (!match || r.info.run_name === match[1]));
        return { status: 200, body: runs.length ? { runs: runs.slice(0, body.max_results ?? 1000) } : {} };
      }
      case 'POST runs/log-batch': {
        const run = this.runs.get(body.run_id);
        if (!run) return error(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${body.run_id}' not found`);
        for (const p of body.params ?? []) {
          const old = run.data.params.find((x) => x.key === p.key);
          if (old && old.value !== p.value) return error(400, 'INVALID_PARAMETER_VALUE', `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old.value}'`);
          if (!old) run.data.params.push(p);
        }
        run.data.metrics.push(...(body.metrics ?? []));
        for (const t of body.tags ?? []) run.data.tags = [...run.data.tags.filter((x) => x.key !== t.key), t];
        return { status: 200, body: {} };
      }
      case 'POST runs/update': {
        const run = this.runs.get(body.run_id);
        if (!run) return error(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${body.run_id}' not found`);
        run.info.status = body.status;
        run.info.end_time = body.end_time;
        return { status: 200, body: { run_info: run.info } };
      }
      case 'GET runs/get': {
        const run = this.runs.get(q['run_id'] ?? '');
        return run ? { status: 200, body: { run } } : error(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${q['run_id']}' not found`);
      }
      case 'POST registered-models/create': {
        if (this.models.has(body.name)) return error(400, 'RESOURCE_ALREADY_EXISTS', `Registered Model (name=${body.name}) already exists.`);
        this.models.set(body.name, { versions: [], aliases: new Map() });
        return { status: 200, body: { registered_model: { name: body.name, creation_timestamp: Date.now() } } };
      }
      case 'POST model-versions/create': {
        const model = this.models.get(body.name);
        if (!model) return error(404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${body.name} not found`);
        const v: StoredVersion = {
          name: body.name,
          version: String(model.versions.length + 1),
          creation_timestamp: Date.now(),
          last_updated_timestamp: Date.now(),
          current_stage: 'None',
          source: body.source,
          run_id: body.run_id,
          status: 'READY',
          tags: [...(body.tags ?? [])],
        };
        model.versions.push(v);
        return { status: 200, body: { model_version: this.withAliases(body.name, v) } };
      }
      case 'GET model-versions/get': {
        const v = this.models.get(q['name'] ?? '')?.versions.find((x) => x.version === q['version']);
        return v ? { status: 200, body: { model_version: this.withAliases(v.name, v) } } : error(404, 'RESOURCE_DOES_NOT_EXIST', `Model Version (name=${q['name']}, version=${q['version']}) not found`);
      }
      case 'GET model-versions/search': {
        const name = /^name='(.*)'$/.exec(q['filter'] ?? '')?.[1] ?? '';
        const all = this.models.get(name)?.versions ?? [];
        // Pages of 2, so the client's paging is exercised.
        const start = Number(q['page_token'] ?? 0);
        const page = all.slice(start, start + 2).map((v) => this.withAliases(name, v));
        return { status: 200, body: { model_versions: page, ...(start + 2 < all.length ? { next_page_token: String(start + 2) } : {}) } };
      }
      case 'POST model-versions/set-tag': {
        const v = this.models.get(body.name)?.versions.find((x) => x.version === body.version);
        if (!v) return error(404, 'RESOURCE_DOES_NOT_EXIST', 'version not found');
        v.tags = [...v.tags.filter((t) => t.key !== body.key), { key: body.key, value: body.value }];
        return { status: 200, body: {} };
      }
      case 'POST registered-models/alias': {
        const model = this.models.get(body.name);
        if (!model?.versions.some((v) => v.version === body.version)) return error(404, 'RESOURCE_DOES_NOT_EXIST', 'version not found');
        model.aliases.set(body.alias, body.version);
        return { status: 200, body: {} };
      }
      case 'DELETE registered-models/alias': {
        this.models.get(body.name)?.aliases.delete(body.alias);
        return { status: 200, body: {} };
      }
      case 'GET registered-models/alias': {
        const model = this.models.get(q['name'] ?? '');
        const version = model?.aliases.get(q['alias'] ?? '');
        const v = model?.versions.find((x) => x.version === version);
        return v ? { status: 200, body: { model_version: this.withAliases(v.name, v) } } : error(400, 'INVALID_PARAMETER_VALUE', `Registered model alias ${q['alias']} not found.`);
      }
      default:
        return error(404, 'ENDPOINT_NOT_FOUND', `No endpoint ${key}`);
    }
  };
}
