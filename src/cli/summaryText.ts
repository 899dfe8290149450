import type { RunSummary } from '../orchestrators/summary';

const n = (value: number | undefined | null): string => (value ?? 0).toLocaleString('en-GB');

/**
 * A counted reason as a reader sees it: per-SKU figures were replaced by N to count reasons by
 * kind, and a sentence must not show that placeholder ("N stockout day(s)", "(N < N seasons)").
 */
export function readableReason(key: string): string {
  return key
    .replace(/\(N < N seasons\)/g, '(under 2 seasons)')
    .replace(/\bN (?=[a-z])/g, '')
    .replace(/\bday\(s\)/g, 'days')
    .replace(/\(N\)/g, '')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

/** Top entries of a count map; combinations (mean(...)/median(...)) are grouped under one name. */
function topCounts(counts: Record<string, number>, limit = 6): string {
  const grouped: Record<string, number> = {};
  for (const [key, value] of Object.entries(counts)) {
    const name = /^(mean|median)\(/.test(key) ? `${key.slice(0, key.indexOf('('))} combination` : readableReason(key);
    grouped[name] = (grouped[name] ?? 0) + value;
  }
  const sorted = Object.entries(grouped).sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, limit).map(([k, v]) => `${k} ${v}`);
  const rest = sorted.slice(limit).reduce((sum, [, v]) => sum + v, 0);
  return rest > 0 ? `${shown.join(', ')}, others ${rest}` : shown.join(', ');
}

const percent = (v: number, signed = false): string => `${signed && v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}%`;

/** Fleet bias and band coverage of the run's backtest, from its tracked metrics (absent before finalize ran). */
function backtestCalibration(tracking: { fleetBias?: number; metrics?: Record<string, number> } | undefined): string {
  const m = tracking?.metrics ?? {};
  const bias = tracking?.fleetBias ?? m['fleet_bias'];
  const pointBias = m['point_fleet_bias'];
  const parts: string[] = [];
  // The fleet bias is on the expected units (Gold `expected`, what totals add up); the points' is kept beside it.
  if (bias !== undefined) {
    const onPoints = pointBias !== undefined ? ` (points ${percent(pointBias, true)})` : '';
    parts.push(`fleet bias ${percent(bias, true)} on expected units${onPoints} (Σ forecast ÷ Σ actual − 1)`);
  } else if (pointBias !== undefined) {
    parts.push(`fleet bias ${percent(pointBias, true)} on points (Σ forecast ÷ Σ actual − 1; no expected units in this run's backtest)`);
  }
  if (m['coverage50'] !== undefined) parts.push(`q25–q75 holds ${percent(m['coverage50'])}`);
  if (m['coverage90'] !== undefined) parts.push(`q05–q95 ${percent(m['coverage90'])}`);
  return parts.length ? `, ${parts.join(', ')}` : '';
}

/** What the run's own data says, for the summary (read from Silver products after the run). */
export interface RunDataFacts {
  /** The SKU with the most units: the follow-up commands name it. */
  topSku?: string;
  /** First and last sale day in the data (not partition bounds). */
  firstDay?: string;
  lastDay?: string;
}

/** The human-readable end of `demand run`: counts per stage, quarantine reasons, outputs, next steps. */
export function formatRunSummary(
  summary: RunSummary,
  where: { lake: string; state: string; workspace?: string | undefined; data?: RunDataFacts },
): string {
  const s = summary.stages;
  const lines: string[] = [];
  lines.push('');
  lines.push(`Run ${summary.runId}: ${summary.status}${summary.error ? ` — ${summary.error}` : ''}`);
  lines.push('');
  if (s.ingestOrders) {
    const problems = Object.entries(s.ingestOrders.problems);
    const files = s.ingestOrders as { filesFound?: number; filesRejected?: number; rejected?: Array<{ file: string; reason: string }> };
    const from =
      files.filesFound !== undefined
        ? `from ${n(files.filesFound)} file(s)${files.filesRejected ? `, ${n(files.filesRejected)} rejected` : ''}`
        : `in ${n(s.ingestOrders.pages)} pages`;
    lines.push(
      `  Orders ingested      ${n(s.ingestOrders.records)} lines ${from} → ${n(s.ingestOrders.batches)} Bronze parts` +
        (problems.length ? ` (not usable, kept in Bronze for quarantine: ${problems.map(([k, v]) => `${k} ${n(v)}`).join(', ')})` : ''),
    );
    for (const r of files.rejected?.slice(0, 5) ?? []) lines.push(`                         rejected ${r.file}: ${r.reason}`);
  }
  if (s.ingestInventory) {
    lines.push(
      `  Inventory files      ${n(s.ingestInventory.filesIngested)} ingested (${n(s.ingestInventory.records)} rows), ${n(s.ingestInventory.filesRejected)} rejected`,
    );
    for (const r of s.ingestInventory.rejected.slice(0, 5)) lines.push(`                         rejected ${r.file}: ${r.reason}`);
  }
  if (s.silver) {
    lines.push(
      `  Silver               ${n(s.silver.orderLinesKept)} clean order lines (${n(s.silver.unitsKept)} units), ${n(s.silver.cancellations - (s.silver.returns ?? 0))} cancelled${s.silver.returns ? ` and ${n(s.silver.returns)} returned` : ''} (cancellations table), ${n(s.silver.quarantined)} quarantined` +
        (s.silver.quality && s.silver.quality.records > 0
          ? ` (${(100 * s.silver.quality.share).toFixed(1)}% of ${n(s.silver.quality.records)} order records)`
          : ''),
    );
    const range =
      where.data?.firstDay && where.data.lastDay
        ? `sales ${where.data.firstDay} … ${where.data.lastDay}`
        : `${s.silver.affectedFrom ?? '-'} … ${s.silver.affectedTo ?? '-'}`;
    lines.push(`                       ${n(s.silver.skus)} SKUs, ${n(s.silver.dailyDemandRows)} daily demand rows (${range})`);
  }
  const reasons = Object.entries(summary.quarantineReasons).sort((a, b) => b[1] - a[1]);
  if (reasons.length) {
    lines.push('  Quarantined by reason');
    for (const [reason, count] of reasons) lines.push(`    ${reason.padEnd(28)} ${n(count).padStart(9)}`);
  }
  for (const warning of s.silver?.quality?.warnings ?? []) lines.push(`  WARNING              ${warning}`);
  if (s.forecast) {
    const bt = s.forecast.backtest;
    const wape = bt.absActual > 0 ? (bt.absError / bt.absActual) * 100 : null;
    const mase = bt.maseCount > 0 ? bt.maseSum / bt.maseCount : null;
    const inactive = s.forecast.inactiveSkus ? ` (${n(s.forecast.inactiveSkus)} SKUs with no sale in the last year skipped)` : '';
    lines.push(
      `  Forecast             ${n(s.forecast.skus)} SKUs in ${n(s.forecast.batches)} batches, ${n(s.forecast.forecastRows)} Gold forecast rows${inactive}`,
    );
    lines.push(
      `                       backtest WAPE ${wape === null ? '-' : `${wape.toFixed(1)}%`}, mean MASE ${mase === null ? '-' : mase.toFixed(3)}${backtestCalibration(s.tracking)}`,
    );
    lines.push(`                       models chosen: ${topCounts(s.forecast.models)}`);
    if (Object.keys(s.forecast.fallbacks).length)
      lines.push(`                       fallbacks and notes: ${topCounts(s.forecast.fallbacks, 4)}`);
  }
  if (s.tracking) lines.push(`  Tracking             run ${s.tracking.trackingRunId}, policy version ${s.tracking.modelVersion ?? '-'}`);
  if (s.inventory)
    lines.push(
      `  Inventory actions    ${n(s.inventory.skus)} SKUs, ${n(s.inventory.atRisk)} at stockout risk, ${n(s.inventory.reorderSuggested)} reorders suggested`,
    );
  if (s.drift)
    lines.push(
      `  Drift                ${n(s.drift.events)} events, ${n(s.drift.reforecastSkus)} SKUs re-forecast${s.drift.challengerStarted ? ', challenger run started' : ''}`,
    );
  lines.push('');
  lines.push('Outputs');
  lines.push(`  lake (Bronze/Silver/Gold Delta tables)  ${where.lake}`);
  lines.push(`  state (watermarks, runs, registry)      ${where.state}`);
  for (const [name, location] of Object.entries(summary.outputs)) {
    if (location !== where.lake) lines.push(`  ${name.padEnd(40)}${location}`);
  }
  lines.push('');
  const ws = where.workspace ? ` --workspace ${where.workspace}` : '';
  const sku = where.data?.topSku ?? '85123A';
  lines.push('Look at it');
  if (summary.outputs['dashboard']) lines.push(`  open the dashboard:      ${summary.outputs['dashboard']}`);
  lines.push(`  a Silver table:          npx demand${ws} export daily_demand --where "sku=${sku}" --format csv | head`);
  lines.push(`  this run's forecasts:    npx demand${ws} export forecasts --where "run_id=${summary.runId}" | head`);
  lines.push(`  quarantined records:     npx demand${ws} export quarantine --format ndjson | head`);
  lines.push(`  the policy registry:     npx demand${ws} models list`);
  lines.push(`  the HTTP API, locally:   npx demand${ws} serve   (then POST /api/skus/${encodeURIComponent(sku)}/forecast)`);
  return lines.join('\n');
}
