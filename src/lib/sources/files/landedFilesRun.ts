/**
 * One run over a landing folder of exported files, shared by the orders and inventory `files`
 * sources: each readable file becomes one Bronze part (its records mapped to the canonical shape,
 * NDJSON, with a manifest naming the file) and then moves to processed/; a file that cannot be read
 * moves to rejected/ with `<name>.reason.txt`. A re-run of the run id reuses the parts already
 * committed (same part number per file) and returns every part of the run.
 */
import type { LakeStore } from '../../lake/lakeStore';
import type { BronzeBatchRef } from '../../bronze/batchRef';
import type { ReasonCounts } from '../../quality/reasonCounts';
import { dataPathOf, type BronzeManifest } from '../../bronze/manifest';
import { bronzeRunFolder } from '../../bronze/paths';
import { listBronzeManifests, readManifest } from '../../bronze/reader';
import { writeBronzePart } from '../../bronze/writer';
import { readSourceFile, sourceFileFormatOf, type SourceFileFormat } from './sourceFile';

export interface LandedFilesRunOptions {
  source: string;
  runId: string;
  runDate: string;
  lake: LakeStore;
  folder: string;
  format?: SourceFileFormat;
  delimiter?: string;
  /** A file's records as Bronze lines (JSON texts), with the manifest's problems and quantity sum. */
  mapRecords: (records: unknown[]) => { lines: string[]; problems: ReasonCounts; quantitySum: number };
  abortSignal?: AbortSignal;
  log?: (message: string) => void;
  now?: () => Date;
}

export interface LandedFilesRunResult {
  parts: Array<{ ref: BronzeBatchRef; manifest: BronzeManifest }>;
  filesFound: number;
  filesRejected: number;
  rejected: Array<{ file: string; reason: string }>;
}

async function freeTarget(
  lake: LakeStore,
  folder: string,
  name: string,
  runId: string,
  ops: { abortSignal?: AbortSignal },
): Promise<string> {
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

export async function landedFilesRun(options: LandedFilesRunOptions): Promise<LandedFilesRunResult> {
  const { lake, runId, source, abortSignal } = options;
  const ops = abortSignal ? { abortSignal } : {};
  const landing = options.folder.replace(/\/+$/, '');
  const bronzeFolder = bronzeRunFolder(source, options.runDate, runId);

  const bySourceFile = new Map<string, BronzeManifest>();
  const runParts = new Map<number, { ref: BronzeBatchRef; manifest: BronzeManifest }>();
  let nextPart = 0;
  for (const manifestPath of await listBronzeManifests(lake, source, runId, { ingestDate: options.runDate, ...ops })) {
    const manifest = await readManifest(lake, manifestPath, ops);
    if (manifest.sourceFile) bySourceFile.set(manifest.sourceFile, manifest);
    runParts.set(manifest.part, {
      ref: { path: dataPathOf(manifestPath, manifest.format), manifestPath, records: manifest.records },
      manifest,
    });
    nextPart = Math.max(nextPart, manifest.part + 1);
  }

  const files = await landedFiles(lake, landing, ops);
  const result: LandedFilesRunResult = {
    parts: [],
    filesFound: files.length + [...bySourceFile.keys()].filter((f) => !files.includes(f)).length,
    filesRejected: 0,
    rejected: [],
  };
  for (const file of files) {
    abortSignal?.throwIfAborted();
    const name = file.slice(file.lastIndexOf('/') + 1);
    const announced = sourceFileFormatOf(name);
    const format = options.format ?? announced?.format;
    const bytes = await lake.read(file, ops);
    const gzipped = announced?.gzipped ?? (bytes[0] === 0x1f && bytes[1] === 0x8b);
    const read = format
      ? await readSourceFile(bytes, format, { gzipped, ...(options.delimiter ? { delimiter: options.delimiter } : {}) })
      : ({ ok: false, reason: `unsupported file type (expected .csv, .ndjson, .jsonl or .parquet, optionally .gz): ${name}` } as const);
    if (!read.ok) {
      const target = await freeTarget(lake, `${landing}/rejected`, name, runId, ops);
      // Reason first: a crash before the rename leaves the file in landing to be rejected again.
      await lake.put(`${target}.reason.txt`, Buffer.from(`${read.reason}\n`), ops);
      await lake.rename(file, target, ops);
      result.filesRejected++;
      if (result.rejected.length < 20) result.rejected.push({ file, reason: read.reason });
      options.log?.(`${source}: rejected ${file}: ${read.reason}`);
      continue;
    }
    const mapped = options.mapRecords(read.records);
    const previous = bySourceFile.get(file);
    const part = previous ? previous.part : nextPart++;
    const written = await writeBronzePart(
      lake,
      bronzeFolder,
      part,
      'ndjson',
      Buffer.from(mapped.lines.length ? `${mapped.lines.join('\n')}\n` : '', 'utf8'),
      {
        source,
        runId,
        records: mapped.lines.length,
        pageFrom: null,
        pageTo: null,
        cursorFrom: null,
        cursorTo: null,
        quantitySum: mapped.quantitySum,
        problems: mapped.problems,
        sourceFile: file,
      },
      { ...ops, ...(options.now ? { now: options.now } : {}) },
    );
    await lake.rename(file, await freeTarget(lake, `${landing}/processed`, name, runId, ops), ops);
    runParts.set(part, { ref: written.ref, manifest: written.manifest });
  }
  result.parts = [...runParts.entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
  return result;
}
