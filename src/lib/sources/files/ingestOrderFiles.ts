/**
 * The `files` kind of orders source: exported files (CSV, NDJSON, Parquet, optionally gzipped)
 * landed in a lake folder (Data Factory copies them there). Each readable file becomes one Bronze
 * part of canonical lines (and unmapped records, quarantined by Silver with their reason) with a
 * manifest naming the file, then moves to processed/; an unreadable file moves to rejected/ with a
 * `<name>.reason.txt`, exactly as inventory files do. The original bytes stay in processed/.
 */
import type { LakeStore } from '../../lake/lakeStore';
import type { BronzeBatchRef, IngestOrdersOutput } from '../../pipeline/contracts';
import { dataPathOf, type BronzeManifest } from '../../bronze/manifest';
import { bronzeRunFolder } from '../../bronze/paths';
import { listBronzeManifests, readManifest } from '../../bronze/reader';
import { writeBronzePart } from '../../bronze/writer';
import { addReasons, mergeReasons } from '../../ingest/orderRecord';
import type { FilesSourceDefinition } from '../definition';
import { bronzeRecordFacts, createRecordMapper } from '../recordMapper';
import { readSourceFile, sourceFileFormatOf } from './sourceFile';

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
}

export interface OrderFilesOutput extends IngestOrdersOutput {
  filesFound: number;
  filesRejected: number;
  rejected: Array<{ file: string; reason: string }>;
}

async function freeTarget(lake: LakeStore, folder: string, name: string, runId: string, ops: { abortSignal?: AbortSignal }): Promise<string> {
  const target = `${folder}/${name}`;
  return (await lake.exists(target, ops)) ? `${folder}/${runId}-${name}` : target;
}

/** The landing files of a folder, in name order (hidden and `_` files, processed/ and rejected/ skipped). */
export async function landedFiles(lake: LakeStore, folder: string, ops: { abortSignal?: AbortSignal } = {}): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of lake.list(folder, { recursive: false, ...ops })) {
    const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
    if (!name.startsWith('.') && !name.startsWith('_')) files.push(entry.path);
  }
  return files.sort();
}

export async function ingestOrderFiles(options: OrderFilesIngestionOptions): Promise<OrderFilesOutput> {
  const { lake, runId, source, definition, abortSignal } = options;
  const ops = abortSignal ? { abortSignal } : {};
  const log = options.log ?? (() => undefined);
  const landing = definition.folder.replace(/\/+$/, '');
  const folder = bronzeRunFolder(source, options.runDate, runId);
  const mapper = createRecordMapper(definition, options.shopTimeZone);

  // Parts an earlier attempt of this run committed (their files may already be in processed/).
  const bySourceFile = new Map<string, BronzeManifest>();
  const runParts = new Map<number, { ref: BronzeBatchRef; manifest: BronzeManifest }>();
  let nextPart = 0;
  for (const manifestPath of await listBronzeManifests(lake, source, runId, { ingestDate: options.runDate, ...ops })) {
    const manifest = await readManifest(lake, manifestPath, ops);
    if (manifest.sourceFile) bySourceFile.set(manifest.sourceFile, manifest);
    runParts.set(manifest.part, { ref: { path: dataPathOf(manifestPath, manifest.format), manifestPath, records: manifest.records }, manifest });
    nextPart = Math.max(nextPart, manifest.part + 1);
  }

  const files = await landedFiles(lake, landing, ops);
  const output: OrderFilesOutput = {
    source,
    pages: 0,
    records: 0,
    quantitySum: 0,
    batches: [],
    problems: {},
    watermarkBefore: null,
    watermarkAfter: null,
    filesFound: files.length + [...bySourceFile.keys()].filter((f) => !files.includes(f)).length,
    filesRejected: 0,
    rejected: [],
  };
  for (const file of files) {
    abortSignal?.throwIfAborted();
    const name = file.slice(file.lastIndexOf('/') + 1);
    const announced = sourceFileFormatOf(name);
    const format = definition.format ?? announced?.format;
    const bytes = await lake.read(file, ops);
    const gzipped = announced?.gzipped ?? (bytes[0] === 0x1f && bytes[1] === 0x8b);
    const read = format
      ? await readSourceFile(bytes, format, { gzipped, ...(definition.delimiter ? { delimiter: definition.delimiter } : {}) })
      : ({ ok: false, reason: `unsupported file type (expected .csv, .ndjson, .jsonl or .parquet, optionally .gz): ${name}` } as const);
    if (!read.ok) {
      const target = await freeTarget(lake, `${landing}/rejected`, name, runId, ops);
      // Reason first: a crash before the rename leaves the file in landing to be rejected again.
      await lake.put(`${target}.reason.txt`, Buffer.from(`${read.reason}\n`), ops);
      await lake.rename(file, target, ops);
      output.filesRejected++;
      if (output.rejected.length < 20) output.rejected.push({ file, reason: read.reason });
      log(`orders "${source}": rejected ${file}: ${read.reason}`);
      continue;
    }
    const lines: string[] = [];
    const problems: Record<string, number> = {};
    let quantitySum = 0;
    for (const raw of read.records) {
      for (const record of mapper.map(raw)) {
        lines.push(JSON.stringify(record));
        const facts = bronzeRecordFacts(record);
        addReasons(problems, facts.problems);
        quantitySum += facts.quantity ?? 0;
      }
    }
    const previous = bySourceFile.get(file);
    const part = previous ? previous.part : nextPart++;
    const written = await writeBronzePart(
      lake,
      folder,
      part,
      'ndjson',
      Buffer.from(lines.length ? `${lines.join('\n')}\n` : '', 'utf8'),
      { source, runId, records: lines.length, pageFrom: null, pageTo: null, cursorFrom: null, cursorTo: null, quantitySum, problems, sourceFile: file },
      { ...ops, ...(options.now ? { now: options.now } : {}) },
    );
    await lake.rename(file, await freeTarget(lake, `${landing}/processed`, name, runId, ops), ops);
    runParts.set(part, { ref: written.ref, manifest: written.manifest });
  }
  const parts = [...runParts.entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
  output.batches = parts.map((p) => p.ref);
  output.pages = parts.length;
  for (const p of parts) {
    output.records += p.manifest.records;
    output.quantitySum += p.manifest.quantitySum;
    mergeReasons(output.problems, p.manifest.problems);
  }
  log(`orders "${source}": ${output.filesFound} file(s) in ${landing}, ${parts.length} ingested, ${output.filesRejected} rejected, ${output.records} line(s)`);
  return output;
}
