/**
 * Where a Silver build sends what it cannot use: rows streamed into the quarantine table as they
 * come (one commit at the end), counted by reason with one example each for the run's data-quality
 * verdict. A record quarantined once is not quarantined again when it comes again (an overlap
 * window, a batch a killed run ingested and the next run fetched anew): same source, reason and raw text.
 */
import type { DeltaTable } from '../delta/deltaTable';
import type { DeltaWriteResult } from '../delta/types';
import type { ReasonCounts } from '../quality/reasonCounts';
import { lakeTables } from '../lakeTables';
import { FingerprintSet } from './fingerprintSet';
import { RowChannel } from './rowChannel';
import type { RuleSet } from './ruleSet';
import { silverWriteOptions } from './silverTables';

/** Where a quarantined record came from. */
export interface QuarantinedAt {
  index: number;
  sourcePath: string;
}

type WriteOutcome = { ok: true; result: DeltaWriteResult } | { ok: false; error: unknown };

const quarantineKey = (source: string, reason: string, raw: string): string => `${source}\u0001${reason}\u0001${raw}`;

export class QuarantineSink {
  readonly reasons: ReasonCounts = {};
  readonly examples: Record<string, { detail: string; raw: string }> = {};
  /** Order records quarantined (inventory rows not counted). */
  orderQuarantined = 0;
  private readonly channel = new RowChannel();
  private readonly write: Promise<WriteOutcome>;

  private constructor(
    table: DeltaTable,
    private readonly before: FingerprintSet,
    private readonly runId: string,
    private readonly ruleSet: RuleSet,
    abortSignal: AbortSignal | undefined,
  ) {
    this.write = this.startWrite(table, abortSignal);
  }

  /** Reads what earlier runs quarantined, then starts the streamed write of this run's rows. */
  static async open(table: DeltaTable, runId: string, ruleSet: RuleSet, abortSignal?: AbortSignal): Promise<QuarantineSink> {
    const signal = abortSignal ? { abortSignal } : {};
    const before = FingerprintSet.withCapacity(1024);
    const state = await table.stateIfExists(signal);
    if (state) {
      for await (const row of table.read({ state, columns: ['run_id', 'source', 'reason', 'raw'], ...signal })) {
        if (row.run_id !== runId) before.add(quarantineKey(String(row.source), String(row.reason), String(row.raw)));
      }
    }
    return new QuarantineSink(table, before, runId, ruleSet, abortSignal);
  }

  /** Records quarantined by this run. */
  get total(): number {
    return Object.values(this.reasons).reduce((a, b) => a + b, 0);
  }

  async add(source: string, at: QuarantinedAt, reason: string, detail: string, raw: string): Promise<void> {
    if (!this.before.add(quarantineKey(source, reason, raw))) return;
    this.reasons[reason] = (this.reasons[reason] ?? 0) + 1;
    if (source === 'orders') this.orderQuarantined++;
    // One example per reason for the run's data-quality verdict (the table holds them all).
    this.examples[reason] ??= { detail, raw: raw.length > 300 ? `${raw.slice(0, 300)}…` : raw };
    await this.channel.push({
      run_id: this.runId,
      source,
      source_path: at.sourcePath,
      record_index: at.index,
      reason,
      detail,
      raw,
      rule_set_version: this.ruleSet.versionTag,
    });
  }

  /** Ends the stream: the write commits once every row is in. */
  close(): void {
    this.channel.close();
  }

  /** The quarantine commit's version (after close()); its failure is thrown here. */
  async committed(): Promise<number> {
    const outcome = await this.write;
    if (!outcome.ok) throw outcome.error;
    return outcome.result.version;
  }

  /** Fails the stream (nothing is committed) and waits until the write has stopped. */
  async abandon(err: unknown): Promise<void> {
    this.channel.fail(err);
    await this.write;
  }

  /** Starts the streamed write; its outcome is settled so a failure reaches the producer, not the process. */
  private startWrite(table: DeltaTable, abortSignal: AbortSignal | undefined): Promise<WriteOutcome> {
    return table.write(this.channel, silverWriteOptions(lakeTables.quarantine, this.runId, 'append', abortSignal)).then(
      (result) => {
        this.channel.detach();
        return { ok: true as const, result };
      },
      (error: unknown) => {
        this.channel.fail(error);
        return { ok: false as const, error };
      },
    );
  }
}
