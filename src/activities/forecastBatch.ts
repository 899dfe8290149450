import { openLakeTable } from '../lib/delta';
import type { DeltaRow } from '../lib/delta/types';
import type { SkuForecast } from '../lib/forecast';
import type { ForecastBatchInput, ForecastBatchOutput, ReasonCounts } from '../contracts/messages';
import type { PipelineServices } from '../lib/pipelineServices';
import { loadForecastCalendar } from './forecastCalendar';
import { sharedForecastPool } from './forecastPool';
import { batchBreakdownPath, readSkuBatch, type SkuBatch } from '../contracts/skuBatches';
import { capCounts } from '../contracts/breakdown';
import { lakeTables } from '../lib/lakeTables';
import { crashPoint } from '../lib/testing/crashPoints';
import { addBacktestRow, backtestRowOf, emptySegmentedSums } from '../lib/registry/backtestSums';
import { LakeNotFoundError } from '../lib/errors';
import { lakePath } from '../lib/lake/lakeStore';
import { writeSelectionRecords, type SelectionRecord } from '../lib/runs/warmStartRecords';
import { signalOf } from '../lib/pipelineServices';
import { goldForecastRows } from './goldForecastRows';

/**
 * The 'wide' policy (what challenger runs try): every model but ARIMA for every SKU, instead of the
 * per-demand-class shortlist. Models that need more history than a SKU has drop out with a reason.
 */
export const wideCandidates = [
  'harmonic',
  'harmonic_smooth',
  'smedian',
  'theta',
  'ets',
  'mstl',
  'snaive',
  'croston',
  'sba',
  'tsb',
  'adida',
] as const;

function finiteOr(value: number | null | undefined, fallback: number | null): number | null {
  return value === null || value === undefined || !Number.isFinite(value) ? fallback : value;
}

function count(into: ReasonCounts, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

/**
 * Forecasts one SKU batch on the worker pool and writes its Gold rows (forecasts,
 * forecast_metrics, model_params) itself. Each write carries a Delta transaction id per
 * (table, run, batch), so a retried activity never duplicates a batch's rows.
 */
export async function forecastBatch(input: ForecastBatchInput, services: PipelineServices): Promise<ForecastBatchOutput> {
  const batch = await readSkuBatch(services.lake, input.batch.path, signalOf(services));
  const pool = sharedForecastPool(services.settings);
  const calendar = await loadForecastCalendar(services.lake, services.settings, signalOf(services));
  // Warm start only under the default policy: a challenger run exists to try more candidates.
  const warm = input.policy !== 'wide';
  const results: SkuForecast[] = await forecastOnce(input, batch, services, () =>
    pool.forecast(
      batch.series.map((s) => ({
        sku: s.sku,
        startDate: s.startDate,
        values: s.values,
        censored: s.censored,
        ...(warm && s.warmStart ? { warmStart: { model: s.warmStart.model, profileKey: s.warmStart.profileKey } } : {}),
      })),
      {
        horizon: input.horizonDays,
        season: input.season,
        modelTimeoutInMs: services.settings.DEMAND_FORECAST_MODEL_TIMEOUT_MS,
        ...(calendar ? { calendar } : {}),
        ...(input.policy === 'wide' ? { models: [...wideCandidates] } : {}),
      },
      // SKUs done as worker chunks land (a delta, not a running total: batches run side by side).
      services.progress ? { onForecast: (skus) => services.progress?.('forecast:skus', skus) } : {},
    ),
  );

  const forecasts: DeltaRow[] = [];
  const metrics: DeltaRow[] = [];
  const params: DeltaRow[] = [];
  // The batch's backtest as sums per segment: finalizeForecast adds these up instead of reading every SKU's row.
  const backtestSums = emptySegmentedSums();
  const output: ForecastBatchOutput = {
    batchId: input.batch.batchId,
    skus: results.length,
    forecastRows: 0,
    models: {},
    fallbacks: {},
    backtest: { absError: 0, absActual: 0, maseSum: 0, maseCount: 0 },
  };
  for (const f of results) {
    count(output.models, f.model);
    // Reasons carry per-SKU figures ("42 stockout day(s) imputed…"); count them by kind.
    if (f.fallbackReason) count(output.fallbacks, f.fallbackReason.replace(/\d+(\.\d+)?/g, 'N'));
    forecasts.push(...goldForecastRows(input.runId, batch.endDate, f));
    const m = f.metrics;
    const metricRow: DeltaRow = {
      run_id: input.runId,
      sku: f.sku,
      model: f.model,
      segment: f.segment,
      demand_class: f.demandClass,
      mase: finiteOr(m.mase, null),
      wape: finiteOr(m.wape, null),
      smape: finiteOr(m.smape, null),
      bias: finiteOr(m.bias, null),
      coverage90: finiteOr(m.coverage90, null),
      pinball: finiteOr(m.pinball, null),
      abs_err: finiteOr(m.absError, 0) ?? 0,
      abs_actual: finiteOr(m.absActual, 0) ?? 0,
      windows: m.windows,
      fallback_reason: f.fallbackReason,
    };
    metrics.push(metricRow);
    addBacktestRow(
      backtestSums,
      backtestRowOf({ ...metricRow, coverage50: finiteOr(m.coverage50, null), mean_signed_error: finiteOr(m.meanSignedError, null) }),
    );
    params.push({
      run_id: input.runId,
      sku: f.sku,
      model: f.model,
      params: JSON.stringify(f.params),
      candidates: JSON.stringify(f.candidates),
    });
    output.backtest.absError += finiteOr(m.absError, 0) ?? 0;
    output.backtest.absActual += finiteOr(m.absActual, 0) ?? 0;
    if (m.mase !== null && Number.isFinite(m.mase)) {
      output.backtest.maseSum += m.mase;
      output.backtest.maseCount += 1;
    }
  }
  output.forecastRows = forecasts.length;

  const txn = (table: string) => ({ appId: `${table}:${input.runId}:${input.batch.batchId}`, version: 1 });
  for (const [def, rows] of [
    [lakeTables.forecasts, forecasts],
    [lakeTables.forecast_metrics, metrics],
    [lakeTables.model_params, params],
  ] as const) {
    if (rows.length === 0) continue;
    await openLakeTable(services.lake, def).write(rows, {
      schema: def.schema,
      partitionBy: def.partitionBy,
      mode: 'append',
      // A lake from before a column was added (Gold forecasts' `expected`) gains it on this write.
      schemaMode: 'merge',
      transaction: txn(def.name),
      commitInfo: { runId: input.runId, batchId: input.batch.batchId },
    });
  }
  // The choices go to the lake before the batch reports done; the next run re-uses them only once this run completed.
  const selections = selectionRecordsOf(batch, results);
  await writeSelectionRecords(services.lake, input.runId, input.batch.batchId, selections, signalOf(services));
  // The full breakdown and backtest sums go to the lake (finalizeForecast merges them); history gets the top counts.
  const breakdown = { models: output.models, fallbacks: output.fallbacks, backtest: backtestSums };
  await services.lake.put(batchBreakdownPath(input.runId, input.batch.batchId), Buffer.from(JSON.stringify(breakdown)));
  const warmCount = selections.filter((r) => r.mode === 'warm').length;
  services.log(
    `batch ${input.batch.batchId}: ${results.length} SKUs (${warmCount} warm-started, ${selections.length - warmCount} full selection), ${forecasts.length} forecast rows`,
  );
  crashPoint('forecast:batch-written');
  return { ...output, models: capCounts(output.models), fallbacks: capCounts(output.fallbacks) };
}

/**
 * One record per SKU whose model was selected (rule-based paths such as all-zero history have none).
 * A warm-started SKU carries its full selection's choice and day on, not today's re-ranking among
 * its members: otherwise a combination would narrow day by day until the next full selection.
 */
function selectionRecordsOf(batch: { endDate: string; series: SkuBatch['series'] }, results: readonly SkuForecast[]): SelectionRecord[] {
  const bySku = new Map(batch.series.map((s) => [s.sku, s]));
  const out: SelectionRecord[] = [];
  for (const f of results) {
    if (!f.selection) continue;
    const stored = f.selection.mode === 'warm' ? bySku.get(f.sku)?.warmStart : undefined;
    out.push({
      sku: f.sku,
      model: stored?.model ?? f.model,
      profileKey: f.selection.profileKey,
      selectedOn: stored?.selectedOn ?? batch.endDate,
      mode: f.selection.mode,
    });
  }
  return out;
}

/** Where a batch's forecasts wait between the models and the Gold commits (beside the batch, per run). */
export function batchResultsPath(runId: string, batchId: string): string {
  return lakePath('runs', encodeURIComponent(runId), 'results', `${batchId}.json`);
}

/**
 * The batch's forecasts, computed once per run: a retried activity (a Gold commit that gave up on a
 * busy table, a crash after the models ran) re-uses what the first attempt stored instead of
 * forecasting the whole batch again. Stored results are used only for the same batch content
 * (daily_demand version, origin, policy); the engine is deterministic, so they are what a re-run
 * would compute.
 */
async function forecastOnce(
  input: ForecastBatchInput,
  batch: SkuBatch,
  services: PipelineServices,
  compute: () => Promise<SkuForecast[]>,
): Promise<SkuForecast[]> {
  const path = batchResultsPath(input.runId, input.batch.batchId);
  const key = { dailyDemandVersion: batch.dailyDemandVersion, endDate: batch.endDate, policy: input.policy ?? 'default' };
  try {
    const stored = JSON.parse((await services.lake.read(path, signalOf(services))).toString('utf8')) as typeof key & {
      results?: SkuForecast[];
    };
    if (
      stored.dailyDemandVersion === key.dailyDemandVersion &&
      stored.endDate === key.endDate &&
      stored.policy === key.policy &&
      Array.isArray(stored.results) &&
      stored.results.length === batch.series.length
    ) {
      services.log(`batch ${input.batch.batchId}: re-using the forecasts of an earlier attempt (${path})`);
      return stored.results;
    }
  } catch (err) {
    if (!(err instanceof LakeNotFoundError) && !(err instanceof SyntaxError)) throw err;
  }
  const results = await compute();
  await services.lake.put(path, Buffer.from(JSON.stringify({ ...key, results })), signalOf(services));
  return results;
}
