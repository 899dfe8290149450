/**
 * Activity: Bronze → Silver. Silver applies every committed Bronze batch that no Silver build has
 * applied yet, whichever run ingested it (the apply ledger, silver/_ledger): first it finishes any
 * build a killed run left half done (under that build's apply id, so its commits are idempotent),
 * then it applies the batches still pending (this run's and those of runs killed after ingesting)
 * under this run's id. Order parts are scanned on worker threads when large. Re-running the same
 * run id changes nothing: a finished apply's result is read back from its done record.
 */
import { readBronzeRecords, readManifest } from '../lib/bronze/reader';
import { assessQuarantine } from '../lib/quality/quarantineGate';
import { SilverApplyLedger, type SilverApplyIntent } from '../lib/silver/applyLedger';
import { ruleSetByName, type RuleSet } from '../lib/silver/ruleSet';
import { resolveOrdersSource } from '../lib/sources/ordersSource';
import { buildSilverTables, type InventorySourceRecord, type SilverBuildResult } from '../lib/silver/silverBuild';
import { DeltaTable } from '../lib/delta/deltaTable';
import { crashPoint } from '../lib/testing/crashPoints';
import { fieldBoundsFromSettings } from '../lib/validation/fields';
import { lakeTables } from '../lib/lakeTables';
import { asOnlyWriter } from './writerStage';
import type { BuildSilverInput } from '../contracts/messages';
import type { PipelineServices } from '../lib/pipelineServices';
import { signalOf } from '../lib/pipelineServices';

async function* inventoryOf(manifests: readonly string[], services: PipelineServices): AsyncIterable<InventorySourceRecord> {
  const signal = signalOf(services);
  for (const manifestPath of manifests) {
    const manifest = await readManifest(services.lake, manifestPath, signal);
    for await (const rec of readBronzeRecords(services.lake, manifestPath, signal)) {
      yield { ...rec, sourceFile: manifest.sourceFile ?? rec.sourcePath };
    }
  }
}

async function applyIntent(intent: SilverApplyIntent, services: PipelineServices, ruleSet: RuleSet): Promise<SilverBuildResult> {
  const signal = signalOf(services);
  const expected = await Promise.all(intent.orderManifests.map(async (m) => (await readManifest(services.lake, m, signal)).records));
  const result = await buildSilverTables(services.lake, {
    runId: intent.applyId,
    ruleSet,
    orderParts: intent.orderManifests,
    ...(services.settings.DEMAND_SILVER_WORKERS !== 'auto' ? { workers: services.settings.DEMAND_SILVER_WORKERS } : {}),
    ...(services.settings.DEMAND_SILVER_MAX_WORKERS !== undefined ? { maxWorkers: services.settings.DEMAND_SILVER_MAX_WORKERS } : {}),
    ...(services.settings.DEMAND_SCRATCH_DIR ? { scratchDir: services.settings.DEMAND_SCRATCH_DIR } : {}),
    inventory: inventoryOf(intent.inventoryManifests, services),
    fieldBounds: fieldBoundsFromSettings(services.settings),
    expectedLines: expected.reduce((a, b) => a + b, 0),
    log: services.log,
    ...(services.progress ? { progress: services.progress } : {}),
    ...signal,
  });
  services.log(
    `buildSilver ${intent.applyId}: kept ${result.orderLinesKept} lines (${result.unitsKept} units), ${result.cancellations} cancellations, ` +
      `${result.quarantined} quarantined, ${result.redelivered} redelivered, daily_demand ${result.dailyDemandRows} rows for ${result.affectedFrom ?? '-'}..${result.affectedTo ?? '-'}`,
  );
  return result;
}

type BuildSilverResult = Omit<SilverBuildResult, 'quarantineExamples'> & { quality: ReturnType<typeof assessQuarantine> };

export async function buildSilver(input: BuildSilverInput, services: PipelineServices): Promise<BuildSilverResult> {
  return asOnlyWriter(services, input.runId, 'buildSilver', () => buildSilverLocked(input, services));
}

async function buildSilverLocked(input: BuildSilverInput, services: PipelineServices): Promise<BuildSilverResult> {
  const signal = signalOf(services);
  // The rule set belongs to the source: invoice-prefix rules for online-retail only.
  const ruleSet = ruleSetByName((await resolveOrdersSource(services.settings)).ruleSet);
  const ledger = await SilverApplyLedger.load(services.lake, signal);
  await adoptLegacyLake(ledger, input, services);
  const results: SilverBuildResult[] = [];
  for (const intent of ledger.unfinished()) {
    if (intent.applyId !== input.runId)
      services.log(
        `buildSilver: finishing Silver apply ${intent.applyId} that run ${intent.runId} left unfinished (${intent.orderManifests.length} order and ${intent.inventoryManifests.length} inventory batch(es))`,
      );
    const result = await applyIntent(intent, services, ruleSet);
    await ledger.finish(intent.applyId, result, signal);
    crashPoint('silver:apply-done');
    results.push(result);
  }
  const pending = await ledger.pending(signal);
  const own = ledger.get(input.runId);
  const missing = [...input.orderManifests, ...input.inventoryManifests].filter(
    (m) => !pending.orderManifests.includes(m) && !pending.inventoryManifests.includes(m) && !isApplied(ledger, m),
  );
  if (missing.length > 0)
    services.log(
      `buildSilver ${input.runId}: ${missing.length} batch(es) of the input are not committed Bronze batches (ignored): ${missing.slice(0, 3).join(', ')}`,
    );
  const foreign =
    pending.orderManifests.length +
    pending.inventoryManifests.length -
    [...input.orderManifests, ...input.inventoryManifests].filter(
      (m) => pending.orderManifests.includes(m) || pending.inventoryManifests.includes(m),
    ).length;
  if (foreign > 0)
    services.log(
      `buildSilver ${input.runId}: also applies ${foreign} Bronze batch(es) that earlier runs committed but no Silver build applied`,
    );
  if (!own || pending.orderManifests.length + pending.inventoryManifests.length > 0) {
    const intent: SilverApplyIntent = {
      applyId: ledger.freeApplyId(input.runId),
      runId: input.runId,
      createdAt: new Date().toISOString(),
      ...pending,
    };
    await ledger.begin(intent, signal);
    crashPoint('silver:intent-written');
    const result = await applyIntent(intent, services, ruleSet);
    await ledger.finish(intent.applyId, result, signal);
    crashPoint('silver:apply-done');
    results.push(result);
  } else if (own.done && results.length === 0) {
    results.push(own.done);
  }
  const merged = mergeResults(results);
  const { quarantineExamples, ...output } = merged;
  const quality = assessQuarantine(
    {
      records: merged.orderLinesRead,
      quarantined: merged.orderQuarantined,
      reasons: merged.quarantineReasons,
      examples: quarantineExamples,
    },
    { maxShare: services.settings.DEMAND_QUARANTINE_MAX_SHARE, warnShare: services.settings.DEMAND_QUARANTINE_WARN_SHARE },
  );
  // Examples stay out of the orchestration history (only the verdict's short sentences travel).
  return { ...output, quality };
}

/**
 * A lake whose Silver was built before the apply ledger existed: every committed Bronze batch but
 * this run's is taken as applied (a baseline record), so the first run does not re-read all history.
 */
async function adoptLegacyLake(ledger: SilverApplyLedger, input: BuildSilverInput, services: PipelineServices): Promise<void> {
  const signal = signalOf(services);
  if (!ledger.isEmpty() || (await DeltaTable.forPath(services.lake, lakeTables.order_lines.path).version(signal)) < 0) return;
  const own = new Set([...input.orderManifests, ...input.inventoryManifests]);
  const pending = await ledger.pending(signal);
  const baseline: SilverApplyIntent = {
    applyId: 'baseline',
    runId: input.runId,
    createdAt: new Date(0).toISOString(),
    orderManifests: pending.orderManifests.filter((m) => !own.has(m)),
    inventoryManifests: pending.inventoryManifests.filter((m) => !own.has(m)),
  };
  await ledger.begin(baseline, signal);
  await ledger.finish('baseline', { ...emptyResult(), tableVersions: {} }, signal);
  services.log(
    `buildSilver: Silver was built before the apply ledger; ${baseline.orderManifests.length + baseline.inventoryManifests.length} earlier Bronze batch(es) recorded as applied (silver/_ledger/baseline)`,
  );
}

function emptyResult(): SilverBuildResult {
  return {
    orderLinesRead: 0,
    orderLinesKept: 0,
    unitsKept: 0,
    cancellations: 0,
    quarantined: 0,
    quarantineReasons: {},
    inventoryRows: 0,
    skus: 0,
    dailyDemandRows: 0,
    affectedFrom: null,
    affectedTo: null,
    tableVersions: {},
    ruleSetVersion: '',
    redelivered: 0,
    nettedLines: 0,
    nettedUnits: 0,
    orderQuarantined: 0,
    quarantineExamples: {},
  };
}

function isApplied(ledger: SilverApplyLedger, manifest: string): boolean {
  return ledger.applied().has(manifest);
}

/** One output for the run: counts added up, the table versions of the last build (the newest). */
export function mergeResults(results: readonly SilverBuildResult[]): SilverBuildResult {
  const last = results.at(-1);
  if (!last) throw new Error('buildSilver: no Silver build result');
  const out: SilverBuildResult = { ...last, quarantineReasons: {}, quarantineExamples: {}, tableVersions: { ...last.tableVersions } };
  const counted = [
    'orderLinesRead',
    'orderLinesKept',
    'unitsKept',
    'cancellations',
    'quarantined',
    'orderQuarantined',
    'inventoryRows',
    'dailyDemandRows',
    'redelivered',
    'nettedLines',
    'nettedUnits',
  ] as const;
  for (const r of results)
    for (const [reason, example] of Object.entries(r.quarantineExamples ?? {})) out.quarantineExamples[reason] ??= example;
  for (const k of counted) out[k] = results.reduce((a, r) => a + r[k], 0);
  for (const r of results)
    for (const [reason, n] of Object.entries(r.quarantineReasons)) out.quarantineReasons[reason] = (out.quarantineReasons[reason] ?? 0) + n;
  const froms = results
    .map((r) => r.affectedFrom)
    .filter((d): d is string => d !== null)
    .sort();
  const tos = results
    .map((r) => r.affectedTo)
    .filter((d): d is string => d !== null)
    .sort();
  out.affectedFrom = froms[0] ?? null;
  out.affectedTo = tos.at(-1) ?? null;
  return out;
}
