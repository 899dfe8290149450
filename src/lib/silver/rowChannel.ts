/**
 * A bounded async queue of rows: the Bronze pass pushes, a Delta write consumes it as an async
 * iterable, so a table gets one streamed commit while the pass runs and memory stays bounded.
 * If the consumer stops early (e.g. the write was skipped as already applied), pushes become no-ops.
 */
import type { DeltaRow } from '../delta/types';

export class RowChannel implements AsyncIterable<DeltaRow> {
  private queue: DeltaRow[] = [];
  private closed = false;
  private detached = false;
  /** Boxed so that a falsy or undefined thrown value still counts as a failure. */
  private failure: { error: unknown } | undefined = undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  pushed = 0;

  constructor(private readonly highWaterMark = 5_000) {}

  /** Resolves once there is room; rejects if the consumer failed. */
  async push(row: DeltaRow): Promise<void> {
    this.throwIfFailed();
    if (this.detached) return;
    this.queue.push(row);
    this.pushed += 1;
    this.wakeConsumer?.();
    if (this.queue.length >= this.highWaterMark) {
      await new Promise<void>((resolve) => (this.wakeProducer = resolve));
      this.wakeProducer = undefined;
      this.throwIfFailed();
    }
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }

  close(): void {
    this.closed = true;
    this.wakeConsumer?.();
  }

  /** Called when the consumer finished without reading (e.g. a skipped write): drop further rows. */
  detach(): void {
    this.detached = true;
    this.queue = [];
    this.wakeProducer?.();
  }

  /** Called when either side failed: the producer's pushes and the consumer's reads end with the error. */
  fail(err: unknown): void {
    this.failure = { error: err };
    this.queue = [];
    this.wakeProducer?.();
    this.wakeConsumer?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<DeltaRow> {
    try {
      for (;;) {
        this.throwIfFailed();
        if (this.queue.length > 0) {
          const batch = this.queue;
          this.queue = [];
          this.wakeProducer?.();
          yield* batch;
          continue;
        }
        if (this.closed) return;
        await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
        this.wakeConsumer = undefined;
      }
    } finally {
      // The consumer is gone (done, skipped or failed): never block the producer again.
      this.detached = true;
      this.queue = [];
      this.wakeProducer?.();
    }
  }
}
