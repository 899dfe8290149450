import type { HttpRequest } from '@azure/functions';
import type { CheckStatusPayload, PipelineClient, RunStatus } from '../functions/pipelineClient';
import type { LocalOrchestrationHost } from './localHost';

/**
 * The PipelineClient of `demand serve` and the tests: the local host behind Durable's client API.
 * Status URLs are relative (`/api/runs/<id>`), or under `baseUrl` when one is configured: never
 * built from the request's Host header, which a client controls.
 */
export function localPipelineClient(host: LocalOrchestrationHost, options: { baseUrl?: string } = {}): PipelineClient {
  const base = (options.baseUrl ?? '').replace(/\/+$/, '');
  const status = (id: string): RunStatus | undefined => {
    const s = host.getStatus(id);
    return s
      ? {
          instanceId: s.instanceId,
          name: s.name,
          runtimeStatus: s.runtimeStatus,
          customStatus: s.customStatus,
          output: s.output,
          createdTime: s.createdTime,
          lastUpdatedTime: s.lastUpdatedTime,
        }
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
    checkStatusPayload: (_request: HttpRequest, instanceId: string): CheckStatusPayload => {
      return { id: instanceId, statusQueryGetUri: `${base}/api/runs/${encodeURIComponent(instanceId)}` };
    },
  };
}
