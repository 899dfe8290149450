/**
 * Inputs and outputs of the pipeline's activities. They cross Durable Functions boundaries, so
 * they hold references (lake paths, batch ids, counts), never rows: messages stay far below the
 * 45 KB at which Durable Functions spills them to blobs.
 */
import type { ReasonCounts } from '../lib/quality/reasonCounts';
import type { BronzeBatchRef } from '../lib/bronze/batchRef';
import type { IngestInventoryOutput, IngestOrdersOutput } from '../lib/ingest/ingestOutputs';
import type { BuildSilverOutput } from '../lib/silver/buildSilverOutput';
import type { TriggerKind } from '../lib/runs/triggerKind';
// Owned by the domain modules that produce them; re-exported so activity code keeps one contracts import.
export type { ReasonCounts, BronzeBatchRef, IngestInventoryOutput, IngestOrdersOutput, BuildSilverOutput };

export interface RunContext {
  /** Orchestration instance id; also the Bronze run_id and the tracking run name. */
  runId: string;
  /** UTC date of the run (YYYY-MM-DD), from the orchestrator's deterministic clock. */
  runDate: string;
  /** ISO timestamp the orchestration started (deterministic). */
  startedAt: string;
}

export interface IngestOrdersInput extends RunContext {
  /** Source name; keys the watermark and the Bronze folder (default "orders"). */
  source: string;
}

export interface IngestInventoryInput extends RunContext {}

export interface BuildSilverInput extends RunContext {
  /** Bronze manifests of this run (new orders and inventory files). */
  orderManifests: string[];
  inventoryManifests: string[];
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
  /** Batches written, each `batchSize` SKUs (the last fewer): batch i is skuBatchRef(runId, i, skuCount, batchSize). */
  batchCount: number;
  batchSize: number;
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
  /**
   * SKUs by chosen model, e.g. { mstl_ets: 40, tsb: 12 }: the most frequent ones, the rest summed
   * under "other" once totals are merged (the full breakdown is in the lake, batchBreakdownPath).
   */
  models: ReasonCounts;
  /** SKUs that fell back to a simpler model, by reason (capped like models). */
  fallbacks: ReasonCounts;
  /** Sums over the batch's backtests, so the run can aggregate WAPE/MASE without rows. */
  backtest: { absError: number; absActual: number; maseSum: number; maseCount: number };
}

export interface FinalizeForecastInput extends RunContext {
  /** Totals of the fan-out's chunks (one entry per chunk, capped breakdowns). */
  batches: ForecastBatchOutput[];
  /**
   * Batches the plan wrote: the full per-model and per-fallback breakdown is read from each
   * batch's breakdown file in the lake. Absent: the breakdown comes from `batches` alone.
   */
  batchCount?: number;
  tableVersions: Record<string, number>;
  trigger: TriggerKind;
  policy?: ForecastPolicy;
  /**
   * The horizon and season the batches forecast with (the run's options: an HTTP re-forecast may
   * ask for its own), tracked as the policy's. Absent in messages of orchestrations started before
   * they were carried: the settings' values.
   */
  horizonDays?: number;
  season?: number;
}
export interface FinalizeForecastOutput {
  trackingRunId: string;
  modelVersion: string | null;
  /**
   * Headline metrics (skus, wape, mase, per-segment figures, forecast_rows). The per-model and
   * per-fallback counts, which grow with the fleet's variety, are tracked but not returned: they
   * are in the lake at `breakdownPath`.
   */
  metrics: Record<string, number>;
  /** Backtest Σ forecast ÷ Σ actual − 1 over the run's SKUs (metrics.fleet_bias, here for run records). */
  fleetBias?: number;
  /** Lake path of the run's breakdown JSON: { models: {...}, fallbacks: {...} }. */
  breakdownPath: string;
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

export interface DriftCheckInput extends RunContext {
  /** The run's forecast horizon (sizes the drift windows) and season (scales MASE); absent: the settings'. */
  horizonDays?: number;
  season?: number;
}
export interface DriftCheckOutput {
  events: number;
  /** SKUs to re-forecast (capped by DEMAND_DRIFT_MAX_REFORECASTS). */
  driftedSkus: string[];
  fleetDrift: boolean;
  psiOverall: number | null;
  /** SKUs evaluated and the share of them flagged (data or accuracy drift). */
  skusChecked?: number;
  driftShare?: number;
  /**
   * Fleet drift and no challenger has run since the latest production run: a challenger run is
   * due (started by the drift monitor, in its own orchestration, never inside the daily run).
   */
  challengerDue?: boolean;
}

export interface NotifyCallbackInput {
  callBackUri: string;
  /** ADF WebHook callback body, as ADF's docs spell it: { Output: {...}, Error?: { ErrorCode, Message }, StatusCode: "200" | "500" } */
  body: Record<string, unknown>;
}
