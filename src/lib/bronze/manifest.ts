import type { ReasonCounts } from '../quality/reasonCounts';

export type BronzeFormat = 'ndjson' | 'csv';

/**
 * The commit marker of one Bronze part, written after the part's data and never rewritten.
 * `bytes` and `sha256` describe the stored (gzipped) object.
 */
export interface BronzeManifest {
  source: string;
  runId: string;
  part: number;
  format: BronzeFormat;
  records: number;
  bytes: number;
  sha256: string;
  /** 0-based pages of the run held in this part (null for file sources). */
  pageFrom: number | null;
  pageTo: number | null;
  /** Token that fetched the part's first page (null: the run's first request) and the token for the page after it (null: end). */
  cursorFrom: string | null;
  cursorTo: string | null;
  quantitySum: number;
  problems: ReasonCounts;
  createdAt: string;
  /** Inventory only: the landing file the bytes came from. */
  sourceFile?: string;
  /** Orders only (additive): the run's `since` filter and the largest well-formed InvoiceDate in the part. */
  since?: string | null;
  maxInvoiceDate?: string | null;
}

export const manifestSuffix = '.manifest.json';

export function partName(part: number): string {
  return `part-${String(part).padStart(5, '0')}`;
}

/** Data object path for a manifest path: …/part-00003.manifest.json → …/part-00003.<format>.gz */
export function dataPathOf(manifestPath: string, format: BronzeFormat): string {
  return `${manifestPath.slice(0, -manifestSuffix.length)}.${format}.gz`;
}
