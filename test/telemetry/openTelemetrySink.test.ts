/**
 * The OpenTelemetry adapter of the telemetry port against the real OpenTelemetry SDK: a
 * MeterProvider read into InMemoryMetricExporter (delta temporality, as the Azure Monitor exporter
 * asks for counters and histograms) and a LoggerProvider into InMemoryLogRecordExporter. Stage
 * outputs have the shapes the activities return.
 */
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import type { HistogramMetricData, MetricData, SumMetricData } from '@opentelemetry/sdk-metrics';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OpenTelemetrySink, customEventNameAttribute, metricInstruments, recordStage } from '../../src/lib/telemetry';
import { telemetryFromSettings } from '../../src/composition/telemetry';

function harness() {
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.DELTA);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const logExporter = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor(logExporter)] });
  const sink = new OpenTelemetrySink({ meter: meterProvider.getMeter('test'), logger: loggerProvider.getLogger('test') });
  const collect = async (): Promise<MetricData[]> => {
    await reader.forceFlush();
    return metricExporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
  };
  const shutdown = async () => {
    await meterProvider.shutdown();
    await loggerProvider.shutdown();
  };
  return { sink, collect, logExporter, shutdown };
}

const byName = (metrics: MetricData[], name: string): MetricData => {
  const found = metrics.filter((m) => m.descriptor.name === name);
  expect({ name, found: found.length }).toEqual({ name, found: 1 });
  return found[0]!;
};
const sumPoints = (m: MetricData) => {
  expect(m.dataPointType).toBe(DataPointType.SUM);
  return (m as SumMetricData).dataPoints.map((p) => ({ attributes: p.attributes, value: p.value }));
};
const histogramPoints = (m: MetricData) => {
  expect(m.dataPointType).toBe(DataPointType.HISTOGRAM);
  return (m as HistogramMetricData).dataPoints.map((p) => ({ attributes: p.attributes, count: p.value.count, sum: p.value.sum }));
};

describe('OpenTelemetry telemetry adapter (real SDK, in-memory exporters)', () => {
  it('records lines, quarantine by reason, SKUs, WAPE, coverage and drift share with their attributes and values', async () => {
    const { sink, collect, shutdown } = harness();
    const run = { runId: 'run-1' };
    recordStage(sink, 'ingestOrders', run, { output: { pages: 42, records: 20720, quantitySum: 261635, batches: 3 } }, 900);
    recordStage(
      sink,
      'buildSilver',
      run,
      {
        output: {
          orderLinesRead: 20720,
          orderLinesKept: 19878,
          quarantined: 534,
          quarantineReasons: { non_product_code: 256, duplicate_line: 188, quantity_not_positive: 90 },
        },
      },
      3000,
    );
    // Two batches of the fan-out: SKU counts and backtest sums add up.
    const batch = (skus: number, absError: number, absActual: number) => ({
      output: {
        batchId: `b${skus}`,
        skus,
        forecastRows: skus * 28,
        models: {},
        fallbacks: {},
        backtest: { absError, absActual, maseSum: 1, maseCount: 1 },
      },
    });
    recordStage(sink, 'forecastBatch', run, batch(100, 30, 120), 5000);
    recordStage(sink, 'forecastBatch', run, batch(60, 10, 40), 4000);
    recordStage(
      sink,
      'finalizeForecast',
      run,
      {
        output: {
          trackingRunId: 't',
          modelVersion: '3',
          metrics: { skus: 160, wape: 0.25, mase: 0.8, coverage90: 0.86 },
          breakdownPath: 'p',
        },
      },
      200,
    );
    recordStage(
      sink,
      'checkDrift',
      run,
      { output: { events: 7, driftedSkus: ['A', 'B'], fleetDrift: false, psiOverall: 0.08, skusChecked: 160, driftShare: 0.0125 } },
      700,
    );
    const metrics = await collect();
    const stage = (s: string) => ({ stage: s, runId: 'run-1' });

    expect(sumPoints(byName(metrics, 'demand.orders.lines'))).toEqual([{ attributes: stage('ingestOrders'), value: 20720 }]);
    expect(sumPoints(byName(metrics, 'demand.silver.quarantinedByReason'))).toEqual([
      { attributes: { ...stage('buildSilver'), reason: 'non_product_code' }, value: 256 },
      { attributes: { ...stage('buildSilver'), reason: 'duplicate_line' }, value: 188 },
      { attributes: { ...stage('buildSilver'), reason: 'quantity_not_positive' }, value: 90 },
    ]);
    const share = histogramPoints(byName(metrics, 'demand.silver.quarantineShare'));
    expect(share).toHaveLength(1);
    expect(share[0]!.count).toBe(1);
    expect(share[0]!.sum).toBeCloseTo(534 / 20720, 12);
    expect(sumPoints(byName(metrics, 'demand.forecast.skus'))).toEqual([{ attributes: stage('forecastBatch'), value: 160 }]);
    expect(sumPoints(byName(metrics, 'demand.backtest.absError'))[0]!.value).toBe(40);
    expect(sumPoints(byName(metrics, 'demand.backtest.absActual'))[0]!.value).toBe(160);
    expect(histogramPoints(byName(metrics, 'demand.backtest.wape'))).toEqual([
      { attributes: stage('finalizeForecast'), count: 1, sum: 0.25 },
    ]);
    expect(histogramPoints(byName(metrics, 'demand.backtest.coverage90'))).toEqual([
      { attributes: stage('finalizeForecast'), count: 1, sum: 0.86 },
    ]);
    expect(histogramPoints(byName(metrics, 'demand.drift.share'))).toEqual([{ attributes: stage('checkDrift'), count: 1, sum: 0.0125 }]);
    expect(sumPoints(byName(metrics, 'demand.drift.skusToReforecast'))).toEqual([{ attributes: stage('checkDrift'), value: 2 }]);
    // Units and descriptions come from the catalogue, so App Insights shows what each metric means.
    expect(byName(metrics, 'demand.orders.lines').descriptor).toMatchObject({
      unit: '{line}',
      description: 'Order lines ingested into Bronze',
    });
    // Every metric emitted is declared; nothing undeclared slipped through.
    for (const m of metrics) expect(Object.keys(metricInstruments)).toContain(m.descriptor.name);
    // Stage durations: one histogram point per stage and status; the two batches share one.
    const durations = histogramPoints(byName(metrics, 'demand.stage.duration'));
    expect(durations.find((d) => d.attributes['stage'] === 'forecastBatch')).toEqual({
      attributes: { stage: 'forecastBatch', status: 'completed' },
      count: 2,
      sum: 9000,
    });
    await shutdown();
  });

  it('emits one custom event per stage: name, stage, status, run and error as attributes, counts as measurements', async () => {
    const { sink, logExporter, shutdown } = harness();
    recordStage(sink, 'planInventory', { runId: 'run-2' }, { output: { skus: 40, atRisk: 6, reorderSuggested: 9 } }, 12.4);
    recordStage(sink, 'ingestOrders', { runId: 'run-2' }, { error: 'orders API answered 503' }, 5);
    const records = logExporter.getFinishedLogRecords();
    expect(records).toHaveLength(2);
    expect(records[0]!.attributes).toEqual({
      [customEventNameAttribute]: 'demand.stage',
      stage: 'planInventory',
      status: 'completed',
      durationInMs: 12,
      runId: 'run-2',
    });
    expect(records[0]!.body).toEqual({ measurements: { durationInMs: 12, skus: 40, atRisk: 6, reorderSuggested: 9 } });
    expect(records[0]!.severityNumber).toBe(SeverityNumber.INFO);
    expect(records[1]!.attributes).toMatchObject({ stage: 'ingestOrders', status: 'failed', error: 'orders API answered 503' });
    expect(records[1]!.severityNumber).toBe(SeverityNumber.ERROR);
    await shutdown();
  });

  it('drops what a counter cannot take (negative, not finite) without failing the stage', async () => {
    const { sink, collect, shutdown } = harness();
    sink.metric({ name: 'demand.forecast.skus', value: -3, dimensions: {} });
    sink.metric({ name: 'demand.drift.share', value: Number.NaN, dimensions: {} });
    sink.metric({ name: 'demand.unknown', value: 1, dimensions: {} });
    sink.metric({ name: 'demand.forecast.skus', value: 5, dimensions: { stage: 'forecastBatch' } });
    const metrics = await collect();
    expect(metrics.map((m) => m.descriptor.name)).toEqual(['demand.forecast.skus']);
    expect(sumPoints(metrics[0]!)).toEqual([{ attributes: { stage: 'forecastBatch' }, value: 5 }]);
    await shutdown();
  });

  it('is off without APPLICATIONINSIGHTS_CONNECTION_STRING: the local default sends nothing', () => {
    expect(telemetryFromSettings({}).target).toBe('none');
    expect(telemetryFromSettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: '  ' }).target).toBe('none');
  });
});
