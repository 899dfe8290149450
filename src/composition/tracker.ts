import type { PipelinePorts } from '../lib/pipelineServices';
import type { PipelineSettings } from '../lib/config/settings';
import { checkMlflowSettings } from '../lib/tracking/mlflowSettings';
import { MlflowTracker } from '../lib/tracking/mlflowTracker';
import { TablesTracker } from '../lib/tracking/tablesTracker';
import type { Tracker } from '../lib/tracking/tracker';

/** Picks the tracker adapter from DEMAND_TRACKER: Table storage (default) or MLflow. */
export function createTracker(services: Pick<PipelinePorts, 'settings' | 'entities'>): Tracker {
  return services.settings.DEMAND_TRACKER === 'mlflow'
    ? MlflowTracker.fromSettings(services.settings)
    : TablesTracker.fromEntityStore(services.entities);
}

/** Refuses tracker settings that could only fail later (after the forecasts): call when a pipeline starts. */
export function checkTrackerSettings(settings: PipelineSettings): void {
  checkMlflowSettings(settings);
}
