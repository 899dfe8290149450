/**
 * Worker threads for the Silver build (piscina): Bronze parts are scanned and Parquet files
 * encoded off the main thread, which meanwhile de-duplicates, nets and aggregates. `workers: 0`
 * runs the same functions in-process (small inputs and tests: no thread start-up).
 */
import * as os from 'node:os';
import { Piscina } from 'piscina';
import { encodeDataFile, type EncodedDataFile, type PhysicalColumn } from '../delta/dataFile';
import type { DeltaField } from '../delta/types';
import { workerFilename } from '../workers/workerFile';
import { releaseNativeMemory } from '../memory/nativeMemory';
import { buildDailyDemandFiles, type DailyDemandTask } from './dailyDemandTask';
import { processMonth, type MonthResult, type MonthTask } from './monthPass';
import { scanBronzePart, type ScanPartTask, type ScanSummary } from './orderChunkScan';
import type { SilverTask } from './silverWorker';

/**
 * Each worker's heap. A task holds one chunk, one data file or one SKU bucket of a month (about
 * 50,000 lines: about 45 MB of heap measured at 32,000 SKUs), yet with V8's default limit (a share
 * of the machine's memory) a worker's old generation grew lazily to several times that: the
 * limit makes V8 collect sooner. The young generation stays small (it is paid in RSS per worker).
 * Measured (a full build of 1.33M lines, 32,000 SKUs, 2 workers): peak RSS 818 MB without an old
 * generation limit, 638 MB with 512 MB; young generation 64 MB → 16 MB: 983 → 818 MB, same wall;
 * with 50,000-line buckets an old generation of 160 MB instead of 512 MB: 522 → 507 MB, same CPU.
 * Young generation 16 MB → 8 MB (8,000 SKUs, 327k lines, glibc tunables): buildSilver peak RSS
 * 396 → 371 MB, a worker's committed heap at its peak 63 → 51 MB (month task), CPU 29.9 → 25.7 s.
 * A bucket never splits a SKU, so one very large SKU can still outgrow this heap: its month task
 * then runs again on the calling thread (see `month`).
 */
export const silverWorkerLimits = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 160 } as const;

/** What Node reports when a worker thread's heap reached its limit (the thread is gone; piscina starts another). */
export function isWorkerOutOfMemory(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY';
}

/** Memory a worker may take at its limits, with its thread's own share (stack, code, buffers). */
const workerBudgetBytes = (silverWorkerLimits.maxOldGenerationSizeMb + silverWorkerLimits.maxYoungGenerationSizeMb + 64) * 2 ** 20;

/**
 * Workers for a large build: one per core, but no more than half the memory (the container's limit
 * where there is one) holds at their heap limits: the main thread and the host keep the rest; and no
 * more than `maxWorkers` (the deployment's instance cores, DEMAND_SILVER_MAX_WORKERS) when given.
 */
export function autoWorkerCount(cores: number, memoryBytes: number, maxWorkers: number = Infinity): number {
  return Math.max(1, Math.min(cores, maxWorkers, Math.floor(memoryBytes / 2 / workerBudgetBytes)));
}

/** This machine's memory: the smaller of its RAM and its cgroup limit (unconstrained reports a huge number). */
export function availableMemoryBytes(): number {
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  return constrained > 0 ? Math.min(constrained, os.totalmem()) : os.totalmem();
}

export class SilverPool {
  private constructor(
    private readonly pool: Piscina | null,
    private readonly cleanup: () => void,
    readonly workers: number,
    private readonly log: (message: string) => void,
  ) {}

  static create(options: {
    workers: number;
    /** Told when a month task outgrew a worker's heap and runs again on this thread. */
    log?: (message: string) => void;
    /** Heap limits of the workers (default `silverWorkerLimits`; tests use smaller ones). */
    resourceLimits?: { maxYoungGenerationSizeMb: number; maxOldGenerationSizeMb: number };
  }): SilverPool {
    const workers = Math.max(0, Math.floor(options.workers));
    const log = options.log ?? (() => undefined);
    if (workers === 0) return new SilverPool(null, () => undefined, 0, log);
    const { filename, cleanup } = workerFilename(__dirname, 'silverWorker');
    // A deep queue is fine: each queued task is a part's compressed bytes or one file's columns.
    return new SilverPool(
      new Piscina({
        filename,
        minThreads: workers,
        maxThreads: workers,
        idleTimeout: 1_000,
        resourceLimits: options.resourceLimits ?? silverWorkerLimits,
      }),
      cleanup,
      workers,
      log,
    );
  }

  async scan(task: ScanPartTask): Promise<ScanSummary> {
    if (!this.pool) return scanBronzePart(task);
    const message: SilverTask = { kind: 'scan', task };
    return (await this.onWorker(this.pool, message, { transferList: [task.bytes.buffer as ArrayBuffer] })) as ScanSummary;
  }

  /**
   * A month task of one SKU bucket on a worker; one that outgrew the worker's heap (a bucket of a
   * very large SKU) runs again here. The task only reads its spill files and returns what it built,
   * so running it twice is safe; its fingerprints are copied to the worker, not transferred, so
   * they are still here for that second run.
   */
  async month(task: MonthTask): Promise<MonthResult> {
    if (!this.pool) return processMonth(task);
    const message: SilverTask = { kind: 'month', task };
    try {
      return (await this.onWorker(this.pool, message)) as MonthResult;
    } catch (err) {
      if (!isWorkerOutOfMemory(err)) throw err;
      const bucket = task.bucket ? ` (SKU bucket ${task.bucket.index + 1} of ${task.bucket.count})` : '';
      this.log(`silver: month ${task.month}${bucket} outgrew a worker's heap: run again on the main thread`);
      return processMonth(task);
    }
  }

  async dailyDemand(task: DailyDemandTask): Promise<EncodedDataFile[]> {
    if (!this.pool) return buildDailyDemandFiles(task);
    const message: SilverTask = { kind: 'dailyDemand', task };
    const { lines, onHand } = task;
    const views = [
      task.first,
      task.last,
      lines.sku,
      lines.day,
      lines.quantity,
      lines.revenue,
      lines.invoice,
      lines.customer,
      onHand.sku,
      onHand.day,
      onHand.onHand,
    ];
    return (await this.onWorker(this.pool, message, { transferList: views.map((v) => v.buffer as ArrayBuffer) })) as EncodedDataFile[];
  }

  async encode(fields: readonly DeltaField[], columns: readonly PhysicalColumn[], numRecords: number): Promise<EncodedDataFile> {
    if (!this.pool) return encodeDataFile(fields, columns, numRecords);
    const message: SilverTask = { kind: 'encode', fields: [...fields], columns: [...columns], numRecords };
    const transferList = columns.flatMap((c) => {
      const view = ArrayBuffer.isView(c) ? c : 'indexes' in c && ArrayBuffer.isView(c.indexes) ? c.indexes : undefined;
      return view ? [view.buffer as ArrayBuffer] : [];
    });
    return (await this.onWorker(this.pool, message, { transferList })) as EncodedDataFile;
  }

  /**
   * One task on a worker, then glibc's free arena memory given back (docs/sizing.md, s29trim): a
   * task's freed buffers stay resident otherwise. From this thread, since malloc_trim trims every
   * arena, the workers' too, and the FFI library is then loaded in one thread only.
   */
  private async onWorker(pool: Piscina, message: SilverTask, options?: { transferList: ArrayBuffer[] }): Promise<unknown> {
    try {
      return await pool.run(message, options);
    } finally {
      releaseNativeMemory();
    }
  }

  private closed = false;

  /** Ends the workers; a second call does nothing (a build closes each pass's pool once, as the pass ends). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.pool?.destroy();
    } finally {
      this.cleanup();
    }
  }
}
