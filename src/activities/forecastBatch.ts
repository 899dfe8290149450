import type { DeltaRow } from '../lib/delta/types';
import type { SkuForecast } from '../lib/forecast';
import type { ForecastBatchInput, ForecastBatchOutput, ReasonCounts } from '../contracts/messages';
import type { PipelineServices } from '../lib/pipelineServices';
import { loadForecastCalendar } from './forecastCalendar';
import { sharedForecastPool } from './forecastPool';
import { batchBreakdownPath, readSkuBatch, type SkuBatch } from '../contracts/skuBatches';
import { capCounts } from '../contracts/breakdown';
import { findStagedBatch, recordStagedBatch, stageBatchRows, stagedBatchPath, type StagedBatchKey } from './goldStaging';
import { crashPoint } from '../lib/testing/crashPoints';
import { addBacktestRow, backtestRowOf, emptySegmentedSums } from '../lib/registry/backtestSums';
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
 * Forecasts one SKU batch on the worker pool and stages its Gold rows (forecasts,
 * forecast_metrics, model_params) as data files with a record of them (goldStaging.ts); the run's
 * finalizeForecast commits every batch's files at once, so parallel batches never contend for a
 * table's log. A retried activity finds the record of an earlier attempt and returns its output
 * without running the models or writing anything again.
 */
export async function forecastBatch(input: ForecastBatchInput, services: PipelineServices): Promise<ForecastBatchOutput> {
  const batch = await readSkuBatch(services.lake, input.batch.path, signalOf(services));
  const key: StagedBatchKey = { dailyDemandVersion: batch.dailyDemandVersion, endDate: batch.endDate, policy: input.policy ?? 'default' };
  const done = await findStagedBatch(services, input.runId, input.batch.batchId, key);
  if (done) {
    services.log(
      `batch ${input.batch.batchId}: staged by an earlier attempt (${stagedBatchPath(input.runId, input.batch.batchId)}); re-used`,
    );
    return done.output;
  }
  const pool = sharedForecastPool(services.settings);
  const calendar = await loadForecastCalendar(services.lake, services.settings, signalOf(services));
  // Warm start only under the default policy: a challenger run exists to try more candidates.
  const warm = input.policy !== 'wide';
  const results: SkuForecast[] = await pool.forecast(
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

  // Staged, not committed: finalizeForecast adds every batch's files in one commit per table.
  const staged = await stageBatchRows(services, input.batch.batchId, { forecasts, forecast_metrics: metrics, model_params: params });
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
  const reported = { ...output, models: capCounts(output.models), fallbacks: capCounts(output.fallbacks) };
  // The record goes last: once it is there, the batch is done and a retry returns its output.
  const record = await recordStagedBatch(services, input.runId, input.batch.batchId, { key, output: reported, tables: staged });
  crashPoint('forecast:batch-written');
  return record.output;
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
