/**
 * The durable side of warm start (forecast/warmStart.ts): each forecast batch writes the choice it
 * made per SKU to `gold/_selections/<runId>/<batchId>.json`; the next run's plan reads the records
 * of the runs whose forecasts are in effect (the latest completed full run and the completed
 * re-forecasts after it) and tells each SKU's forecast whether it may re-use its choice.
 *
 * Only runs with a completion record count (gold/_completed_runs): a run killed or failed after
 * some batches wrote their records never completed, so its choices are never re-used.
 */
import { z } from 'zod';
import { openLakeTable, readOrEmpty } from '../delta';
import { lakePath, type LakeStore } from '../lake/lakeStore';
import { completedRuns } from '../publish/runCompletions';
import type { PipelineServices } from '../pipelineServices';
import { lakeTables } from '../lakeTables';
import { signalOf } from '../pipelineServices';

export const selectionsFolder = 'gold/_selections';

export const selectionRecordSchema = z.object({
  sku: z.string(),
  /** The chosen model or combination. */
  model: z.string(),
  profileKey: z.string(),
  /** Forecast origin (YYYY-MM-DD) of the run whose full selection made this choice. */
  selectedOn: z.string(),
  mode: z.enum(['full', 'warm']),
});
export type SelectionRecord = z.infer<typeof selectionRecordSchema>;
const selectionFileSchema = z.object({ runId: z.string(), batchId: z.string(), records: z.array(selectionRecordSchema) });

export function selectionRecordPath(runId: string, batchId: string): string {
  return lakePath(selectionsFolder, encodeURIComponent(runId), `${batchId}.json`);
}

type Ops = { abortSignal?: AbortSignal };

/** Overwrites the batch's file: a retried batch makes the same choices (the engine is deterministic). */
export async function writeSelectionRecords(
  lake: LakeStore,
  runId: string,
  batchId: string,
  records: readonly SelectionRecord[],
  ops: Ops = {},
): Promise<void> {
  await lake.put(selectionRecordPath(runId, batchId), Buffer.from(JSON.stringify({ runId, batchId, records })), ops);
}

async function* runRecords(lake: LakeStore, runId: string, ops: Ops): AsyncIterable<SelectionRecord> {
  const files: string[] = [];
  for await (const entry of lake.list(lakePath(selectionsFolder, encodeURIComponent(runId)), { recursive: false, ...ops }))
    if (entry.path.endsWith('.json')) files.push(entry.path);
  for (const file of files.sort()) {
    const parsed = selectionFileSchema.safeParse(JSON.parse((await lake.read(file, ops)).toString('utf8')));
    // A file this build cannot read is no reason to fail the run: those SKUs select in full.
    if (parsed.success) yield* parsed.data.records;
  }
}

/** A row of the forecast run index (finalizeForecast's entity table). */
export interface IndexedRun {
  runId: string;
  trigger: string;
  startedAt: string;
}

/**
 * The completed runs whose choices are in effect, oldest first (later records win): the latest
 * completed full production run and the completed partial re-forecasts started after it.
 * Challenger runs never count; neither does any run without a completion record.
 */
export async function warmStartSourceRuns(
  services: PipelineServices,
  currentRunId: string,
  index: readonly IndexedRun[],
  partialTriggers: readonly string[],
): Promise<string[]> {
  const completed = await completedRuns(services.lake, signalOf(services));
  if (!completed || completed.size === 0) return [];
  const runs = index
    .filter((r) => r.runId !== currentRunId && r.trigger !== 'challenger' && completed.has(r.runId))
    .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
  const latestFull = runs.filter((r) => !partialTriggers.includes(r.trigger)).at(-1);
  if (!latestFull) return [];
  return runs
    .filter((r) => r.runId === latestFull.runId || (partialTriggers.includes(r.trigger) && r.startedAt >= latestFull.startedAt))
    .map((r) => r.runId);
}

/** SKUs a drift check of these runs flagged: they select in full. */
async function driftFlaggedSkus(services: PipelineServices, runIds: readonly string[]): Promise<Set<string>> {
  const wanted = new Set(runIds);
  const rows = await readOrEmpty(() =>
    openLakeTable(services.lake, lakeTables.drift_events).readAll({
      columns: ['run_id', 'sku'],
      partitionFilter: (p) => wanted.has(p['run_id'] ?? ''),
      ...signalOf(services),
    }),
  );
  return new Set(rows.map((r) => r['sku']).filter((s): s is string => typeof s === 'string' && s.length > 0));
}

export interface WarmStartBook {
  /** Runs the records came from (oldest first). */
  sourceRuns: string[];
  records: Map<string, SelectionRecord>;
  driftFlagged: Set<string>;
}

/** Reads the in-effect runs' choices for `wanted` SKUs (all when absent). */
export async function loadWarmStartBook(
  services: PipelineServices,
  sourceRuns: readonly string[],
  wanted?: (sku: string) => boolean,
): Promise<WarmStartBook> {
  const ops = signalOf(services);
  const records = new Map<string, SelectionRecord>();
  for (const runId of sourceRuns)
    for await (const r of runRecords(services.lake, runId, ops)) if (!wanted || wanted(r.sku)) records.set(r.sku, r);
  return {
    sourceRuns: [...sourceRuns],
    records,
    driftFlagged: sourceRuns.length ? await driftFlaggedSkus(services, sourceRuns) : new Set(),
  };
}

const dayMs = 86_400_000;
const dayNumberOf = (date: string): number => Math.round(Date.parse(`${date}T00:00:00Z`) / dayMs);

/** A stable spread of SKUs over the days of the schedule (FNV-1a). */
function skuSlot(sku: string, everyDays: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < sku.length; i++) h = Math.imul(h ^ sku.charCodeAt(i), 0x01000193) >>> 0;
  return h % everyDays;
}

/**
 * Whether a SKU's forecast on `originDate` may re-use its record: not when there is none, drift
 * flagged it, it was made on this same origin, or its full selection is due. Full selection is due once the choice is `everyDays`
 * old, and on the SKU's own day of the schedule (a stable hash), so about 1/everyDays of the fleet
 * re-selects each day instead of all of it on one day. everyDays 0 turns warm start off.
 */
export function warmStartFor(
  book: WarmStartBook,
  sku: string,
  originDate: string,
  everyDays: number,
): { model: string; profileKey: string; selectedOn: string } | undefined {
  const record = book.records.get(sku);
  if (!record || everyDays <= 0 || book.driftFlagged.has(sku)) return undefined;
  const today = dayNumberOf(originDate);
  const age = today - dayNumberOf(record.selectedOn);
  // Same origin as the record (a re-run of the same day): full selection, so a re-run after a crash
  // equals the run it replaces instead of depending on whether that run got to complete.
  if (!(age >= 1) || age >= everyDays) return undefined;
  if ((today + skuSlot(sku, everyDays)) % everyDays === 0) return undefined;
  return { model: record.model, profileKey: record.profileKey, selectedOn: record.selectedOn };
}
