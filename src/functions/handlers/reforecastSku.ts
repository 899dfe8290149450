import { type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { orchestratorNames } from '../../contracts/names';
import { pipelineOptionsFromSettings } from '../../orchestrators/input';
import type { ReforecastSkusInput } from '../../orchestrators/reforecastSkus';
import type { FunctionDeps } from '../deps';
import { errorResponse, jsonError, readJsonBody, validationResponse, withoutLocalPaths } from '../http';
import { isTerminal } from '../pipelineClient';

/** SKUs as Silver normalises them: letters, digits, '_', '-', '.', starting with a letter or digit. */
export const skuPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const requestSchema = z.object({
  sku: z
    .string()
    .min(1, 'is required')
    .max(64, 'is longer than 64 characters')
    .regex(skuPattern, 'must be letters, digits, "_", "-" or "." (max 64)'),
  // An integer, or a string of digits (the query string): not true, [5], "0x10", " 7 " or 1e1 text.
  horizonDays: z
    .union(
      [
        z.number().int('must be a whole number'),
        z
          .string()
          .regex(/^\d{1,6}$/, 'must be a whole number of days (digits only)')
          .transform(Number),
      ],
      {
        error: 'must be a whole number of days',
      },
    )
    .pipe(z.number().min(1, 'must be at least 1').max(365, 'must be at most 365'))
    .optional(),
});

/**
 * POST /api/skus/{sku}/forecast[?horizonDays=N] (or {"horizonDays": N} in the body): re-forecasts
 * one SKU from the latest Silver. Answers with the result when it finishes within
 * DEMAND_REFORECAST_WAIT_MS, else 202 with the status URLs.
 */
export function reforecastSkuHandler(deps: FunctionDeps) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const read = await readJsonBody(request);
      if (!read.ok) return read.response;
      const raw: Record<string, unknown> = {
        sku: request.params['sku'],
        ...(read.body['horizonDays'] !== undefined ? { horizonDays: read.body['horizonDays'] } : {}),
        ...(request.query.get('horizonDays') !== null ? { horizonDays: request.query.get('horizonDays') } : {}),
      };
      const parsed = requestSchema.safeParse(raw);
      if (!parsed.success) return validationResponse(parsed.error, raw);
      const sku = parsed.data.sku.toUpperCase();
      if (deps.skuExists && !(await deps.skuExists(sku))) {
        return jsonError(404, 'not_found', `sku: no SKU "${sku}" in the Silver product catalogue`, 'sku');
      }
      const settings = deps.settings();
      const options = pipelineOptionsFromSettings(settings);
      const input: ReforecastSkusInput = {
        skus: [sku],
        reason: 'http',
        options: { ...options, horizonDays: parsed.data.horizonDays ?? options.horizonDays },
      };
      const client = deps.client(request, context);
      const instanceId = `reforecast-${sku}-${context.invocationId}`;
      await client.startNew(orchestratorNames.reforecastSkus, { instanceId, input });
      const status = await client.waitForCompletion(instanceId, settings.DEMAND_REFORECAST_WAIT_MS);
      const payload = client.checkStatusPayload(request, instanceId);
      if (status && isTerminal(status)) {
        const ok = status.runtimeStatus === 'Completed';
        return {
          status: ok ? 200 : 500,
          jsonBody: withoutLocalPaths({ instanceId, sku, runtimeStatus: status.runtimeStatus, output: status.output, ...payload }),
        };
      }
      return {
        status: 202,
        headers: { location: payload.statusQueryGetUri, 'retry-after': '5' },
        jsonBody: { instanceId, sku, ...payload },
      };
    } catch (err) {
      return errorResponse(err);
    }
  };
}
