/**
 * The scan of one chunk of order records (a Bronze part or a slice of one), on a worker thread or
 * in-process; scanPass.ts coordinates the chunks of a build. Stateless, so chunks can be scanned
 * on several threads at once. Each record is validated, normalised and rule-classified;
 * invalid records come back for quarantine, and every well-formed line goes, by order month, into a
 * spill file (monthSpill.ts) the second pass reads month by month. Memory holds one chunk, whatever the input size.
 */
import { parseBronzePart, parseNdjsonText } from '../bronze/reader';
import type { BronzeFormat } from '../bronze/manifest';
import { LineBatchBuilder, lineKind, type LineBatch } from './lineBatch';
import { writeMonthSpills } from './monthSpill';
import { classifyRecord } from './orderLineCleanser';
import type { FieldBounds } from '../validation/fields';
import { dayNumber } from './orderRecord';
import { rawText } from './rawText';
import { ruleSetFromJson, type CompiledRule } from './ruleSet';

/** An invalid record, ready for the quarantine table (run id and rule set are added by the caller). */
export interface InvalidRecord {
  sourcePath: string;
  recordIndex: number;
  reason: string;
  detail: string;
  raw: string;
}

export interface MonthCounts {
  demand: number;
  cancellation: number;
  rejected: number;
}

export interface ScanSummary {
  read: number;
  invalid: InvalidRecord[];
  /** Lines per order month, by kind (before de-duplication). */
  months: Record<string, MonthCounts>;
  /** First and last day number of each SKU's demand lines. */
  skuRanges: Record<string, [number, number]>;
}

export class OrderScanner {
  private readonly batches = new Map<string, LineBatchBuilder>();
  private readonly summary: ScanSummary = { read: 0, invalid: [], months: {}, skuRanges: {} };

  constructor(
    private readonly rules: readonly CompiledRule[],
    private readonly bounds?: Readonly<FieldBounds>,
  ) {}

  add(record: unknown, recordIndex: number, sourcePath: string): void {
    this.summary.read += 1;
    const verdict = classifyRecord(record, this.rules, this.bounds);
    if (verdict.kind === 'invalid') {
      this.summary.invalid.push({ sourcePath, recordIndex, reason: verdict.reason, detail: verdict.detail, raw: rawText(record) });
      return;
    }
    const line = verdict.line;
    const month = line.orderDate.slice(0, 7);
    let batch = this.batches.get(month);
    if (!batch) this.batches.set(month, (batch = new LineBatchBuilder(month)));
    let counts = this.summary.months[month];
    if (!counts) this.summary.months[month] = counts = { demand: 0, cancellation: 0, rejected: 0 };
    if (verdict.kind === 'rejected') {
      counts.rejected += 1;
      batch.add(line, lineKind.quarantine, sourcePath, recordIndex, {
        reason: verdict.reason,
        detail: verdict.detail,
        raw: rawText(record),
      });
      return;
    }
    if (verdict.kind === 'cancellation') {
      counts.cancellation += 1;
      batch.add(line, lineKind.cancellation, sourcePath, recordIndex);
      return;
    }
    counts.demand += 1;
    batch.add(line, lineKind.demand, sourcePath, recordIndex);
    const day = dayNumber(line.orderDate);
    const range = this.summary.skuRanges[line.sku];
    if (!range) this.summary.skuRanges[line.sku] = [day, day];
    else {
      if (day < range[0]) range[0] = day;
      if (day > range[1]) range[1] = day;
    }
  }

  /** The month batches, in month order, and what was seen. */
  finish(): { batches: LineBatch[]; summary: ScanSummary } {
    const batches = [...this.batches.keys()].sort().map((m) => (this.batches.get(m) as LineBatchBuilder).build());
    return { batches, summary: this.summary };
  }
}

/** Writes a scanned chunk's month batches as spill files (layout: monthSpill.ts). */
export function writeSpills(spillDir: string, seq: number, batches: readonly LineBatch[]): void {
  writeMonthSpills(spillDir, seq, batches);
}

export interface ScanPartTask {
  /** The gzipped Bronze data part, or (`firstIndex` given) a decompressed NDJSON chunk of it. */
  bytes: Uint8Array;
  /** Record index of the chunk's first record in its part; absent for a whole gzipped part. */
  firstIndex?: number;
  format: BronzeFormat;
  sourcePath: string;
  seq: number;
  spillDir: string;
  /** The rule set document (compiled again in the worker: functions do not cross threads). */
  ruleSetJson: unknown;
  /** Field bounds (plain data: crosses threads as it is). */
  bounds?: FieldBounds;
}

const compiledRuleSets = new Map<string, CompiledRule[]>();

/** Scans one Bronze part (or NDJSON chunk of one) into spill files (on a worker thread, or in-process). */
export function scanBronzePart(task: ScanPartTask): ScanSummary {
  const key = JSON.stringify(task.ruleSetJson);
  let rules = compiledRuleSets.get(key);
  if (!rules) compiledRuleSets.set(key, (rules = ruleSetFromJson(task.ruleSetJson).rules));
  const scanner = new OrderScanner(rules, task.bounds);
  const records =
    task.firstIndex === undefined
      ? parseBronzePart(task.bytes, task.format, task.sourcePath)
      : parseNdjsonText(
          Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength).toString('utf8'),
          task.sourcePath,
          task.firstIndex,
        );
  for (const rec of records) scanner.add(rec.record, rec.index, rec.sourcePath);
  const { batches, summary } = scanner.finish();
  writeSpills(task.spillDir, task.seq, batches);
  return summary;
}
