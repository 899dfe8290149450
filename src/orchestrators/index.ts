import type { OrchestrationHandler } from 'durable-functions';
import { demandPipeline } from './demandPipeline';
import { forecastFanOut } from './forecastFanOut';
import { forecastRun } from './forecastRun';
import { orchestratorNames, type OrchestratorName } from './names';
import { reforecastSkus } from './reforecastSkus';
import { driftMonitor } from './driftMonitor';

/** Every orchestrator by name: registered with df.app in Azure and with the local host here. */
export const orchestrators: Record<OrchestratorName, OrchestrationHandler> = {
  [orchestratorNames.demandPipeline]: demandPipeline,
  [orchestratorNames.forecastRun]: forecastRun,
  [orchestratorNames.forecastFanOut]: forecastFanOut,
  [orchestratorNames.reforecastSkus]: reforecastSkus,
  [orchestratorNames.driftMonitor]: driftMonitor,
};
