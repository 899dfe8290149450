import { parseKeySegment, trackingKey } from '../tracking/trackingKeys';

/**
 * Names shared by whoever logs a forecasting run (finalizeForecast) and whoever judges it (the
 * promotion gate, the CLI): metric keys, segment names and the backtest-window param. Keys with
 * a part from data are built by trackingKey (reversible, MLflow-valid; docs/tracking.md).
 */

/** Mover segments the gate checks for regressions. */
export const policySegments = ['fast', 'slow', 'intermittent'] as const;
export type PolicySegment = (typeof policySegments)[number];

/**
 * Aggregate backtest metrics logged per run. Lower is better for wape, mase and pinball; bias and
 * fleet_bias (Σ expected units ÷ Σ actual − 1) should be near 0, coverage50 near 0.5 and coverage90
 * near 0.9. point_fleet_bias is the same ratio on the points, kept beside it (median-type points run low).
 */
export const policyMetricNames = ['wape', 'mase', 'bias', 'fleet_bias', 'point_fleet_bias', 'coverage50', 'coverage90', 'pinball'] as const;
export type PolicyMetricName = (typeof policyMetricNames)[number];

/** The metric the gate ranks policies by. */
export const primaryMetric: PolicyMetricName = 'wape';

/** Metric key of a segment's figure, e.g. segment.fast.wape. */
export function segmentMetricKey(segment: string, metric: PolicyMetricName | 'skus'): string {
  return trackingKey(['segment', segment, metric]);
}

/** Segments present in a run's metrics (from its segment.<name>.wape keys). */
export function segmentsIn(metrics: Record<string, number>): string[] {
  const out = new Set<string>();
  for (const key of Object.keys(metrics)) {
    const match = /^segment\.([^.]+)\.wape$/.exec(key);
    if (match?.[1]) out.add(parseKeySegment(match[1]));
  }
  return [...out].sort();
}

/** Run params and tags the pipeline writes, by name. */
export const runParamNames = {
  /** Identifies the backtest windows (last origin, windows, horizon): only equal keys are comparable. */
  backtestWindowKey: 'backtest.window_key',
  pipelineRunId: 'pipeline.run_id',
  codeVersion: 'code.version',
  modelParamsPath: 'gold.model_params',
  trigger: 'pipeline.trigger',
  /** Where the Gold model_params partition of the run lives (a lake URI), also when the version's source is elsewhere. */
  modelParamsUri: 'gold.model_params.uri',
} as const;

/** Param key of a Silver table's version, e.g. silver.daily_demand.version. */
export function silverVersionParamKey(table: string): string {
  return trackingKey(['silver', table, 'version']);
}

/** Run tags holding the free-text breakdowns as JSON objects (text → count): never metric names. */
export const breakdownTagNames = {
  skusByModel: 'breakdown.skus_by_model',
  fallbacks: 'breakdown.fallbacks',
} as const;
