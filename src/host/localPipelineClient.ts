import type { HttpRequest } from '@azure/functions';
import type { CheckStatusPayload, PipelineClient, RunStatus } from '../functions/pipelineClient';
import type { LocalOrchestrationHost } from './localHost';

/** The PipelineClient of `demand serve` and the tests: the local host behind Durable's client API. */
export function localPipelineClient(host: LocalOrchestrationHost): PipelineClient {
  const status = (id: string): RunStatus | undefined => {
    const s = host.getStatus(id);
    return s
      ? { instanceId: s.instanceId, name: s.name, runtimeStatus: s.runtimeStatus, customStatus: s.customStatus, output: s.output, createdTime: s.createdTime, lastUpdatedTime: s.lastUpdatedTime }
      : undefined;
  };
  return {
    startNew: async (name, options) => host.startNew(name, options),
    getStatus: async (id) => status(id),
    waitForCompletion: async (id, timeoutInMs) => {
      if (!host.getStatus(id)) return undefined;
      await host.waitForCompletion(id, { timeoutInMs });
      return status(id);
    },
    checkStatusPayload: (request: HttpRequest, instanceId: string): CheckStatusPayload => {
      const origin = new URL(request.url).origin;
      return { id: instanceId, statusQueryGetUri: `${origin}/api/runs/${encodeURIComponent(instanceId)}` };
    },
  };
}
