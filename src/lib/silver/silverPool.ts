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
import { buildDailyDemandFiles, type DailyDemandTask } from './dailyDemandTask';
import { processMonth, type MonthResult, type MonthTask } from './monthPass';
import { scanBronzePart, type ScanPartTask, type ScanSummary } from './orderChunkScan';
import type { SilverTask } from './silverWorker';

/**
 * Each worker's heap. A task holds one chunk, one data file or one SKU bucket of a month (about
 * 100,000 lines: under 70 MB of heap measured at 32,000 SKUs), yet with V8's default limit (a share
 * of the machine's memory) a worker's old generation grew lazily to several times that: the
 * limit makes V8 collect sooner. 512 MB leaves room for a bucket of one very large SKU (a bucket
 * never splits a SKU). The young generation stays small (it is paid in RSS per worker).
 * Measured (a full build of 1.33M lines, 32,000 SKUs, 2 workers): peak RSS 818 MB without an old
 * generation limit, 638 MB with this one; young generation 64 MB → 16 MB: 983 → 818 MB, same wall.
 */
export const silverWorkerLimits = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 512 } as const;

/** Memory a worker may take at its limits, with its thread's own share (stack, code, buffers). */
const workerBudgetBytes = (silverWorkerLimits.maxOldGenerationSizeMb + silverWorkerLimits.maxYoungGenerationSizeMb + 64) * 2 ** 20;

/**
 * Workers for a large build: one per core, but no more than half the memory (the container's limit
 * where there is one) holds at their heap limits: the main thread and the host keep the rest.
 */
export function autoWorkerCount(cores: number, memoryBytes: number): number {
  return Math.max(1, Math.min(cores, Math.floor(memoryBytes / 2 / workerBudgetBytes)));
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
  ) {}

  static create(options: { workers: number }): SilverPool {
    const workers = Math.max(0, Math.floor(options.workers));
    if (workers === 0) return new SilverPool(null, () => undefined, 0);
    const { filename, cleanup } = workerFilename(__dirname, 'silverWorker');
    // A deep queue is fine: each queued task is a part's compressed bytes or one file's columns.
    return new SilverPool(
      new Piscina({
        filename,
        minThreads: workers,
        maxThreads: workers,
        idleTimeout: 1_000,
        resourceLimits: silverWorkerLimits,
      }),
      cleanup,
      workers,
    );
  }

  async scan(task: ScanPartTask): Promise<ScanSummary> {
    if (!this.pool) return scanBronzePart(task);
    const message: SilverTask = { kind: 'scan', task };
    return (await this.pool.run(message, { transferList: [task.bytes.buffer as ArrayBuffer] })) as ScanSummary;
  }

  async month(task: MonthTask): Promise<MonthResult> {
    if (!this.pool) return processMonth(task);
    const message: SilverTask = { kind: 'month', task };
    const p = task.prior;
    return (await this.pool.run(message, {
      transferList: [p.idHi.buffer, p.idLo.buffer, p.dupHi.buffer, p.dupLo.buffer] as ArrayBuffer[],
    })) as MonthResult;
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
    return (await this.pool.run(message, { transferList: views.map((v) => v.buffer as ArrayBuffer) })) as EncodedDataFile[];
  }

  async encode(fields: readonly DeltaField[], columns: readonly PhysicalColumn[], numRecords: number): Promise<EncodedDataFile> {
    if (!this.pool) return encodeDataFile(fields, columns, numRecords);
    const message: SilverTask = { kind: 'encode', fields: [...fields], columns: [...columns], numRecords };
    const transferList = columns.flatMap((c) => {
      const view = ArrayBuffer.isView(c) ? c : 'indexes' in c && ArrayBuffer.isView(c.indexes) ? c.indexes : undefined;
      return view ? [view.buffer as ArrayBuffer] : [];
    });
    return (await this.pool.run(message, { transferList })) as EncodedDataFile;
  }

  async close(): Promise<void> {
    try {
      await this.pool?.destroy();
    } finally {
      this.cleanup();
    }
  }
}
