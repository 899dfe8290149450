import { encodeDataFile, type EncodedDataFile, type PhysicalColumn } from '../delta/dataFile';
import type { DeltaField } from '../delta/types';
import { buildDailyDemandFiles, type DailyDemandTask } from './dailyDemandTask';
import { processMonth, type MonthResult, type MonthTask } from './monthPass';
import { scanBronzePart, type ScanPartTask, type ScanSummary } from './orderChunkScan';
import { movedResult } from './transferResult';

export type SilverTask =
  | { kind: 'scan'; task: ScanPartTask }
  | { kind: 'month'; task: MonthTask }
  | { kind: 'dailyDemand'; task: DailyDemandTask }
  | { kind: 'encode'; fields: DeltaField[]; columns: PhysicalColumn[]; numRecords: number };

type SilverTaskResult = ScanSummary | MonthResult | EncodedDataFile | EncodedDataFile[];

function run(task: SilverTask): SilverTaskResult {
  if (task.kind === 'scan') return scanBronzePart(task.task);
  if (task.kind === 'month') return processMonth(task.task);
  if (task.kind === 'dailyDemand') return buildDailyDemandFiles(task.task);
  return encodeDataFile(task.fields, task.columns, task.numRecords);
}

/**
 * Piscina task of the Silver build: scan a Bronze part, process one month, build a month's daily
 * demand, or encode one data file. The result's large buffers are transferred, not copied.
 */
export default function runSilverTask(task: SilverTask): SilverTaskResult {
  return movedResult(run(task));
}
