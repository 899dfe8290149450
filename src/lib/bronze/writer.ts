import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { BronzeIntegrityError } from '../errors';
import type { LakeStore } from '../lake/lakeStore';
import type { BronzeBatchRef } from './batchRef';
import { dataPathOf, manifestSuffix, partName, type BronzeManifest } from './manifest';

const gzipAsync = promisify(gzip);

export type BronzePartDraft = Omit<BronzeManifest, 'bytes' | 'sha256' | 'createdAt' | 'part' | 'format'>;

export interface WrittenPart {
  manifest: BronzeManifest;
  ref: BronzeBatchRef;
  /** True when an identical committed part was already there (a re-run). */
  reused: boolean;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Writes one immutable Bronze part: the gzipped payload by put-if-absent, then its manifest (the
 * commit marker) by put-if-absent. Readers only follow manifests, so a crash between the two
 * leaves nothing visible; the re-run finds the orphan, and replaces it if its bytes differ.
 * A committed part is never rewritten: same bytes → reused, other bytes → BronzeIntegrityError.
 */
export async function writeBronzePart(
  lake: LakeStore,
  folder: string,
  part: number,
  format: BronzeManifest['format'],
  payload: Uint8Array,
  draft: BronzePartDraft,
  options: { abortSignal?: AbortSignal; now?: () => Date } = {},
): Promise<WrittenPart> {
  // Level 6 with no mtime in the header: the same records always give the same bytes and sha256.
  return writeGzippedBronzePart(lake, folder, part, format, await gzipAsync(payload), draft, options);
}

/**
 * writeBronzePart for a payload already gzipped (level 6, no mtime: what writeBronzePart makes of
 * the same bytes), e.g. compressed page by page as it arrived so the part's text is never held.
 */
export async function writeGzippedBronzePart(
  lake: LakeStore,
  folder: string,
  part: number,
  format: BronzeManifest['format'],
  gz: Buffer,
  draft: BronzePartDraft,
  options: { abortSignal?: AbortSignal; now?: () => Date } = {},
): Promise<WrittenPart> {
  const ops = options.abortSignal ? { abortSignal: options.abortSignal } : {};
  const manifestPath = `${folder}/${partName(part)}${manifestSuffix}`;
  const dataPath = dataPathOf(manifestPath, format);
  const sha256 = sha256Hex(gz);
  const ref = { path: dataPath, manifestPath, records: draft.records };

  if (await lake.exists(manifestPath, ops)) {
    const committed = JSON.parse((await lake.read(manifestPath, ops)).toString('utf8')) as BronzeManifest;
    if (committed.sha256 !== sha256) {
      throw new BronzeIntegrityError(
        dataPath,
        `already committed with sha256 ${committed.sha256}, this run produced ${sha256} (the source changed under the same run id)`,
      );
    }
    return { manifest: committed, ref: { ...ref, records: committed.records }, reused: true };
  }

  if (!(await lake.putIfAbsent(dataPath, gz, ops))) {
    const existing = await lake.read(dataPath, ops);
    // An uncommitted orphan from a crashed attempt: nobody reads it, so replacing it is safe.
    if (sha256Hex(existing) !== sha256) await lake.put(dataPath, gz, ops);
  }
  const manifest: BronzeManifest = {
    ...draft,
    part,
    format,
    bytes: gz.byteLength,
    sha256,
    createdAt: (options.now?.() ?? new Date()).toISOString(),
  };
  if (!(await lake.putIfAbsent(manifestPath, Buffer.from(JSON.stringify(manifest, null, 2)), ops))) {
    const raced = JSON.parse((await lake.read(manifestPath, ops)).toString('utf8')) as BronzeManifest;
    if (raced.sha256 !== sha256) throw new BronzeIntegrityError(dataPath, `a concurrent attempt committed other bytes (${raced.sha256})`);
    return { manifest: raced, ref, reused: true };
  }
  return { manifest, ref, reused: false };
}

/** Re-reads a committed part and checks its bytes against the manifest. */
export async function verifyBronzePart(
  lake: LakeStore,
  manifestPath: string,
  manifest: BronzeManifest,
  options: { abortSignal?: AbortSignal } = {},
): Promise<void> {
  const dataPath = dataPathOf(manifestPath, manifest.format);
  const bytes = await lake.read(dataPath, options.abortSignal ? { abortSignal: options.abortSignal } : {});
  const actual = sha256Hex(bytes);
  if (actual !== manifest.sha256 || bytes.byteLength !== manifest.bytes) {
    throw new BronzeIntegrityError(
      dataPath,
      `sha256 ${actual} (${bytes.byteLength} bytes) does not match its manifest (${manifest.sha256}, ${manifest.bytes} bytes)`,
    );
  }
}
