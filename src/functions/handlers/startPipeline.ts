import { type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { orchestratorNames } from '../../contracts/names';
import { pipelineOptionsFromSettings, type DemandPipelineInput } from '../../orchestrators/input';
import type { FunctionDeps } from '../deps';
import { errorResponse, readJsonBody, validationResponse } from '../http';

const bodySchema = z
  .object({
    /** Set by ADF's WebHook activity; we POST the outcome there when the run ends. */
    callBackUri: z.string().url().max(4096).optional(),
    /** ADF's @pipeline().RunId: makes the start idempotent when ADF retries the call. */
    pipelineRunId: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,100}$/, 'letters, digits and dashes, at most 100')
      .optional(),
  })
  // Nothing else: an unknown field (a typo, `__proto__`) is refused, not silently ignored.
  .strict();

/**
 * POST /api/pipeline/start — the HTTP starter that ADF's WebHook activity calls. Answers 202 at
 * once with Durable's check-status payload; the orchestration remembers callBackUri (its input)
 * and POSTs the outcome there. The same pipelineRunId never starts a second run.
 */
export function startPipelineHandler(deps: FunctionDeps) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const read = await readJsonBody(request);
      if (!read.ok) return read.response;
      const parsed = bodySchema.safeParse(read.body);
      if (!parsed.success) return validationResponse(parsed.error, read.body);
      const { callBackUri, pipelineRunId } = parsed.data;
      const client = deps.client(request, context);
      const instanceId = pipelineRunId ? `adf-${pipelineRunId}` : `run-${context.invocationId}`;
      const existing = await client.getStatus(instanceId);
      if (!existing) {
        const input: DemandPipelineInput = {
          // A full run either way: `http` is the per-SKU re-forecast, a partial run that registers no policy version.
          trigger: callBackUri ? 'adf' : 'api',
          ...(callBackUri ? { callBackUri } : {}),
          ...(pipelineRunId ? { pipelineRunId } : {}),
          options: pipelineOptionsFromSettings(deps.settings()),
        };
        await client.startNew(orchestratorNames.demandPipeline, { instanceId, input });
        context.log(`started ${orchestratorNames.demandPipeline} instance ${instanceId}`);
      }
      const payload = client.checkStatusPayload(request, instanceId);
      return {
        status: 202,
        headers: { location: payload.statusQueryGetUri, 'retry-after': '30' },
        jsonBody: { ...payload, alreadyStarted: existing !== undefined },
      };
    } catch (err) {
      return errorResponse(err);
    }
  };
}
