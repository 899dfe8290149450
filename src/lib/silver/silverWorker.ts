import { encodeDataFile, type EncodedDataFile, type PhysicalColumn } from '../delta/dataFile';
import type { DeltaField } from '../delta/types';
import { scanBronzePart, type ScanPartTask, type ScanSummary } from './orderScan';

export type SilverTask =
  | { kind: 'scan'; task: ScanPartTask }
  | { kind: 'encode'; fields: DeltaField[]; columns: PhysicalColumn[]; numRecords: number };

/** Piscina task of the Silver build: scan a Bronze part, or encode one Parquet data file. */
export default function runSilverTask(task: SilverTask): ScanSummary | EncodedDataFile {
  if (task.kind === 'scan') return scanBronzePart(task.task);
  return encodeDataFile(task.fields, task.columns, task.numRecords);
}
