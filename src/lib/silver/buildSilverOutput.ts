import type { DataQualityVerdict } from '../quality/quarantineGate';
import type { ReasonCounts } from '../quality/reasonCounts';

/** What a Silver build hands on (the buildSilver activity's output). */
export interface BuildSilverOutput {
  orderLinesRead: number;
  orderLinesKept: number;
  unitsKept: number;
  cancellations: number;
  /** Of the cancellations, returned lines (sources with a status; 0 for online-retail). */
  returns?: number;
  quarantined: number;
  quarantineReasons: ReasonCounts;
  inventoryRows: number;
  skus: number;
  dailyDemandRows: number;
  /** Date range whose partitions this run recomputed (null when nothing changed). */
  affectedFrom: string | null;
  affectedTo: string | null;
  /** Silver table versions after this run: { order_lines: 3, daily_demand: 5, … }. */
  tableVersions: Record<string, number>;
  /** The share of order records quarantined, warnings, and whether the run must fail (DEMAND_QUARANTINE_MAX_SHARE). */
  quality?: DataQualityVerdict;
}
