import type { LakeStore } from '../lake/lakeStore';
import type { BronzeBatchRef } from '../bronze/batchRef';
import type { IngestInventoryOutput } from './ingestOutputs';
import { dataPathOf, type BronzeManifest } from '../bronze/manifest';
import { bronzeRunFolder } from '../bronze/paths';
import { listBronzeManifests, readManifest } from '../bronze/reader';
import { writeBronzePart } from '../bronze/writer';
import { crashPoint } from '../testing/crashPoints';
import { checkInventorySnapshot, inventoryFormatOf } from './inventorySnapshot';

export const inventorySource = 'inventory';
const maxRejectedListed = 20;

export interface InventoryIngestionOptions {
  runId: string;
  runDate: string;
  lake: LakeStore;
  /** Landing folder, e.g. landing/inventory (files directly inside it; processed/ and rejected/ below it). */
  landingPrefix: string;
  abortSignal?: AbortSignal;
  log?: (message: string) => void;
  now?: () => Date;
}

/** Where a file moves: `<folder>/<name>`, or `<folder>/<runId>-<name>` when that name is taken (the same name dropped again). */
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

/**
 * Discovers snapshot files in the landing folder (name order), lands each readable one in Bronze as
 * received (gzipped) with a manifest naming the source file, then moves it to processed/; a file
 * that cannot be read goes to rejected/ with a `<name>.reason.txt` and the run goes on. A re-run of
 * the same run id reuses the part already committed for a file (same bytes, same part number), and
 * returns every part committed for the run, those of files an earlier attempt already moved out of
 * landing included: buildSilver reads only the manifests returned, so a retry must not drop them.
 * `filesFound`/`filesIngested`/`records` count the whole run (each file once); `filesRejected` and
 * `rejected` only this attempt's (a rejected file leaves no run-scoped trace to find again).
 */
export async function ingestInventoryRun(options: InventoryIngestionOptions): Promise<IngestInventoryOutput> {
  const { lake, runId, abortSignal } = options;
  const ops = abortSignal ? { abortSignal } : {};
  const log = options.log ?? (() => undefined);
  const landing = options.landingPrefix.replace(/\/+$/, '');
  const folder = bronzeRunFolder(inventorySource, options.runDate, runId);

  const bySourceFile = new Map<string, { manifest: BronzeManifest; manifestPath: string }>();
  // Every part of the run by part number: those committed by earlier attempts, then this one's.
  const runParts = new Map<number, BronzeBatchRef>();
  let nextPart = 0;
  for (const manifestPath of await listBronzeManifests(lake, inventorySource, runId, { ingestDate: options.runDate, ...ops })) {
    const manifest = await readManifest(lake, manifestPath, ops);
    if (manifest.sourceFile) bySourceFile.set(manifest.sourceFile, { manifest, manifestPath });
    runParts.set(manifest.part, { path: dataPathOf(manifestPath, manifest.format), manifestPath, records: manifest.records });
    nextPart = Math.max(nextPart, manifest.part + 1);
  }

  const files: string[] = [];
  for await (const entry of lake.list(landing, { recursive: false, ...ops })) {
    const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
    if (!name.startsWith('.') && !name.startsWith('_')) files.push(entry.path);
  }
  files.sort();

  const landingNow = new Set(files);
  const movedEarlier = [...bySourceFile.keys()].filter((f) => !landingNow.has(f)).length;

  const output: IngestInventoryOutput = {
    filesFound: files.length + movedEarlier,
    filesIngested: 0,
    filesRejected: 0,
    rejected: [],
    records: 0,
    batches: [],
  };
  for (const file of files) {
    abortSignal?.throwIfAborted();
    const name = file.slice(file.lastIndexOf('/') + 1);
    const format = inventoryFormatOf(name);
    const bytes = await lake.read(file, ops);
    const check = format
      ? checkInventorySnapshot(bytes, format)
      : ({ ok: false, reason: `unsupported file type (expected .csv, .ndjson or .jsonl): ${name}` } as const);
    if (!check.ok || !format) {
      const reason = check.ok ? 'unsupported file type' : check.reason;
      const target = await freeTarget(lake, `${landing}/rejected`, name, runId, ops);
      // Reason first: a crash before the rename leaves the file in landing to be rejected again.
      await lake.put(`${target}.reason.txt`, Buffer.from(`${reason}\n`), ops);
      await lake.rename(file, target, ops);
      output.filesRejected++;
      if (output.rejected.length < maxRejectedListed) output.rejected.push({ file, reason });
      log(`inventory: rejected ${file}: ${reason}`);
      continue;
    }
    const previous = bySourceFile.get(file);
    const part = previous ? previous.manifest.part : nextPart++;
    const written = await writeBronzePart(
      lake,
      folder,
      part,
      format,
      bytes,
      {
        source: inventorySource,
        runId,
        records: check.rows,
        pageFrom: null,
        pageTo: null,
        cursorFrom: null,
        cursorTo: null,
        quantitySum: check.onHandSum,
        problems: {},
        sourceFile: file,
      },
      { ...ops, ...(options.now ? { now: options.now } : {}) },
    );
    const batch: BronzeBatchRef = written.ref;
    crashPoint('ingest-inventory:bronze-committed');
    await lake.rename(file, await freeTarget(lake, `${landing}/processed`, name, runId, ops), ops);
    crashPoint('ingest-inventory:moved');
    runParts.set(part, batch);
  }
  output.batches = [...runParts.entries()].sort(([a], [b]) => a - b).map(([, ref]) => ref);
  output.filesIngested = output.batches.length;
  output.records = output.batches.reduce((sum, b) => sum + b.records, 0);
  log(
    `inventory: ${output.filesFound} file(s) found, ${output.filesIngested} ingested, ${output.filesRejected} rejected, ${output.records} row(s)`,
  );
  return output;
}
