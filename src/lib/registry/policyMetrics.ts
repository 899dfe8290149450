/**
 * Names shared by whoever logs a forecasting run (finalizeForecast) and whoever judges it (the
 * promotion gate, the CLI): metric keys, segment names and the backtest-window param.
 */

/** Mover segments the gate checks for regressions. */
export const policySegments = ['fast', 'slow', 'intermittent'] as const;
export type PolicySegment = (typeof policySegments)[number];

/** Aggregate backtest metrics logged per run (lower is better except coverage90, which should be near 0.9). */
export const policyMetricNames = ['wape', 'mase', 'bias', 'coverage90', 'pinball'] as const;
export type PolicyMetricName = (typeof policyMetricNames)[number];

/** The metric the gate ranks policies by. */
export const primaryMetric: PolicyMetricName = 'wape';

/** Metric key of a segment's figure, e.g. segment.fast.wape. */
export function segmentMetricKey(segment: string, metric: PolicyMetricName): string {
  return `segment.${segment}.${metric}`;
}

/** Segments present in a run's metrics (from its segment.<name>.wape keys). */
export function segmentsIn(metrics: Record<string, number>): string[] {
  const out = new Set<string>();
  for (const key of Object.keys(metrics)) {
    const match = /^segment\.([^.]+)\.wape$/.exec(key);
    if (match?.[1]) out.add(match[1]);
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
} as const;
