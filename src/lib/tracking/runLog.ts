import { RegistryNotFoundError } from '../errors';
import type { MetricPoint, RunBatch, TrackedRun, Tracker, TrackerOptions } from './tracker';

/** Tags a run gets when it replaces an earlier run of the same name whose params it may not change. */
export const supersedesTag = 'pipeline.supersedes';
export const newRunReasonTag = 'pipeline.new_run_reason';

/** Param keys logged on both sides with different values (params are write-once in MLflow). */
export function changedParams(logged: Record<string, string>, wanted: Record<string, string>): string[] {
  return Object.keys(wanted)
    .filter((key) => key in logged && logged[key] !== wanted[key])
    .sort();
}

export interface OpenedRun {
  run: TrackedRun;
  /** True when this call started the run. */
  created: boolean;
}

/**
 * The run to log a pipeline run into. The newest tracked run of that name is reused (a retry, a
 * resumed run) when none of its params differs from `params`; otherwise, e.g. a re-run with another
 * code version, a new run of the same name is started, tagged with the run it supersedes. The
 * earlier run is left as it was: a FINISHED run behind a registered version stays FINISHED.
 */
export async function openRun(
  tracker: Tracker,
  experimentId: string,
  wanted: { runName: string; startTimeInMs: number; params: Record<string, string>; tags?: Record<string, string> },
  options?: TrackerOptions,
): Promise<OpenedRun> {
  const existing = await tracker.findRunByName(experimentId, wanted.runName, options);
  const changed = existing ? changedParams(existing.params, wanted.params) : [];
  if (existing && changed.length === 0) return { run: existing, created: false };
  const tags: Record<string, string> = { ...wanted.tags };
  if (existing) {
    tags[supersedesTag] = existing.runId;
    tags[newRunReasonTag] = `params changed: ${changed.join(', ')}`.slice(0, 5000);
  }
  // A replacing run starts now, so "newest of that name" finds it next time.
  const runId = await tracker.startRun(
    experimentId,
    { runName: wanted.runName, startTimeInMs: existing ? Date.now() : wanted.startTimeInMs, tags },
    options,
  );
  const run = await tracker.getRun(runId, options);
  if (!run) throw new RegistryNotFoundError(`Run ${runId} (just started)`);
  return { run, created: true };
}

/**
 * What of `batch` the run does not hold yet: params not logged, metrics whose latest value
 * differs, tags with another value. Logging only that makes a retry or a re-run add no metric
 * points (MLflow appends every point it is sent).
 */
export function unloggedPart(
  run: TrackedRun,
  batch: { params?: Record<string, string>; metrics?: MetricPoint[]; tags?: Record<string, string> },
): RunBatch {
  const params = Object.fromEntries(Object.entries(batch.params ?? {}).filter(([key]) => !(key in run.params)));
  const metrics = (batch.metrics ?? []).filter((m) => run.metrics[m.key] !== m.value);
  const tags = Object.fromEntries(Object.entries(batch.tags ?? {}).filter(([key, value]) => run.tags[key] !== value));
  return { params, metrics, tags };
}

export function isEmptyBatch(batch: RunBatch): boolean {
  return Object.keys(batch.params ?? {}).length === 0 && (batch.metrics ?? []).length === 0 && Object.keys(batch.tags ?? {}).length === 0;
}
