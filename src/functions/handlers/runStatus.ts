import { type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { FunctionDeps } from '../deps';
import { errorResponse, jsonError, withoutLocalPaths } from '../http';

const instanceIdPattern = /^[A-Za-z0-9:._-]{1,200}$/;

/** GET /api/runs/{instanceId}: the run's status, current stage and, when done, its summary. */
export function runStatusHandler(deps: FunctionDeps) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const instanceId = request.params['instanceId'] ?? '';
      if (!instanceIdPattern.test(instanceId)) {
        return jsonError(
          400,
          'validation',
          `instanceId: must be 1-200 letters, digits or ":._-" (got ${JSON.stringify(instanceId).slice(0, 100)})`,
          'instanceId',
        );
      }
      const status = await deps.client(request, context).getStatus(instanceId);
      if (!status) return jsonError(404, 'not_found', `instanceId: no run "${instanceId}"`, 'instanceId');
      const running = status.runtimeStatus === 'Running' || status.runtimeStatus === 'Pending';
      return { status: running ? 202 : 200, jsonBody: withoutLocalPaths(status) };
    } catch (err) {
      return errorResponse(err);
    }
  };
}
