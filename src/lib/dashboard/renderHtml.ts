/**
 * The dashboard as one self-contained HTML file: uPlot's minified JS and CSS, the client script and
 * the run's data are all inlined, so the file opens from disk with no network.
 */
import { readFileSync } from 'node:fs';
import { clientScript } from './clientScript';
import type { DashboardData } from './dashboardData';

export interface ChartAssets {
  js: string;
  css: string;
}

let cachedAssets: ChartAssets | undefined;

/** uPlot's browser build from node_modules (read once per process). */
export function chartAssets(): ChartAssets {
  cachedAssets ??= {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
  return cachedAssets;
}

/** JSON safe inside a <script> element: no "</script", no HTML comment openers, no JS line separators. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function inlineScript(source: string): string {
  // A literal "</script" would end the element early; none of the inlined sources has one, keep it so.
  return source.replace(/<\/script/gi, '<\\/script');
}

const styles = `
  :root { --ink: #1d2733; --muted: #5b6b7c; --line: #d9e0e7; --bg: #f5f7fa; --accent: #1f4e79; --bad: #c0392b; --warn: #d68910; --good: #1e8449; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
  header { padding: 14px 20px; background: var(--accent); color: #fff; display: flex; justify-content: space-between; align-items: baseline; flex-wrap: wrap; gap: 8px; }
  header h1 { margin: 0; font-size: 20px; }
  header .meta { font-size: 12px; opacity: 0.85; }
  main { padding: 16px 20px; display: grid; grid-template-columns: repeat(12, 1fr); gap: 16px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; min-width: 0; }
  section h2 { margin: 0 0 10px; font-size: 15px; }
  .span-12 { grid-column: span 12; } .span-9 { grid-column: span 9; } .span-3 { grid-column: span 3; }
  .span-6 { grid-column: span 6; } .span-4 { grid-column: span 4; } .span-8 { grid-column: span 8; }
  @media (max-width: 1000px) { .span-9, .span-3, .span-6, .span-4, .span-8 { grid-column: span 12; } }
  #summary { display: flex; flex-wrap: wrap; gap: 10px; }
  .card { flex: 1 1 130px; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; background: #fbfcfd; }
  .card .label { font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.03em; }
  .card .value { font-size: 18px; font-weight: 600; word-break: break-all; }
  #models { color: var(--muted); font-size: 12px; margin: 8px 0 0; }
  #sku-search { width: 100%; padding: 6px 8px; border: 1px solid var(--line); border-radius: 4px; margin-bottom: 6px; }
  #sku-select { width: 100%; height: 330px; border: 1px solid var(--line); border-radius: 4px; }
  #sku-facts { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: var(--muted); margin-bottom: 6px; }
  table { width: 100%; border-collapse: collapse; font-size: 12px; }
  th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); }
  th { color: var(--muted); font-weight: 600; position: sticky; top: 0; background: #fff; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.clickable { cursor: pointer; } tr.clickable:hover { background: #eef3f8; }
  .scroll { max-height: 320px; overflow: auto; }
  .bar { height: 10px; background: var(--accent); border-radius: 2px; min-width: 2px; }
  .bar.down { background: var(--bad); } .bar.up { background: var(--good); }
  tr.action-reorder_now td:nth-child(2) { color: var(--bad); font-weight: 600; }
  tr.action-watch td:nth-child(2) { color: var(--warn); font-weight: 600; }
  tr.action-ok td:nth-child(2) { color: var(--good); }
  select#action-filter { margin-bottom: 6px; }
  footer { padding: 0 20px 16px; color: var(--muted); font-size: 11px; }
`;

export function renderDashboardHtml(data: DashboardData, assets: ChartAssets = chartAssets()): string {
  const title = `Demand forecast — ${data.runId ?? 'no run'}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${assets.css}</style>
<style>${styles}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><div class="meta">Generated ${escapeHtml(data.generatedAt)} from ${escapeHtml(data.lake)}</div></header>
<main>
  <section class="span-12" id="run-summary"><h2>Run summary</h2><div id="summary"></div><p id="models"></p></section>
  <section class="span-3" id="sku-panel"><h2>SKU</h2>
    <input id="sku-search" type="search" placeholder="Search SKU or description" autocomplete="off" aria-label="Search SKUs">
    <select id="sku-select" size="16" aria-label="SKU"></select>
  </section>
  <section class="span-9" id="forecast-panel"><h2 id="chart-title">Forecast vs actual</h2><div id="sku-facts"></div><div id="forecast-chart"></div>
    <p style="color:var(--muted);font-size:11px;margin:4px 0 0">Actual daily units (last ${data.historyDays} days), forecast point, and 50% (q25–q75) and 90% (q05–q95) intervals.</p></section>
  <section class="span-6" id="movers-panel"><h2>Top movers (units, last 28 days vs the 28 before)</h2>
    <div class="scroll"><table id="movers"><thead><tr><th>SKU</th><th>Previous</th><th>Recent</th><th>Change</th><th>%</th><th></th></tr></thead><tbody></tbody></table></div></section>
  <section class="span-6" id="accuracy-panel"><h2>Accuracy distribution (backtest MASE per SKU)</h2><div id="accuracy-chart"></div></section>
  <section class="span-8" id="actions-panel"><h2>Stockout risk and inventory actions</h2>
    <select id="action-filter" aria-label="Filter actions"><option value="all">All actions</option><option value="reorder_now">Reorder now</option><option value="watch">Watch</option><option value="no_stock_data">No stock data</option><option value="ok">OK</option></select>
    <div class="scroll"><table id="actions"><thead><tr><th>SKU</th><th>Action</th><th>On hand</th><th>Days of cover</th><th>Stockout</th><th>Safety stock</th><th>Reorder point</th><th>Order qty</th></tr></thead><tbody></tbody></table></div></section>
  <section class="span-4" id="quality-panel"><h2>Data quality</h2><div id="quality"></div></section>
  <section class="span-12" id="drift-panel"><h2>Drift events</h2>
    <div class="scroll"><table id="drift"><thead><tr><th>Detected</th><th>Kind</th><th>SKU</th><th>Value</th><th>Threshold</th><th>Action</th></tr></thead><tbody></tbody></table></div></section>
</main>
<footer>Charts: uPlot (MIT). This file is self-contained and needs no network.</footer>
<script id="dashboard-data" type="application/json">${scriptSafeJson(data)}</script>
<script>${inlineScript(assets.js)}</script>
<script>${inlineScript(clientScript)}</script>
</body>
</html>
`;
}
