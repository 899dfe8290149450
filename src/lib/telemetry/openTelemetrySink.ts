/**
 * The telemetry port over OpenTelemetry: stage events as log records, metric points as counters
 * and histograms of one Meter. Vendor-neutral (the OpenTelemetry API only); the Azure Monitor
 * distro (src/composition/telemetry.ts) supplies the Meter and Logger that export to
 * Application Insights, where a log record carrying `microsoft.custom_event.name` becomes a row of
 * `customEvents` and each metric a row of `customMetrics` (docs/telemetry.md).
 */
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { SeverityNumber, type Logger } from '@opentelemetry/api-logs';
import type { MetricPoint, StageEvent, TelemetrySink } from './stageTelemetry';

/** The attribute the Azure Monitor exporter turns into a custom event of that name. */
export const customEventNameAttribute = 'microsoft.custom_event.name';

export interface MetricInstrument {
  /** Counters add up across batches and runs; histograms keep each recorded value (count, sum, min, max). */
  kind: 'counter' | 'histogram';
  unit: string;
  description: string;
}

/** Every metric the pipeline emits, with how it is recorded. A point with a name not listed here is dropped. */
export const metricInstruments: Readonly<Record<string, MetricInstrument>> = {
  'demand.stage.duration': { kind: 'histogram', unit: 'ms', description: 'Duration of one activity (stage, status)' },
  'demand.orders.lines': { kind: 'counter', unit: '{line}', description: 'Order lines ingested into Bronze' },
  'demand.silver.linesKept': { kind: 'counter', unit: '{line}', description: 'Order lines kept by the Silver build' },
  'demand.silver.quarantined': { kind: 'counter', unit: '{record}', description: 'Records quarantined by the Silver build' },
  'demand.silver.quarantinedByReason': { kind: 'counter', unit: '{record}', description: 'Records quarantined, by reason' },
  'demand.silver.quarantineShare': { kind: 'histogram', unit: '1', description: 'Quarantined share of the order lines read' },
  'demand.forecast.skus': { kind: 'counter', unit: '{sku}', description: 'SKUs forecast' },
  'demand.backtest.absError': { kind: 'counter', unit: '{unit}', description: 'Σ|error| of the backtests (WAPE numerator)' },
  'demand.backtest.absActual': { kind: 'counter', unit: '{unit}', description: 'Σ|actual| of the backtests (WAPE denominator)' },
  'demand.backtest.wape': { kind: 'histogram', unit: '1', description: "Run's pooled backtest WAPE" },
  'demand.backtest.coverage90': { kind: 'histogram', unit: '1', description: 'Share of backtest actuals inside q05–q95 (mean over SKUs)' },
  'demand.inventory.skus': { kind: 'counter', unit: '{sku}', description: 'SKUs with an inventory action' },
  'demand.inventory.atRisk': { kind: 'counter', unit: '{sku}', description: 'SKUs whose stockout falls within the lead time' },
  'demand.drift.events': { kind: 'counter', unit: '{event}', description: 'Drift events written' },
  'demand.drift.skusToReforecast': { kind: 'counter', unit: '{sku}', description: 'SKUs sent to re-forecast by the drift check' },
  'demand.drift.share': { kind: 'histogram', unit: '1', description: 'Share of checked SKUs whose drift calls for action' },
  'demand.drift.fleetDrift': { kind: 'histogram', unit: '1', description: '1 when drift is fleet-wide, else 0' },
  'demand.drift.psiOverall': { kind: 'histogram', unit: '1', description: 'PSI of the whole fleet, recent vs reference' },
};

export interface OpenTelemetrySinkOptions {
  meter: Meter;
  logger: Logger;
}

/** A TelemetrySink that records through an OpenTelemetry Meter and Logger. */
export class OpenTelemetrySink implements TelemetrySink {
  private readonly counters = new Map<string, Counter>();
  private readonly histograms = new Map<string, Histogram>();

  constructor(private readonly options: OpenTelemetrySinkOptions) {}

  event(event: StageEvent): void {
    const attributes: Attributes = {
      [customEventNameAttribute]: event.name,
      stage: event.stage,
      status: event.status,
      durationInMs: event.durationInMs,
      ...(event.runId !== null ? { runId: event.runId } : {}),
      ...(event.error !== undefined ? { error: event.error } : {}),
    };
    // Counts travel as measurements (Application Insights customMeasurements), so a query reads numbers, not strings.
    this.options.logger.emit({
      severityNumber: event.status === 'failed' ? SeverityNumber.ERROR : SeverityNumber.INFO,
      severityText: event.status === 'failed' ? 'ERROR' : 'INFO',
      body: { measurements: { durationInMs: event.durationInMs, ...event.counts } },
      attributes,
    });
    this.record('demand.stage.duration', event.durationInMs, { stage: event.stage, status: event.status });
  }

  metric(point: MetricPoint): void {
    this.record(point.name, point.value, point.dimensions);
  }

  private record(name: string, value: number, attributes: Attributes): void {
    const instrument = metricInstruments[name];
    if (!instrument || !Number.isFinite(value)) return;
    if (instrument.kind === 'counter') {
      // A counter only goes up: a negative count is a bug upstream, never worth an exception here.
      if (value < 0) return;
      let counter = this.counters.get(name);
      if (!counter) this.counters.set(name, (counter = this.options.meter.createCounter(name, instrument)));
      counter.add(value, attributes);
    } else {
      let histogram = this.histograms.get(name);
      if (!histogram) this.histograms.set(name, (histogram = this.options.meter.createHistogram(name, instrument)));
      histogram.record(value, attributes);
    }
  }
}
