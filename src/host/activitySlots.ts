/**
 * At most `limit` activities of one host run at once; the rest wait in call order. A Function
 * instance does the same (host.json `maxConcurrentActivityFunctions`): without it the local host
 * started every batch of a fan-out together and held all their inputs and results at once.
 */
export class ActivitySlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`maxConcurrentActivities must be an integer >= 1; got ${limit}`);
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next caller, so `running` never drops below the queue's need.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Activities running now (tests). */
  get active(): number {
    return this.running;
  }
}
