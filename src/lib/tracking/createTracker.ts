import type { PipelineServices } from '../pipelineServices';
import type { PipelineSettings } from '../config/settings';
import { checkMlflowSettings } from './mlflowSettings';
import { MlflowTracker } from './mlflowTracker';
import { TablesTracker } from './tablesTracker';
import type { Tracker } from './tracker';

/** Picks the tracker adapter from DEMAND_TRACKER: Table storage (default) or MLflow. */
export function createTracker(services: Pick<PipelineServices, 'settings' | 'entities'>): Tracker {
  return services.settings.DEMAND_TRACKER === 'mlflow'
    ? MlflowTracker.fromSettings(services.settings)
    : TablesTracker.fromEntityStore(services.entities);
}

/** Refuses tracker settings that could only fail later (after the forecasts): call when a pipeline starts. */
export function checkTrackerSettings(settings: PipelineSettings): void {
  checkMlflowSettings(settings);
}
