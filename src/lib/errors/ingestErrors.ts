import { DemandError, UpstreamError } from './errors';

/**
 * A page of an orders source could not be fetched within the retry budget (or failed with a status
 * that retrying cannot fix). Names the source, the page and the last HTTP status so an operator
 * can tell a throttled API from a broken one; the watermark is never moved when this is thrown.
 */
export class OrdersFetchError extends UpstreamError {
  readonly source: string;
  /** 0-based page index within the run. */
  readonly page: number;
  readonly attempts: number;
  /** What the last attempt saw: an HTTP status, or a transport failure such as "timeout". */
  readonly lastOutcome: string;
  constructor(
    details: { source: string; page: number; attempts: number; status: number | undefined; lastOutcome: string; elapsedInMs: number },
    options?: { cause?: unknown },
  ) {
    super(
      `Orders source "${details.source}" page ${details.page} failed after ${details.attempts} attempt(s) in ${details.elapsedInMs} ms; ` +
        `last status: ${details.status ?? 'none'} (${details.lastOutcome})`,
      details.status,
      options,
    );
    this.source = details.source;
    this.page = details.page;
    this.attempts = details.attempts;
    this.lastOutcome = details.lastOutcome;
  }
}

/** A committed Bronze part no longer matches its manifest (bytes changed after commit). */
export class BronzeIntegrityError extends DemandError {
  readonly path: string;
  constructor(path: string, message: string) {
    super('bronze_integrity', `Bronze part ${path}: ${message}`);
    this.path = path;
  }
}
