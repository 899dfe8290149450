/**
 * The run history port and its embedded adapter. In Azure the Durable instance store is the
 * history (src/functions adapts its client); locally the host journals each top-level
 * orchestration into the tables store, so `demand runs` and GET /api/runs work the same way.
 */
import type { EntityStore, EntityTable } from '../tables/entityStore';
import type { RunRecord } from './runRecord';

export interface RunListOptions {
  /** Newest first; default 20. */
  limit?: number;
  abortSignal?: AbortSignal;
}

export interface RunHistory {
  list(options?: RunListOptions): Promise<RunRecord[]>;
  get(runId: string, options?: { abortSignal?: AbortSignal }): Promise<RunRecord | undefined>;
}

export const runJournalTableName = 'runJournal';
const partition = 'run';
export const defaultRunListLimit = 20;

/** Sorts newest first by start time, then by id (stable output for equal times). */
export function newestFirst(records: RunRecord[]): RunRecord[] {
  return records.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.runId.localeCompare(a.runId));
}

export class RunJournal implements RunHistory {
  private constructor(private readonly table: EntityTable) {}

  static async fromEntities(entities: EntityStore): Promise<RunJournal> {
    return new RunJournal(await entities.table(runJournalTableName));
  }

  /** Records (or updates) a run: called when it starts and when it ends. */
  async record(run: RunRecord, options: { abortSignal?: AbortSignal } = {}): Promise<void> {
    await this.table.upsert(
      { partitionKey: partition, rowKey: run.runId, startedAt: run.startedAt, status: run.status, record: JSON.stringify(run) },
      options.abortSignal ? { abortSignal: options.abortSignal } : {},
    );
  }

  async list(options: RunListOptions = {}): Promise<RunRecord[]> {
    const out: RunRecord[] = [];
    for await (const row of this.table.list({
      partitionKey: partition,
      ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
    })) {
      out.push(JSON.parse(String(row['record'])) as RunRecord);
    }
    return newestFirst(out).slice(0, options.limit ?? defaultRunListLimit);
  }

  async get(runId: string, options: { abortSignal?: AbortSignal } = {}): Promise<RunRecord | undefined> {
    const found = await this.table.get(partition, runId, options);
    return found ? (JSON.parse(String(found.entity['record'])) as RunRecord) : undefined;
  }
}
