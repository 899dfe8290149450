import { hashSeed, seededRandom } from './seededRandom';

/** What the local orders API can do wrong, the way real APIs and proxies do. */
export type FaultKind =
  | 'throttle' // 429 with Retry-After
  | 'error500'
  | 'error503'
  | 'slow' // answers only after `slowDelayInMs` (beyond the client's timeout)
  | 'reset' // drops the connection without a response
  | 'truncated' // 200 with the JSON body cut in half
  | 'html'; // 200 with an HTML error page (a proxy's)

export const allFaultKinds: readonly FaultKind[] = ['throttle', 'error500', 'error503', 'slow', 'reset', 'truncated', 'html'];

export interface FaultPlan {
  seed: number;
  /** Chance that a request for a page is faulted (per attempt), 0..1. */
  rate: number;
  kinds?: readonly FaultKind[];
  /** At most this many faults in a row on the same page (then it is served); default 3. Infinity: never served. */
  maxPerPage?: number;
  /** Retry-After for 'throttle', in seconds (may be fractional for tests); default 1. */
  retryAfterSeconds?: number;
  /** Delay for 'slow'; default 2000 ms. */
  slowDelayInMs?: number;
}

/**
 * Decides faults per (page request, attempt): a function of the seed and the request's paging
 * token only, so the same seed faults the same pages whatever the timing.
 */
export class FaultInjector {
  private readonly attemptsByKey = new Map<string, number>();
  readonly injected: Record<string, number> = {};

  private constructor(private readonly plan: FaultPlan) {}

  static fromPlan(plan: FaultPlan): FaultInjector {
    return new FaultInjector(plan);
  }

  get retryAfterSeconds(): number {
    return this.plan.retryAfterSeconds ?? 1;
  }

  get slowDelayInMs(): number {
    return this.plan.slowDelayInMs ?? 2000;
  }

  next(requestKey: string): FaultKind | undefined {
    const attempt = this.attemptsByKey.get(requestKey) ?? 0;
    const maxPerPage = this.plan.maxPerPage ?? 3;
    if (attempt >= maxPerPage) {
      this.attemptsByKey.delete(requestKey);
      return undefined;
    }
    const random = seededRandom(hashSeed(`${requestKey}#${attempt}`, this.plan.seed));
    if (random() >= this.plan.rate) {
      this.attemptsByKey.delete(requestKey);
      return undefined;
    }
    this.attemptsByKey.set(requestKey, attempt + 1);
    const kinds = this.plan.kinds ?? allFaultKinds;
    const kind = kinds[Math.floor(random() * kinds.length)];
    if (kind) this.injected[kind] = (this.injected[kind] ?? 0) + 1;
    return kind;
  }
}
