/**
 * The dashboard as an HTML file that opens from disk with no network: uPlot's minified JS and CSS,
 * the client script and the run's head data are inlined. A small fleet's catalogue and series are
 * inlined too (one self-contained file); a large fleet's are written as script files in a folder
 * beside the HTML, loaded with <script> elements on demand (fetch() of file:// URLs is blocked).
 */
import { readFileSync } from 'node:fs';
import { clientScript } from './clientScript';
import type { DashboardData } from './dashboardData';
import { splitDashboard, type DashboardParts } from './dashboardParts';

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

const unsafeInScript = /[<>\u2028\u2029]/;

/** JSON safe inside a <script> element: no "</script", no HTML comment openers, no JS line separators. */
export function scriptSafeJson(value: unknown): string {
  const json = JSON.stringify(value);
  // Most texts (a SKU's numbers) hold none of them: one scan instead of four replaces.
  if (!unsafeInScript.test(json)) return json;
  return json
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
  /* Bases small enough that the nine cards fit one row on a 1400 px window (a lone wrapped card stretched across the page). */
  #summary { display: flex; flex-wrap: wrap; gap: 10px; }
  .card { flex: 1 1 112px; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; background: #fbfcfd; }
  .card .label { font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.03em; }
  .card .value { font-size: 17px; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .card.wide { flex: 2 1 232px; } .card.wide .value { font-size: 14px; line-height: 25px; font-family: ui-monospace, Menlo, Consolas, monospace; }
  .note { color: var(--muted); font-size: 12px; margin: 4px 0 8px; }
  .empty { color: var(--muted); padding: 40px 10px; text-align: center; border: 1px dashed var(--line); border-radius: 6px; }
  #sku-count { color: var(--muted); font-size: 11px; margin: 4px 0 0; }
  #sku-filter { width: 100%; margin-bottom: 6px; }
  #models { color: var(--muted); font-size: 12px; margin: 8px 0 0; }
  #sku-search { width: 100%; padding: 6px 8px; border: 1px solid var(--line); border-radius: 4px; margin-bottom: 6px; }
  #sku-select { width: 100%; height: 330px; border: 1px solid var(--line); border-radius: 4px; }
  #sku-facts { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: var(--muted); margin-bottom: 6px; }
  table { width: 100%; border-collapse: collapse; font-size: 12px; }
  th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); }
  th { color: var(--muted); font-weight: 600; position: sticky; top: 0; background: #fff; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  #actions td:not(:nth-child(2)), #drift td:first-child { white-space: nowrap; }
  tr.clickable { cursor: pointer; } tr.clickable:hover { background: #eef3f8; }
  .scroll { max-height: 320px; overflow: auto; }
  .bar { height: 10px; background: var(--accent); border-radius: 2px; min-width: 2px; }
  .bar.down { background: var(--bad); } .bar.up { background: var(--good); }
  tr.action-reorder_now td:nth-child(3) { color: var(--bad); font-weight: 600; }
  tr.action-watch td:nth-child(3) { color: var(--warn); font-weight: 600; }
  tr.action-ok td:nth-child(3) { color: var(--good); }
  select#action-filter { margin-bottom: 6px; }
  footer { padding: 0 20px 16px; color: var(--muted); font-size: 11px; }
`;

/** The part files' folder content: `window.demandDashboardPart(name, payload)` per file. */
export function partScript(name: string, payload: unknown): string {
  return `window.demandDashboardPart(${JSON.stringify(name)}, ${scriptSafeJson(payload)});\n`;
}

export const chunkPartName = (index: number): string => `chunk-${String(index).padStart(5, '0')}`;

export interface DashboardFiles {
  html: string;
  /** Part file name (inside `partsDir`) → content; empty when everything is inlined. */
  files: Map<string, string>;
}

/**
 * The page and, with `partsDir` (a folder name relative to the HTML), its part files. Without
 * `partsDir`, every part is inlined into the one file.
 */
export function renderDashboardFiles(
  data: DashboardData,
  options: { partsDir?: string; chunkSize?: number; assets?: ChartAssets } = {},
): DashboardFiles {
  const parts = splitDashboard(data, options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {});
  const named = partsByName(parts);
  if (options.partsDir === undefined)
    return {
      html: renderPage(data, { head: parts.head, inline: Object.fromEntries(named), partsDir: null }, options.assets),
      files: new Map(),
    };
  const files = new Map([...named].map(([name, payload]) => [`${name}.js`, partScript(name, payload)] as const));
  return { html: renderPage(data, { head: parts.head, inline: {}, partsDir: options.partsDir }, options.assets), files };
}

function partsByName(parts: DashboardParts): Map<string, unknown> {
  const named = new Map<string, unknown>([['catalogue', parts.catalogue]]);
  parts.chunks.forEach((chunk, i) => named.set(chunkPartName(i), chunk));
  return named;
}

/** The self-contained page (everything inlined). */
export function renderDashboardHtml(data: DashboardData, assets: ChartAssets = chartAssets()): string {
  return renderDashboardFiles(data, { assets }).html;
}

export interface PagePayload {
  head: DashboardParts['head'];
  inline: Record<string, unknown>;
  partsDir: string | null;
}

export function renderPage(
  data: Pick<DashboardData, 'runId' | 'generatedAt' | 'lake' | 'historyDays'>,
  payload: PagePayload,
  assets: ChartAssets = chartAssets(),
): string {
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
    <select id="sku-filter" aria-label="Which SKUs to list"><option value="action">Needs action (reorder now, watch)</option><option value="all">All SKUs</option></select>
    <input id="sku-search" type="search" placeholder="Search SKU or product name" autocomplete="off" aria-label="Search SKUs">
    <select id="sku-select" size="16" aria-label="SKU"></select><p id="sku-count"></p>
  </section>
  <section class="span-9" id="forecast-panel"><h2 id="chart-title">Forecast vs actual</h2><div id="sku-facts"></div><div id="forecast-chart"></div>
    <p style="color:var(--muted);font-size:11px;margin:4px 0 0">Actual daily units (last ${data.historyDays} days), forecast point, and 50% (q25–q75) and 90% (q05–q95) intervals.</p></section>
  <section class="span-6" id="movers-panel"><h2>Top movers (units, last 28 days vs the 28 days before)</h2>
    <div class="scroll"><table id="movers"><thead><tr><th>SKU</th><th>Product</th><th>Previous 28 d</th><th>Last 28 d</th><th>Change</th><th>Change %</th><th></th></tr></thead><tbody></tbody></table></div></section>
  <section class="span-6" id="accuracy-panel"><h2>Accuracy distribution (backtest MASE per SKU)</h2><div id="accuracy-chart"></div></section>
  <section class="span-8" id="actions-panel"><h2>Stockout risk and inventory actions</h2>
    <select id="action-filter" aria-label="Filter actions"><option value="all">All actions</option><option value="reorder_now">Reorder now</option><option value="watch">Watch</option><option value="no_stock_data">No stock data</option><option value="ok">OK</option></select>
    <p id="actions-note" class="note"></p>
    <div class="scroll"><table id="actions"><thead><tr><th>SKU</th><th>Product</th><th>Action</th><th>On hand</th><th>Days of cover</th><th>Stockout</th><th>Safety stock</th><th>Reorder point</th><th>Order qty</th></tr></thead><tbody></tbody></table></div></section>
  <section class="span-4" id="quality-panel"><h2>Data quality</h2><div id="quality"></div></section>
  <section class="span-12" id="drift-panel"><h2>Drift events</h2>
    <div class="scroll"><table id="drift"><thead><tr><th>Detected</th><th>Kind</th><th>SKU</th><th>Product</th><th>Value</th><th title="The threshold the check used: a SKU’s demand shift (PSI) is judged against the level sampling noise alone reaches at 1 % for its window lengths (never below DEMAND_DRIFT_PSI_THRESHOLD); the other kinds use their settings">Threshold</th><th>Action</th></tr></thead><tbody></tbody></table></div></section>
</main>
<footer>Charts: uPlot (MIT). ${payload.partsDir === null ? 'This file is self-contained and needs no network.' : `Per-SKU data is in the folder ${escapeHtml(payload.partsDir)} beside this file (keep them together); no network is needed.`}</footer>
<script id="dashboard-data" type="application/json">${scriptSafeJson(payload)}</script>
<script>${inlineScript(assets.js)}</script>
<script>${inlineScript(clientScript)}</script>
</body>
</html>
`;
}
