/**
 * The `files` kind of orders source: exported files (CSV, NDJSON, Parquet, optionally gzipped)
 * landed in a lake folder (Data Factory copies them there). Each readable file becomes one Bronze
 * part of canonical lines (and unmapped records, quarantined by Silver with their reason) with a
 * manifest naming the file, then moves to processed/; an unreadable file moves to rejected/ with a
 * `<name>.reason.txt`, exactly as inventory files do. The original bytes stay in processed/.
 */
import type { LakeStore } from '../../lake/lakeStore';
import type { IngestOrdersOutput } from '../../ingest/ingestOutputs';
import type { ReasonCounts } from '../../quality/reasonCounts';
import { addReasons, mergeReasons } from '../../ingest/orderRecord';
import type { FilesSourceDefinition } from '../definition';
import type { FieldBounds } from '../../validation/fields';
import { bronzeRecordFactsWith, createRecordMapper } from '../recordMapper';
import { landedFilesRun } from './landedFilesRun';

export { landedFiles } from './landedFilesRun';

export interface OrderFilesIngestionOptions {
  source: string;
  definition: FilesSourceDefinition;
  shopTimeZone: string;
  runId: string;
  runDate: string;
  lake: LakeStore;
  abortSignal?: AbortSignal;
  log?: (message: string) => void;
  now?: () => Date;
  /** DEMAND_MAX_* / DEMAND_EARLIEST_DATE bounds the manifest's problem counts use. */
  fieldBounds?: Readonly<FieldBounds>;
}

export interface OrderFilesOutput extends IngestOrdersOutput {
  filesFound: number;
  filesRejected: number;
  rejected: Array<{ file: string; reason: string }>;
}

export async function ingestOrderFiles(options: OrderFilesIngestionOptions): Promise<OrderFilesOutput> {
  const { definition, source } = options;
  const mapper = createRecordMapper(definition, options.shopTimeZone);
  const bronzeRecordFacts = bronzeRecordFactsWith({
    ...(options.fieldBounds ? { bounds: options.fieldBounds } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const run = await landedFilesRun({
    source,
    runId: options.runId,
    runDate: options.runDate,
    lake: options.lake,
    folder: definition.folder,
    ...(definition.format ? { format: definition.format } : {}),
    ...(definition.delimiter ? { delimiter: definition.delimiter } : {}),
    ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.now ? { now: options.now } : {}),
    mapRecords: (records) => {
      const lines: string[] = [];
      const problems: ReasonCounts = {};
      let quantitySum = 0;
      for (const raw of records) {
        for (const record of mapper.map(raw)) {
          lines.push(JSON.stringify(record));
          const facts = bronzeRecordFacts(record);
          addReasons(problems, facts.problems);
          quantitySum += facts.quantity ?? 0;
        }
      }
      return { lines, problems, quantitySum };
    },
  });
  const output: OrderFilesOutput = {
    source,
    pages: run.parts.length,
    records: 0,
    quantitySum: 0,
    batches: run.parts.map((p) => p.ref),
    problems: {},
    watermarkBefore: null,
    watermarkAfter: null,
    filesFound: run.filesFound,
    filesRejected: run.filesRejected,
    rejected: run.rejected,
  };
  for (const p of run.parts) {
    output.records += p.manifest.records;
    output.quantitySum += p.manifest.quantitySum;
    mergeReasons(output.problems, p.manifest.problems);
  }
  options.log?.(
    `orders "${source}": ${output.filesFound} file(s) in ${definition.folder}, ${run.parts.length} ingested, ${output.filesRejected} rejected, ${output.records} line(s)`,
  );
  return output;
}
