import { ValidationError } from '../errors';
import type { TrackedRun, Tracker } from '../tracking/tracker';

/** A path or file: URI (what MLflow's registry calls a local source). */
export function isLocalUri(uri: string): boolean {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  return scheme === undefined || scheme === 'file' || /^[A-Za-z]$/.test(scheme);
}

/** Folder under the run's artifacts that a version's source names when the lake is local. */
export const modelParamsArtifactPath = 'model_params';

/**
 * The source of a policy version: where its per-SKU parameters are.
 *
 * - A lake in Azure (ADLS https:// or abfss://): the Gold model_params partition itself. That is
 *   where the parameters are, every reader with lake access can load them, and a registry accepts
 *   a remote URI as it is (no run artifacts to upload).
 * - A local folder lake with MLflow: a registry refuses a local path unless it lies inside the
 *   run's artifact folder (it cannot read this machine), so the source is that folder's
 *   `model_params` (what mlflow.register_model("runs:/<id>/model_params") resolves to); the lake
 *   URI of the partition is kept in the version's `gold.model_params.uri` tag.
 * - The embedded (tables) registry: the lake URI, local or not.
 */
export function policyVersionSource(input: {
  lakeLocation: string;
  modelParamsPath: string;
  run: Pick<TrackedRun, 'runId' | 'artifactUri'>;
  tracker: Pick<Tracker, 'kind'>;
}): string {
  const lakeUri = modelParamsUri(input.lakeLocation, input.modelParamsPath);
  if (input.tracker.kind === 'tables' || !isLocalUri(input.lakeLocation)) return lakeUri;
  if (!input.run.artifactUri) {
    throw new ValidationError(
      'source',
      `Run ${input.run.runId} has no artifact location, and a local lake path (${lakeUri}) is not a source MLflow's registry accepts`,
    );
  }
  return `${input.run.artifactUri.replace(/\/+$/, '')}/${modelParamsArtifactPath}`;
}

/** The lake URI of a run's Gold model_params partition. */
export function modelParamsUri(lakeLocation: string, modelParamsPath: string): string {
  return `${lakeLocation.replace(/\/+$/, '')}/${modelParamsPath}`;
}
