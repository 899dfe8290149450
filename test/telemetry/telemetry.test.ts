/**
 * Stage telemetry: events and metrics from real activity output shapes; the documented alert
 * queries parse and type-check with Kusto's own parser (App Insights `traces` schema; ADX schema
 * replayed from adx/*.kql).
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { logLineTelemetry, recordStage, telemetryLinePrefix, type MetricPoint, type StageEvent } from '../../src/lib/telemetry';
import { analyze, globalsFor, replayScripts } from '../artefacts/kusto';

const root = path.resolve(__dirname, '../..');

describe('stage telemetry', () => {
  it('emits one event per stage with counts and duration, and the alerting metrics', () => {
    const events: StageEvent[] = [];
    const metrics: MetricPoint[] = [];
    const sink = { event: (e: StageEvent) => void events.push(e), metric: (m: MetricPoint) => void metrics.push(m) };
    const silver = {
      orderLinesRead: 20720,
      orderLinesKept: 19878,
      quarantined: 534,
      quarantineReasons: { non_product_code: 256, duplicate_line: 188 },
      tableVersions: { order_lines: 1 },
    };
    recordStage(sink, 'buildSilver', { runId: 'run-1' }, { output: silver }, 1234.6);
    expect(events).toEqual([
      {
        name: 'demand.stage',
        stage: 'buildSilver',
        runId: 'run-1',
        status: 'completed',
        durationInMs: 1235,
        counts: { orderLinesRead: 20720, orderLinesKept: 19878, quarantined: 534 },
      },
    ]);
    const byName = (n: string) => metrics.filter((m) => m.name === n);
    expect(byName('demand.silver.quarantineShare')[0]!.value).toBeCloseTo(534 / 20720, 10);
    expect(byName('demand.silver.quarantinedByReason').map((m) => [m.dimensions['reason'], m.value])).toEqual([
      ['non_product_code', 256],
      ['duplicate_line', 188],
    ]);
    recordStage(
      sink,
      'forecastBatch',
      { runId: 'run-1' },
      { output: { skus: 100, forecastRows: 2800, backtest: { absError: 30, absActual: 120, maseSum: 80, maseCount: 100 } } },
      10,
    );
    expect(byName('demand.forecast.skus')[0]!.value).toBe(100);
    expect(byName('demand.backtest.absActual')[0]!.value).toBe(120);
    recordStage(
      sink,
      'checkDrift',
      { runId: 'run-1' },
      { output: { events: 12, driftedSkus: ['A', 'B'], fleetDrift: false, psiOverall: 0.08 } },
      10,
    );
    expect(byName('demand.drift.skusToReforecast')[0]!.value).toBe(2);
    recordStage(sink, 'ingestOrders', { runId: 'run-1' }, { error: 'orders API answered 503' }, 5);
    expect(events.at(-1)).toMatchObject({ stage: 'ingestOrders', status: 'failed', error: 'orders API answered 503' });
  });

  it('writes one parseable line per record, and a failing sink never fails the stage', () => {
    const lines: string[] = [];
    recordStage(
      logLineTelemetry((l) => lines.push(l)),
      'planInventory',
      { runId: 'r' },
      { output: { skus: 40, atRisk: 6 } },
      1,
    );
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line.startsWith(telemetryLinePrefix)).toBe(true);
    expect(JSON.parse(lines[0]!.slice(telemetryLinePrefix.length))).toMatchObject({
      type: 'event',
      stage: 'planInventory',
      counts: { skus: 40, atRisk: 6 },
    });
    const throwing = {
      event: () => {
        throw new Error('exporter down');
      },
      metric: () => undefined,
    };
    expect(() => recordStage(throwing, 'publish', {}, { output: {} }, 1)).not.toThrow();
  });

  it("documents alert queries that Kusto's parser accepts against the Application Insights and ADX schemas", () => {
    const doc = readFileSync(path.join(root, 'docs/telemetry.md'), 'utf8');
    const blocks = [...doc.matchAll(/```kql( adx)?\n([\s\S]*?)```/g)].map((m) => ({ adx: m[1] !== undefined, text: m[2]! }));
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    // The Application Insights tables the queries read, with the columns of their documented schema.
    const appInsights = globalsFor({
      tables: new Map([
        [
          'traces',
          '(timestamp:datetime, message:string, severityLevel:int, customDimensions:dynamic, operation_Id:string, cloud_RoleName:string)',
        ],
        [
          'customEvents',
          '(timestamp:datetime, name:string, itemType:string, customDimensions:dynamic, customMeasurements:dynamic, operation_Id:string, operation_Name:string, cloud_RoleName:string)',
        ],
        [
          'customMetrics',
          '(timestamp:datetime, name:string, value:real, valueCount:int, valueSum:real, valueMin:real, valueMax:real, valueStdDev:real, customDimensions:dynamic, operation_Id:string, cloud_RoleName:string)',
        ],
      ]),
      views: new Map(),
      functions: new Map(),
    });
    const adxDir = path.join(root, 'adx');
    const adx = replayScripts(
      readdirSync(adxDir)
        .filter((f) => f.endsWith('.kql'))
        .sort()
        .map((f) => ({ file: f, text: readFileSync(path.join(adxDir, f), 'utf8') })),
    );
    for (const block of blocks) {
      const errors = analyze(block.text, block.adx ? adx.globals : appInsights).diagnostics.filter((d) => d.severity === 'Error');
      expect({ query: block.text.slice(0, 60), errors }).toEqual({ query: block.text.slice(0, 60), errors: [] });
    }
  });
});
