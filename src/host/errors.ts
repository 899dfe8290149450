import { DemandError } from '../lib/errors';

/** The orchestrator took a different path on replay than the history records (as Azure would reject). */
export class NonDeterministicOrchestrationError extends DemandError {
  constructor(
    readonly instanceId: string,
    message: string,
  ) {
    super('non_deterministic', `Non-deterministic orchestration detected in instance '${instanceId}': ${message}`);
  }
}

export class UnknownFunctionError extends DemandError {
  constructor(kind: 'activity' | 'orchestrator', name: string, instanceId: string) {
    super('unknown_function', `Instance '${instanceId}' called ${kind} '${name}', which is not registered`);
  }
}

export class InstanceNotFoundError extends DemandError {
  constructor(readonly instanceId: string) {
    super('instance_not_found', `No orchestration instance '${instanceId}'`);
  }
}
