/**
 * The tracking and registry port, in domain terms (no Azure or MLflow types). Adapters:
 * TablesTracker (EntityStore: embedded locally, Azure Table storage in Azure) and MlflowTracker
 * (MLflow REST API 2.0, as Databricks exposes it).
 *
 * What is registered is the forecasting *policy* (config + code version + training data version),
 * never one model per SKU: a version points at its tracking run, whose params name the Gold
 * `model_params` partition (run_id) holding the per-SKU fitted parameters.
 */

export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';
export const runStatuses: readonly RunStatus[] = ['RUNNING', 'FINISHED', 'FAILED', 'KILLED'];

/** Well-known aliases on the registered policy. */
export type PolicyAlias = 'champion' | 'challenger' | 'production';
export const productionAlias: PolicyAlias = 'production';
export const championAlias: PolicyAlias = 'champion';
export const challengerAlias: PolicyAlias = 'challenger';

export interface TrackerOptions {
  abortSignal?: AbortSignal;
}

export interface MetricPoint {
  key: string;
  value: number;
  /** Milliseconds since the epoch (defaults to now). */
  timestampInMs?: number;
  step?: number;
}

export interface RunBatch {
  params?: Record<string, string>;
  metrics?: MetricPoint[];
  tags?: Record<string, string>;
}

export interface TrackedRun {
  runId: string;
  experimentId: string;
  runName: string;
  status: RunStatus;
  startTimeInMs: number;
  endTimeInMs: number | null;
  params: Record<string, string>;
  /** Latest value per metric key. */
  metrics: Record<string, number>;
  tags: Record<string, string>;
  /**
   * Where the tracking server keeps the run's artifacts (MLflow's run.info.artifact_uri, e.g.
   * /srv/mlflow/artifacts/3/<id>/artifacts or dbfs:/databricks/mlflow-tracking/…); null when the
   * adapter has no artifact store (Table storage).
   */
  artifactUri: string | null;
}

export interface ModelVersion {
  name: string;
  /** A decimal string ("1", "2", …), as in MLflow. */
  version: string;
  source: string;
  runId: string | null;
  description: string | null;
  createdAtInMs: number;
  tags: Record<string, string>;
  aliases: string[];
}

export interface NewModelVersion {
  /** Where the version's artefacts live, e.g. the Gold model_params path of the run. */
  source: string;
  runId: string;
  tags?: Record<string, string>;
  description?: string;
}

export interface Tracker {
  /** "tables" or "mlflow", for messages. */
  readonly kind: 'tables' | 'mlflow';
  /** Returns the experiment id, creating the experiment when it does not exist. */
  getOrCreateExperiment(name: string, options?: TrackerOptions): Promise<string>;
  /** Starts a run (status RUNNING); returns its run id. */
  startRun(
    experimentId: string,
    run: { runName: string; startTimeInMs?: number; tags?: Record<string, string> },
    options?: TrackerOptions,
  ): Promise<string>;
  /** The run with this name in the experiment, if one exists (lets a retried activity resume). */
  findRunByName(experimentId: string, runName: string, options?: TrackerOptions): Promise<TrackedRun | undefined>;
  /**
   * Logs params, metrics and tags in one call. Params are write-once; tags overwrite; every metric
   * point is appended (as MLflow does), so callers send only points not yet logged. Keys must be
   * MLflow-valid (trackingKeys.ts): a bad key is a ValidationError before anything is written.
   */
  logBatch(runId: string, batch: RunBatch, options?: TrackerOptions): Promise<void>;
  endRun(runId: string, status: RunStatus, options?: TrackerOptions & { endTimeInMs?: number }): Promise<void>;
  getRun(runId: string, options?: TrackerOptions): Promise<TrackedRun | undefined>;

  /** Creates the registered model if it does not exist (idempotent). */
  ensureRegisteredModel(name: string, options?: TrackerOptions & { description?: string }): Promise<void>;
  createModelVersion(name: string, version: NewModelVersion, options?: TrackerOptions): Promise<ModelVersion>;
  getModelVersion(name: string, version: string, options?: TrackerOptions): Promise<ModelVersion | undefined>;
  /**
   * All versions, ascending by version number. `withAliases: false` lets an adapter skip the extra
   * reads aliases may cost (MLflow: one model-versions/get per version); aliases are then [].
   */
  listModelVersions(name: string, options?: TrackerOptions & { withAliases?: boolean }): Promise<ModelVersion[]>;
  setModelVersionTag(name: string, version: string, key: string, value: string, options?: TrackerOptions): Promise<void>;
  /** Points an alias at a version (moving it if it pointed elsewhere). */
  setAlias(name: string, alias: string, version: string, options?: TrackerOptions): Promise<void>;
  deleteAlias(name: string, alias: string, options?: TrackerOptions): Promise<void>;
  getVersionByAlias(name: string, alias: string, options?: TrackerOptions): Promise<ModelVersion | undefined>;
}

/** Orders versions numerically ("10" after "9"). */
export function compareVersions(a: string, b: string): number {
  return Number(a) - Number(b);
}
