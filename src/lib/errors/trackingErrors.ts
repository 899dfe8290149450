import { DemandError, UpstreamError } from './errors';

/** Ends the message of an error that repeating the same request cannot cure (a 4xx other than 408/429). */
export const permanentFailureMarker = '[permanent: retrying the same request is refused again]';

/**
 * True for an error that retrying would only repeat: a MlflowApiError marked permanent, or (on
 * the far side of an orchestration's history, where only the message survives) its message.
 */
export function isPermanentFailure(err: unknown): boolean {
  if (err instanceof MlflowApiError) return err.permanent;
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : '';
  return message.includes(permanentFailureMarker);
}

/** The MLflow REST API answered with an error body ({ error_code, message }) or a bad status. */
export class MlflowApiError extends UpstreamError {
  /** MLflow's error_code, e.g. RESOURCE_ALREADY_EXISTS, RESOURCE_DOES_NOT_EXIST. */
  readonly errorCode: string;
  readonly endpoint: string;
  /**
   * True for a 4xx other than 408/429: the same request would be refused again, so no layer
   * (the tracker's backoff, an activity retry) should repeat it. The message says so too, since
   * only the message crosses an orchestration's history.
   */
  readonly permanent: boolean;
  constructor(endpoint: string, status: number, errorCode: string, message: string) {
    const permanent = status >= 400 && status < 500 && status !== 408 && status !== 429;
    super(`MLflow ${endpoint} failed (${status} ${errorCode}): ${message}${permanent ? ` ${permanentFailureMarker}` : ''}`, status);
    this.errorCode = errorCode;
    this.endpoint = endpoint;
    this.permanent = permanent;
  }
}

/** A registry object (model, version, run) that was asked for does not exist. */
export class RegistryNotFoundError extends DemandError {
  constructor(what: string) {
    super('registry_not_found', `${what} does not exist`);
  }
}
