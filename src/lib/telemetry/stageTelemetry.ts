/**
 * Structured telemetry per stage: one event per activity with its counts and duration, and the
 * metrics an operator alerts on (lines, quarantined by reason and share, SKUs, backtest error,
 * drift), derived from the activity's output, which already carries counts (never rows).
 * Sinks: `noopTelemetry` (default), `logLineTelemetry` (one JSON line per record through a log
 * function), `OpenTelemetrySink` (custom events and metrics; in Azure through the Azure Monitor
 * distro into Application Insights, see docs/telemetry.md).
 */

export interface StageEvent {
  name: 'demand.stage';
  stage: string;
  runId: string | null;
  status: 'completed' | 'failed';
  durationInMs: number;
  counts: Record<string, number>;
  error?: string;
}

export interface MetricPoint {
  name: string;
  value: number;
  dimensions: Record<string, string>;
}

export interface TelemetrySink {
  event(event: StageEvent): void;
  metric(point: MetricPoint): void;
}

export const noopTelemetry: TelemetrySink = { event: () => undefined, metric: () => undefined };

/** Prefix of the telemetry lines, so a query finds them among other traces. */
export const telemetryLinePrefix = 'demand.telemetry ';

export function logLineTelemetry(log: (line: string) => void): TelemetrySink {
  return {
    event: (event) => log(`${telemetryLinePrefix}${JSON.stringify({ type: 'event', ...event })}`),
    metric: (point) => log(`${telemetryLinePrefix}${JSON.stringify({ type: 'metric', ...point })}`),
  };
}

type Bag = Record<string, unknown>;
const bag = (v: unknown): Bag => (typeof v === 'object' && v !== null ? (v as Bag) : {});
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function counts(output: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(bag(output))) if (num(v) !== undefined) out[k] = v as number;
  return out;
}

/** The metrics a stage's output yields (names are dotted; dimensions carry stage and run). */
export function stageMetrics(stage: string, output: unknown, runId: string | null): MetricPoint[] {
  const o = bag(output);
  const dims = { stage, ...(runId ? { runId } : {}) };
  const points: MetricPoint[] = [];
  const push = (name: string, value: number | undefined, extra: Record<string, string> = {}): void => {
    if (value !== undefined) points.push({ name, value, dimensions: { ...dims, ...extra } });
  };
  if (stage === 'ingestOrders') push('demand.orders.lines', num(o['records']));
  if (stage === 'buildSilver') {
    push('demand.silver.linesKept', num(o['orderLinesKept']));
    push('demand.silver.quarantined', num(o['quarantined']));
    const read = num(o['orderLinesRead']);
    const quarantined = num(o['quarantined']);
    if (read && quarantined !== undefined) push('demand.silver.quarantineShare', quarantined / read);
    for (const [reason, n] of Object.entries(bag(o['quarantineReasons']))) push('demand.silver.quarantinedByReason', num(n), { reason });
  }
  if (stage === 'forecastBatch') {
    push('demand.forecast.skus', num(o['skus']));
    const backtest = bag(o['backtest']);
    // WAPE is a ratio of sums: emit both sums so a query aggregates batches correctly.
    push('demand.backtest.absError', num(backtest['absError']));
    push('demand.backtest.absActual', num(backtest['absActual']));
  }
  if (stage === 'finalizeForecast') {
    // The run's figures over every SKU's backtest (pooled WAPE; coverage of the q05–q95 interval).
    const m = bag(o['metrics']);
    push('demand.backtest.wape', num(m['wape']));
    push('demand.backtest.coverage90', num(m['coverage90']));
  }
  if (stage === 'planInventory') {
    push('demand.inventory.skus', num(o['skus']));
    push('demand.inventory.atRisk', num(o['atRisk']));
  }
  if (stage === 'checkDrift') {
    push('demand.drift.events', num(o['events']));
    if (Array.isArray(o['driftedSkus'])) push('demand.drift.skusToReforecast', (o['driftedSkus'] as unknown[]).length);
    push('demand.drift.fleetDrift', o['fleetDrift'] === true ? 1 : o['fleetDrift'] === false ? 0 : undefined);
    push('demand.drift.psiOverall', num(o['psiOverall']));
    push('demand.drift.share', num(o['driftShare']));
  }
  return points;
}

/** Emits one stage's event and metrics; a telemetry failure never fails the stage. */
export function recordStage(
  sink: TelemetrySink,
  stage: string,
  input: unknown,
  result: { output?: unknown; error?: string },
  durationInMs: number,
): void {
  try {
    const runId = typeof bag(input)['runId'] === 'string' ? (bag(input)['runId'] as string) : null;
    sink.event({
      name: 'demand.stage',
      stage,
      runId,
      status: result.error === undefined ? 'completed' : 'failed',
      durationInMs: Math.round(durationInMs),
      counts: counts(result.output),
      ...(result.error !== undefined ? { error: result.error.slice(0, 1000) } : {}),
    });
    if (result.error === undefined) for (const point of stageMetrics(stage, result.output, runId)) sink.metric(point);
  } catch {
    // Telemetry is best effort by design.
  }
}
