import type { HttpRequest, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

/** Status of an orchestration instance as the HTTP functions report it. */
export interface RunStatus {
  instanceId: string;
  name: string;
  runtimeStatus: string;
  customStatus: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
}

/** Durable's check-status payload: where a caller polls, and the management URLs. */
export interface CheckStatusPayload {
  id: string;
  statusQueryGetUri: string;
  [name: string]: string;
}

/**
 * What the HTTP functions need from Durable Functions. In Azure it wraps df.getClient(context);
 * locally (`demand serve`, tests) it wraps the local orchestration host.
 */
export interface PipelineClient {
  startNew(orchestrator: string, options: { instanceId: string; input: unknown }): Promise<string>;
  getStatus(instanceId: string): Promise<RunStatus | undefined>;
  /** Waits up to `timeoutInMs` for the instance to finish; returns its status either way. */
  waitForCompletion(instanceId: string, timeoutInMs: number): Promise<RunStatus | undefined>;
  checkStatusPayload(request: HttpRequest, instanceId: string): CheckStatusPayload;
}

export type PipelineClientFactory = (request: HttpRequest, context: InvocationContext) => PipelineClient;

const terminal = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

/** The Azure adapter over the Durable client binding (needs extraInputs: [df.input.durableClient()]). */
export const azurePipelineClient: PipelineClientFactory = (_request, context) => durableClientFor(context);

export function durableClientFor(context: InvocationContext): PipelineClient {
  const client = df.getClient(context);
  const toStatus = (s: df.DurableOrchestrationStatus | undefined): RunStatus | undefined =>
    s
      ? {
          instanceId: s.instanceId,
          name: s.name,
          runtimeStatus: String(s.runtimeStatus),
          customStatus: s.customStatus,
          output: s.output,
          createdTime: new Date(s.createdTime).toISOString(),
          lastUpdatedTime: new Date(s.lastUpdatedTime).toISOString(),
        }
      : undefined;
  const getStatus = async (instanceId: string): Promise<RunStatus | undefined> => {
    try {
      return toStatus(await client.getStatus(instanceId, { showInput: false }));
    } catch (err) {
      // durable-functions 3 throws for unknown instances ("...replied with HTTP 404 response");
      // anything else (storage outage) must surface, or a check-then-start could start twice.
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  return {
    startNew: (orchestrator, options) => client.startNew(orchestrator, { instanceId: options.instanceId, input: options.input }),
    getStatus,
    async waitForCompletion(instanceId, timeoutInMs) {
      const deadline = Date.now() + timeoutInMs;
      for (;;) {
        const status = await getStatus(instanceId);
        if (!status || terminal.has(status.runtimeStatus) || Date.now() >= deadline) return status;
        await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(0, deadline - Date.now()))));
      }
    },
    checkStatusPayload: (_req, instanceId) => client.createHttpManagementPayload(instanceId) as unknown as CheckStatusPayload,
  };
}

function isNotFound(err: unknown): boolean {
  return err instanceof Error && /HTTP 404 response/.test(err.message);
}

export function isTerminal(status: RunStatus | undefined): boolean {
  return status !== undefined && terminal.has(status.runtimeStatus);
}
