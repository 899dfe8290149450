import * as path from 'node:path';
import type { SettingName } from '../lib/config/settings';

/** The folder `npm start` (demand run --sample) uses, wiped at each sample run. */
export const sampleWorkspace = path.join('.demand', 'sample');

/** Settings implied by --workspace: the lake, the state and the dashboard all live under one folder. */
export function workspaceOverrides(workspace: string): Partial<Record<SettingName, string>> {
  const root = path.resolve(workspace);
  return {
    DEMAND_LAKE_DIR: path.join(root, 'lake'),
    DEMAND_STATE_DIR: path.join(root, 'state'),
    DEMAND_DASHBOARD_PATH: path.join(root, 'dashboard.html'),
  };
}
