/**
 * The publishing port: makes a run's Gold tables visible where people look. Adapters:
 * LocalPublisher (the lake is already the store; writes the HTML dashboard) and AdxPublisher
 * (ingests into Azure Data Explorer). The composition root (src/composition/publisher.ts) picks one from DEMAND_PUBLISHER.
 */
export interface PublishOptions {
  abortSignal?: AbortSignal;
  /** Publish only these lake tables (e.g. drift_events after the drift check); all when absent. */
  tables?: string[];
  /**
   * Set when a batch run re-forecast only these SKUs (a drift or on-demand re-forecast): it is
   * published, but never recorded as a completed full run, so it never becomes the dashboards'
   * latest run.
   */
  reforecastSkus?: string[];
}

export interface PublishResult {
  /** "local" or "adx". */
  target: string;
  /** Rows published (or made visible) per table. */
  tables: Record<string, number>;
  /** Where a person looks: the dashboard file, the ADX database URL. */
  outputs: Record<string, string>;
}

export interface Publisher {
  readonly target: string;
  /** Publishes a whole run (batch): every table, idempotently per run and partition. */
  publishRun(runId: string, options?: PublishOptions): Promise<PublishResult>;
  /** Publishes the rows of some SKUs of a run (a single-SKU re-forecast), with low latency. */
  publishSkus(runId: string, skus: string[], options?: PublishOptions): Promise<PublishResult>;
  /** Releases connections; the publisher is unusable afterwards. */
  close(): Promise<void>;
}
