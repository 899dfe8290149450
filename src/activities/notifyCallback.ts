import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { UpstreamError, ValidationError } from '../lib/errors';
import type { NotifyCallbackInput } from '../contracts/messages';
import type { PipelineServices } from '../lib/pipelineServices';

class RetryableCallbackError extends UpstreamError {}

/**
 * POSTs the run outcome to the callBackUri of ADF's WebHook activity (body: { output, error?,
 * StatusCode }). ADF marks its activity failed when StatusCode is not 2xx, so a failed run fails
 * the ADF pipeline. Transient failures (network, 429, 5xx) are retried with backoff.
 */
export async function notifyCallback(
  input: NotifyCallbackInput,
  services: Pick<PipelineServices, 'log' | 'abortSignal'>,
): Promise<{ status: number }> {
  let url: URL;
  try {
    url = new URL(input.callBackUri);
  } catch {
    throw new ValidationError('callBackUri', `callBackUri is not a valid URL: ${JSON.stringify(input.callBackUri)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ValidationError('callBackUri', `callBackUri must be http(s): ${JSON.stringify(input.callBackUri)}`);
  }
  const policy = retry(
    handleWhen((err) => err instanceof RetryableCallbackError || err instanceof TypeError),
    {
      maxAttempts: 4,
      backoff: new ExponentialBackoff({ initialDelay: 500, maxDelay: 10_000 }),
    },
  );
  return policy.execute(async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input.body),
      signal: AbortSignal.any([AbortSignal.timeout(30_000), ...(services.abortSignal ? [services.abortSignal] : [])]),
    });
    if (response.status === 429 || response.status >= 500) {
      throw new RetryableCallbackError(`ADF callback ${url.host}${url.pathname} answered ${response.status}`, response.status);
    }
    if (!response.ok) {
      throw new UpstreamError(`ADF callback ${url.host}${url.pathname} answered ${response.status}`, response.status);
    }
    services.log(`ADF callback answered ${response.status}`);
    return { status: response.status };
  });
}
