import { type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { defaultRunListLimit } from '../../lib/runs';
import type { FunctionDeps } from '../deps';
import { errorResponse, jsonError } from '../http';

const maxLimit = 200;

/** GET /api/runs?limit=N: past runs, newest first, as `demand runs list --json` prints them. */
export function listRunsHandler(deps: FunctionDeps) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      if (!deps.runs) return jsonError(501, 'not_configured', 'Run history is not available on this host');
      const raw = request.query.get('limit');
      const limit = raw === null ? defaultRunListLimit : Number(raw);
      if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) {
        return jsonError(
          400,
          'validation',
          `limit: must be a whole number from 1 to ${maxLimit} (got ${JSON.stringify(raw).slice(0, 50)})`,
          'limit',
        );
      }
      const runs = await deps.runs(request, context).list({ limit });
      return { status: 200, jsonBody: { runs } };
    } catch (err) {
      return errorResponse(err);
    }
  };
}
