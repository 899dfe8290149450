import type { BronzeBatchRef } from '../bronze/batchRef';
import type { ReasonCounts } from '../quality/reasonCounts';

/** What an orders ingestion run hands on (the ingestOrders activity's output). */
export interface IngestOrdersOutput {
  source: string;
  pages: number;
  records: number;
  /** Sum of Quantity over records that had a numeric Quantity (a reconciliation figure). */
  quantitySum: number;
  batches: BronzeBatchRef[];
  /** Records stored raw in Bronze but malformed (missing fields, wrong types), by problem. */
  problems: ReasonCounts;
  watermarkBefore: string | null;
  watermarkAfter: string | null;
}

/** What an inventory ingestion run hands on (the ingestInventory activity's output). */
export interface IngestInventoryOutput {
  filesFound: number;
  filesIngested: number;
  filesRejected: number;
  /** Up to 20 rejected files with their reason (the rest are counted only). */
  rejected: Array<{ file: string; reason: string }>;
  records: number;
  batches: BronzeBatchRef[];
}
