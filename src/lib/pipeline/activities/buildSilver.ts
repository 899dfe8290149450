/**
 * Activity: Bronze → Silver for one run. Hands the run's Bronze order parts (scanned on worker
 * threads when large) and inventory records to the Silver build (cleansing rules, order lines, cancellations, quarantine, products,
 * daily demand for the affected months). Re-running the same run id changes nothing.
 */
import { readBronzeRecords, readManifest } from '../../bronze/reader';
import { assessQuarantine } from '../../quality/quarantineGate';
import { ruleSetByName } from '../../silver/ruleSet';
import { resolveOrdersSource } from '../../sources/ordersSource';
import { buildSilverTables, type InventorySourceRecord, type SilverBuildResult } from '../../silver/silverBuild';
import type { BuildSilverInput, PipelineServices } from '../contracts';

async function* inventoryOf(input: BuildSilverInput, services: PipelineServices): AsyncIterable<InventorySourceRecord> {
  const signal = services.abortSignal ? { abortSignal: services.abortSignal } : {};
  for (const manifestPath of input.inventoryManifests) {
    const manifest = await readManifest(services.lake, manifestPath, signal);
    for await (const rec of readBronzeRecords(services.lake, manifestPath, signal)) {
      yield { ...rec, sourceFile: manifest.sourceFile ?? rec.sourcePath };
    }
  }
}

export async function buildSilver(input: BuildSilverInput, services: PipelineServices): Promise<Omit<SilverBuildResult, 'quarantineExamples'>> {
  const expected = await Promise.all(
    input.orderManifests.map(async (m) => (await readManifest(services.lake, m, services.abortSignal ? { abortSignal: services.abortSignal } : {})).records),
  );
  // The rule set belongs to the source: invoice-prefix rules for online-retail only.
  const source = await resolveOrdersSource(services.settings);
  const result = await buildSilverTables(services.lake, {
    runId: input.runId,
    ruleSet: ruleSetByName(source.ruleSet),
    orderParts: input.orderManifests,
    ...(services.settings.DEMAND_SILVER_WORKERS > 0 ? { workers: services.settings.DEMAND_SILVER_WORKERS } : {}),
    ...(services.settings.DEMAND_SCRATCH_DIR ? { scratchDir: services.settings.DEMAND_SCRATCH_DIR } : {}),
    inventory: inventoryOf(input, services),
    expectedLines: expected.reduce((a, b) => a + b, 0),
    log: services.log,
    ...(services.progress ? { progress: services.progress } : {}),
    ...(services.abortSignal ? { abortSignal: services.abortSignal } : {}),
  });
  const { quarantineExamples, ...output } = result;
  const quality = assessQuarantine(
    { records: result.orderLinesRead, quarantined: result.orderQuarantined, reasons: result.quarantineReasons, examples: quarantineExamples },
    { maxShare: services.settings.DEMAND_QUARANTINE_MAX_SHARE, warnShare: services.settings.DEMAND_QUARANTINE_WARN_SHARE },
  );
  services.log(
    `buildSilver ${input.runId}: kept ${result.orderLinesKept} lines (${result.unitsKept} units), ${result.cancellations} cancellations, ` +
      `${result.quarantined} quarantined, ${result.redelivered} redelivered, daily_demand ${result.dailyDemandRows} rows for ${result.affectedFrom ?? '-'}..${result.affectedTo ?? '-'}`,
  );
  // Examples stay out of the orchestration history (only the verdict's short sentences travel).
  return { ...output, quality };
}
