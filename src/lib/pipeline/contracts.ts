/**
 * Inputs and outputs of the pipeline's activities. They cross Durable Functions boundaries, so
 * they hold references (lake paths, batch ids, counts), never rows: messages stay far below the
 * 45 KB at which Durable Functions spills them to blobs.
 */
import type { DataQualityVerdict } from '../quality/quarantineGate';
import type { PipelineSettings } from '../config/settings';
import type { LakeStore } from '../lake/lakeStore';
import type { EntityStore } from '../tables/entityStore';

export interface RunContext {
  /** Orchestration instance id; also the Bronze run_id and the tracking run name. */
  runId: string;
  /** UTC date of the run (YYYY-MM-DD), from the orchestrator's deterministic clock. */
  runDate: string;
  /** ISO timestamp the orchestration started (deterministic). */
  startedAt: string;
}

/** Counts keyed by reason code, e.g. { cancellation: 9288, non_product_code: 2995 }. */
export type ReasonCounts = Record<string, number>;

export interface BronzeBatchRef {
  /** Lake path of the data part, e.g. bronze/orders/ingest_date=…/run_id=…/part-00000.ndjson.gz */
  path: string;
  /** Lake path of its manifest (…/part-00000.manifest.json). */
  manifestPath: string;
  records: number;
}

export interface IngestOrdersInput extends RunContext {
  /** Source name; keys the watermark and the Bronze folder (default "orders"). */
  source: string;
}
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

export interface IngestInventoryInput extends RunContext {}
export interface IngestInventoryOutput {
  filesFound: number;
  filesIngested: number;
  filesRejected: number;
  /** Up to 20 rejected files with their reason (the rest are counted only). */
  rejected: Array<{ file: string; reason: string }>;
  records: number;
  batches: BronzeBatchRef[];
}

export interface BuildSilverInput extends RunContext {
  /** Bronze manifests of this run (new orders and inventory files). */
  orderManifests: string[];
  inventoryManifests: string[];
}
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

export interface SkuBatchRef {
  batchId: string;
  /** Lake path of a JSON file listing the batch's SKUs. */
  path: string;
  skus: number;
}

export interface PlanForecastInput extends RunContext {
  /** Version of Silver daily_demand to read; -1 = the latest. */
  dailyDemandVersion: number;
  batchSize: number;
  /** Restrict to these SKUs (on-demand or drift re-forecast); all active SKUs when absent. */
  skus?: string[];
}
export interface PlanForecastOutput {
  skuCount: number;
  /** The daily_demand version the plan read (resolves -1). */
  dailyDemandVersion: number;
  /** SKUs left out because they sold nothing in the last year (discontinued). */
  inactiveSkus: number;
  batches: SkuBatchRef[];
}

export interface ForecastBatchInput extends RunContext {
  batch: SkuBatchRef;
  dailyDemandVersion: number;
  horizonDays: number;
  season: number;
  /** Forecasting policy: 'default', or 'wide' (more candidate models; what challenger runs try). */
  policy?: ForecastPolicy;
}

export type ForecastPolicy = 'default' | 'wide';
export interface ForecastBatchOutput {
  batchId: string;
  skus: number;
  forecastRows: number;
  /** SKUs by chosen model, e.g. { mstl_ets: 40, tsb: 12 }. */
  models: ReasonCounts;
  /** SKUs that fell back to a simpler model, by reason. */
  fallbacks: ReasonCounts;
  /** Sums over the batch's backtests, so the run can aggregate WAPE/MASE without rows. */
  backtest: { absError: number; absActual: number; maseSum: number; maseCount: number };
}

export interface FinalizeForecastInput extends RunContext {
  batches: ForecastBatchOutput[];
  tableVersions: Record<string, number>;
  /** "scheduled" | "adf" | "manual" | "drift" | "challenger" */
  trigger: string;
  policy?: ForecastPolicy;
}
export interface FinalizeForecastOutput {
  trackingRunId: string;
  modelVersion: string | null;
  metrics: Record<string, number>;
}

export interface PlanInventoryInput extends RunContext {}
export interface PlanInventoryOutput {
  skus: number;
  /** SKUs whose projected stockout falls within the lead time. */
  atRisk: number;
  reorderSuggested: number;
}

export interface PublishInput extends RunContext {
  /** Single-SKU re-forecast publishes with streaming ingestion; batch runs with queued ingestion. */
  mode: 'batch' | 'single';
  skus?: string[];
  /** Only these lake tables (e.g. ['drift_events'] after the drift check); all when absent. */
  tables?: string[];
}
export interface PublishOutput {
  target: string;
  tables: Record<string, number>;
  /** Where a person looks: the dashboard file or the ADX database URL. */
  outputs: Record<string, string>;
}

export interface DriftCheckInput extends RunContext {}
export interface DriftCheckOutput {
  events: number;
  /** SKUs to re-forecast (capped by DEMAND_DRIFT_MAX_REFORECASTS). */
  driftedSkus: string[];
  fleetDrift: boolean;
  psiOverall: number | null;
}

export interface NotifyCallbackInput {
  callBackUri: string;
  /** ADF WebHook callback body, as ADF's docs spell it: { Output: {...}, Error?: { ErrorCode, Message }, StatusCode: "200" | "500" } */
  body: Record<string, unknown>;
}

/** What an activity implementation gets besides its input. */
export interface PipelineServices {
  settings: PipelineSettings;
  lake: LakeStore;
  entities: EntityStore;
  log: (message: string) => void;
  /** Optional progress reporting for the local CLI (no-op in Azure). */
  progress?: (stage: string, done: number, total?: number) => void;
  abortSignal?: AbortSignal;
}
