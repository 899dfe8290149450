import { ExponentialBackoff, handleWhen, retry, timeout, TimeoutStrategy, wrap, DelegateBackoff, type IBackoff } from 'cockatiel';
import { OrdersFetchError, ValidationError, toError } from '../errors';
import { parseRetryAfterInMs } from './retryAfter';

/** One page as the client hands it on: the items exactly as received plus the paging tokens. */
export interface OrdersPage {
  /** 0-based page index within the run. */
  page: number;
  /** Token that fetched this page (null: the first request, built from `since`). */
  token: string | null;
  items: unknown[];
  /** Token for the next page (a cursor, or a next-link URL when the API gives only links); null at the end. */
  nextToken: string | null;
  attempts: number;
}

export interface RetryEvent {
  source: string;
  page: number;
  attempt: number;
  delayInMs: number;
  outcome: string;
  status: number | undefined;
}

export interface OrdersClientOptions {
  source: string;
  /** The orders collection URL, e.g. https://shop.example/api/orders */
  url: string;
  pageSize: number;
  requestTimeoutInMs: number;
  /**
   * Total time one run may lose to retries (failed attempts and the waits between them), over all
   * its pages: one budget per client, so build one client per run. Time spent on pages that succeed
   * at once is not counted, so a long healthy run is never failed by it.
   */
  retryBudgetInMs: number;
  initialBackoffInMs?: number;
  maxBackoffInMs?: number;
  /** Returns the Authorization header value for a request (static header or a fresh token). */
  authorization?: () => Promise<string | undefined>;
  onRetry?: (event: RetryEvent) => void;
  fetch?: typeof fetch;
  /** Header the authorization value goes in (default `authorization`; Shopify: X-Shopify-Access-Token). */
  authHeaderName?: string;
  /** Source definitions: the run's first request URL (default: `?limit=&since=` on the collection URL). */
  firstRequestUrl?: (since: string | null) => string;
  /**
   * Source definitions: items and the next page's URL from a parsed 200 body (default: the
   * `{items, nextCursor | next}` body or a Link header). A thrown error is not retried.
   */
  readPage?: (body: unknown, headers: Headers, url: string) => { items: unknown[]; nextToken: string | null };
}

/** A failure worth retrying: throttling, 5xx, timeouts, resets, a truncated or non-JSON page. */
class TransientFetchFailure extends Error {
  constructor(
    readonly outcome: string,
    readonly status: number | undefined,
    readonly retryAfterInMs: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(outcome, options);
  }
}

/** A failure retrying cannot fix (400, 401, 403, 404…). */
class PermanentFetchFailure extends Error {
  constructor(
    readonly outcome: string,
    readonly status: number | undefined,
  ) {
    super(outcome);
  }
}

const transientStatuses = new Set([408, 425, 429]);

function parsePage(text: string): { items: unknown[]; nextCursor: string | null; next: string | null } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new TransientFetchFailure(`body is not JSON (${text.length} chars: ${JSON.stringify(text.slice(0, 40))}…)`, 200, undefined, {
      cause: err,
    });
  }
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { items?: unknown }).items)) {
    // A complete JSON body of another shape will not change on retry: fail now, saying what came.
    const shape = Array.isArray(body)
      ? 'a bare JSON array'
      : typeof body === 'object' && body !== null
        ? `an object with keys ${Object.keys(body).slice(0, 8).join(', ') || '(none)'}`
        : typeof body;
    throw new PermanentFetchFailure(
      `body has no "items" array (it is ${shape}); for another API shape use a source definition (--orders-source, docs/sources.md), e.g. "items": "" for a bare array`,
      200,
    );
  }
  const { items, nextCursor, next } = body as { items: unknown[]; nextCursor?: unknown; next?: unknown };
  return {
    items,
    nextCursor: typeof nextCursor === 'string' && nextCursor.length > 0 ? nextCursor : null,
    next: typeof next === 'string' && next.length > 0 ? next : null,
  };
}

/** rel="next" target of an RFC 8288 Link header. */
export function linkNext(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part);
    if (m?.[1]) return m[1];
  }
  return null;
}

/**
 * Client for a paged orders REST API (`GET <url>?since=<ISO>&limit=<n>`, then `cursor=<c>` or the
 * `next` link). Each page is fetched under cockatiel policies: a per-request timeout (AbortSignal)
 * inside a retry with exponential backoff and jitter that honours Retry-After, bounded by one
 * retry budget for the whole run (not per page: N flapping pages cannot take N × budget); after
 * that an OrdersFetchError names the source, page and last status.
 */
export class OrdersClient {
  private readonly fetchImpl: typeof fetch;
  private readonly origin: string;
  /** Time this client's run has already lost to retries. */
  private retrySpentInMs = 0;

  private constructor(private readonly options: OrdersClientOptions) {
    this.fetchImpl = options.fetch ?? fetch;
    this.origin = new URL(options.url).origin;
  }

  static fromOptions(options: OrdersClientOptions): OrdersClient {
    try {
      new URL(options.url);
    } catch {
      throw new ValidationError('url', `Orders API URL is not a URL: ${JSON.stringify(options.url)}`);
    }
    return new OrdersClient(options);
  }

  /**
   * URL for a page token: next links (absolute or relative) are resolved against the collection URL,
   * cursors are added to it. A next link to another origin is refused rather than followed without
   * the Authorization header: the credentials never leave the configured API, and the run does not
   * land another host's data in Bronze as this source's orders (and would likely get a 401 anyway).
   */
  private requestUrl(page: number, token: string | null, since: string | null): string {
    if (token !== null && (/^https?:/i.test(token) || token.startsWith('/'))) {
      const link = new URL(token, this.options.url);
      if (link.origin !== this.origin) {
        throw new OrdersFetchError({
          source: this.options.source,
          page,
          attempts: 0,
          status: undefined,
          lastOutcome: `next link ${JSON.stringify(token)} is not on the orders API origin ${this.origin}; not followed (it would carry the credentials elsewhere)`,
          elapsedInMs: 0,
        });
      }
      return link.toString();
    }
    if (token === null && this.options.firstRequestUrl) return this.options.firstRequestUrl(since);
    const url = new URL(this.options.url);
    url.searchParams.set('limit', String(this.options.pageSize));
    if (token !== null) url.searchParams.set('cursor', token);
    else if (since !== null) url.searchParams.set('since', since);
    return url.toString();
  }

  private async attempt(url: string, signal: AbortSignal): Promise<{ items: unknown[]; nextToken: string | null }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const auth = await this.options.authorization?.();
    if (auth) headers[(this.options.authHeaderName ?? 'authorization').toLowerCase()] = auth;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, { headers, signal });
      text = await response.text();
    } catch (err) {
      if (signal.aborted) throw err; // timeout or caller abort: sorted out by the caller
      const cause = toError(err).cause as { code?: string } | undefined;
      throw new TransientFetchFailure(
        `transport error: ${toError(err).message}${cause?.code ? ` (${cause.code})` : ''}`,
        undefined,
        undefined,
        { cause: err },
      );
    }
    if (response.status >= 500 || transientStatuses.has(response.status)) {
      throw new TransientFetchFailure(`HTTP ${response.status}`, response.status, parseRetryAfterInMs(response.headers.get('retry-after')));
    }
    if (response.status !== 200) throw new PermanentFetchFailure(`HTTP ${response.status}: ${text.slice(0, 200)}`, response.status);
    if (this.options.readPage) {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (err) {
        throw new TransientFetchFailure(`body is not JSON (${text.length} chars: ${JSON.stringify(text.slice(0, 40))}…)`, 200, undefined, {
          cause: err,
        });
      }
      return this.options.readPage(body, response.headers, url);
    }
    const page = parsePage(text);
    return { items: page.items, nextToken: page.nextCursor ?? page.next ?? linkNext(response.headers.get('link')) };
  }

  /** Fetches one page with retries. `token` null means the run's first request (with `since`). */
  async fetchPage(page: number, token: string | null, since: string | null, abortSignal?: AbortSignal): Promise<OrdersPage> {
    const { source, retryBudgetInMs } = this.options;
    const url = this.requestUrl(page, token, since);
    const startedAt = Date.now();
    let attemptStartedAt = startedAt;
    let attempts = 0;
    let last: { outcome: string; status: number | undefined } = { outcome: 'no attempt', status: undefined };
    let nextDelayInMs = 0;
    const exponential = new ExponentialBackoff({
      initialDelay: this.options.initialBackoffInMs ?? 200,
      maxDelay: this.options.maxBackoffInMs ?? 10_000,
    });
    let backoff: IBackoff<unknown> | undefined;

    const asTransient = (err: Error): TransientFetchFailure | undefined => {
      if (err instanceof TransientFetchFailure) return err;
      // cockatiel's timeout aborts the attempt's signal; the caller's own abort is not retried.
      if (!abortSignal?.aborted && (err.name === 'AbortError' || err.name === 'TaskCancelledError' || err.name === 'TimeoutError')) {
        return new TransientFetchFailure(`timeout after ${this.options.requestTimeoutInMs} ms`, undefined, undefined, { cause: err });
      }
      return undefined;
    };
    const policy = wrap(
      retry(
        handleWhen((err) => {
          const transient = asTransient(err);
          if (!transient) return false;
          last = { outcome: transient.outcome, status: transient.status };
          backoff = backoff ? backoff.next(undefined) : exponential.next();
          // Retry-After wins over our own backoff: the server said when it can take us again.
          nextDelayInMs = transient.retryAfterInMs ?? backoff.duration;
          // Until this page succeeds, all its time so far is lost to failures: it counts against the run's budget.
          const retrying = this.retrySpentInMs + (Date.now() - startedAt) + nextDelayInMs < retryBudgetInMs;
          if (retrying)
            this.options.onRetry?.({
              source,
              page,
              attempt: attempts,
              delayInMs: nextDelayInMs,
              outcome: transient.outcome,
              status: transient.status,
            });
          return retrying;
        }),
        { maxAttempts: Number.MAX_SAFE_INTEGER, backoff: new DelegateBackoff(() => nextDelayInMs) },
      ),
      timeout(this.options.requestTimeoutInMs, TimeoutStrategy.Cooperative),
    );
    try {
      const result = await policy.execute(({ signal }) => {
        attempts++;
        attemptStartedAt = Date.now();
        return this.attempt(url, signal);
      }, abortSignal);
      this.retrySpentInMs += attemptStartedAt - startedAt;
      return { page, token, items: result.items, nextToken: result.nextToken, attempts };
    } catch (err) {
      const error = toError(err);
      this.retrySpentInMs += Date.now() - startedAt;
      if (abortSignal?.aborted) throw abortSignal.reason ?? error;
      if (error instanceof PermanentFetchFailure) last = { outcome: error.outcome, status: error.status };
      else {
        const transient = asTransient(error);
        if (transient) last = { outcome: transient.outcome, status: transient.status };
        else last = { outcome: error.message, status: last.status };
      }
      throw new OrdersFetchError(
        { source, page, attempts, status: last.status, lastOutcome: last.outcome, elapsedInMs: Date.now() - startedAt },
        { cause: error },
      );
    }
  }
}
