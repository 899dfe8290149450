import type { PipelineSettings } from '../config/settings';
import { SettingsError } from '../errors';

/** Where Databricks keeps experiments named without a workspace path. */
export const databricksExperimentFolder = '/Shared';

/** Hosts of Databricks workspaces (Azure, AWS, GCP), where MLflow is Databricks-managed. */
export function isDatabricksHost(uri: string | undefined): boolean {
  if (!uri) return false;
  if (uri === 'databricks' || uri.startsWith('databricks://')) return true;
  try {
    const host = new URL(uri).hostname.toLowerCase();
    return host.endsWith('.azuredatabricks.net') || host.endsWith('.cloud.databricks.com') || host.endsWith('.gcp.databricks.com');
  } catch {
    return false;
  }
}

/**
 * The experiment runs are logged under. Databricks names experiments by workspace path, and
 * refuses any other name; so there a name without a leading "/" (the default demand-forecast
 * included) is placed in /Shared: /Shared/demand-forecast. Elsewhere the name is used as it is.
 */
export function experimentNameFor(
  settings: Pick<PipelineSettings, 'DEMAND_EXPERIMENT_NAME' | 'DEMAND_TRACKER' | 'MLFLOW_TRACKING_URI'>,
): string {
  const name = settings.DEMAND_EXPERIMENT_NAME;
  const onDatabricks = settings.DEMAND_TRACKER === 'mlflow' && isDatabricksHost(settings.MLFLOW_TRACKING_URI);
  return onDatabricks && !name.startsWith('/') ? `${databricksExperimentFolder}/${name}` : name;
}

/** catalog.schema.model: a Unity Catalog registered model name. */
export function isUnityCatalogName(name: string): boolean {
  const parts = name.split('.');
  return parts.length === 3 && parts.every((p) => p.length > 0);
}

/**
 * Settings the MLflow tracker cannot work with, refused when the pipeline starts (not after the
 * forecasts, in the finalize step): no tracking URI, a Unity Catalog model name.
 */
export function checkMlflowSettings(settings: PipelineSettings): void {
  if (settings.DEMAND_TRACKER !== 'mlflow') return;
  if (!settings.MLFLOW_TRACKING_URI) {
    throw new SettingsError(
      'MLFLOW_TRACKING_URI',
      'DEMAND_TRACKER=mlflow needs MLFLOW_TRACKING_URI (e.g. https://adb-<id>.<n>.azuredatabricks.net, or http://127.0.0.1:5000 for a local mlflow server)',
    );
  }
  const model = settings.DEMAND_REGISTERED_MODEL_NAME;
  if (isUnityCatalogName(model)) {
    throw new SettingsError(
      'DEMAND_REGISTERED_MODEL_NAME',
      `DEMAND_REGISTERED_MODEL_NAME=${JSON.stringify(model)} is a Unity Catalog name (catalog.schema.model), which is not supported: ` +
        'Unity Catalog models take other endpoints (/api/2.0/mlflow/unity-catalog/…, the databricks-uc registry of MLflow) and a source uploaded to Unity Catalog storage. ' +
        'Supported: the workspace model registry (open-source MLflow, or Databricks with the workspace registry) with a name of one or two parts, e.g. demand-forecast-policy.',
    );
  }
}
