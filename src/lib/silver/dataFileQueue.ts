import type { EncodedDataFile } from '../delta/dataFile';
import type { DeltaFileWriter } from '../delta/types';

/**
 * Data files being encoded (on the pool) and stored (by their writer), at most a few batches in
 * flight so what waits for a worker stays bounded. A failure surfaces at the next drain.
 */
export class DataFileQueue {
  private pending: Array<Promise<void>> = [];

  /** Files being encoded on the pool and then stored by their writer. */
  add(writer: DeltaFileWriter, partitionValues: Record<string, string>, files: Promise<EncodedDataFile[]>): void {
    const task = files.then(async (encoded) => {
      for (const file of encoded) await writer.addFile(partitionValues, file);
    });
    task.catch(() => undefined);
    this.pending.push(task);
  }

  async drainTo(inFlight: number): Promise<void> {
    while (this.pending.length > inFlight) await this.pending.shift();
  }

  /** Waits for every file, ignoring failures (before the writers delete what was stored). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.pending);
    this.pending = [];
  }
}
