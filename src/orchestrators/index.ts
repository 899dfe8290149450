import type { OrchestrationHandler } from 'durable-functions';
import { demandPipeline } from './demandPipeline';
import { forecastFanOut } from './forecastFanOut';
import { forecastRun } from './forecastRun';
import { orchestratorNames, type OrchestratorName } from '../contracts/names';
import { reforecastSkus } from './reforecastSkus';
import { driftMonitor } from './driftMonitor';
import { challengerRun } from './challengerRun';
import { failFast } from './calls';

/**
 * Every orchestrator by name: registered with df.app in Azure and with the local host here.
 * Children complete with an ActivityFailure instead of failing when no retry can help (failFast),
 * so the parent's retry policy does not re-run them; the top-level pipeline reports it itself.
 */
export const orchestrators: Record<OrchestratorName, OrchestrationHandler> = {
  [orchestratorNames.demandPipeline]: demandPipeline,
  [orchestratorNames.forecastRun]: failFast(orchestratorNames.forecastRun, forecastRun),
  [orchestratorNames.forecastFanOut]: failFast(orchestratorNames.forecastFanOut, forecastFanOut),
  [orchestratorNames.reforecastSkus]: failFast(orchestratorNames.reforecastSkus, reforecastSkus),
  [orchestratorNames.driftMonitor]: driftMonitor,
  [orchestratorNames.challengerRun]: failFast(orchestratorNames.challengerRun, challengerRun),
};
