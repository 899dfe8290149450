// Builds adx/dashboard.json (ADX dashboard export format, schema 60): node adx/build-dashboard.cjs > adx/dashboard.json
const crypto = require('crypto');
// Deterministic UUIDs so regenerating keeps ids stable.
const id = (name) => {
  const h = crypto
    .createHash('sha1')
    .update('demand-dashboard:' + name)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const ds = id('datasource');
const pageOverview = id('page:overview');
const pageInventory = id('page:inventory');
const queries = [];
const tiles = [];
function q(key, text, usedVariables) {
  const qid = id('query:' + key);
  queries.push({ dataSource: { kind: 'inline', dataSourceId: ds }, text, id: qid, usedVariables });
  return qid;
}
function tile(key, title, pageId, layout, visualType, text, usedVariables, visualOptions = {}) {
  tiles.push({
    id: id('tile:' + key),
    title,
    visualType,
    pageId,
    layout,
    queryRef: { kind: 'query', queryId: q(key, text, usedVariables) },
    visualOptions,
  });
}
const skuQuery = q('param:sku', 'InventoryActions\n| where run_id == LatestRunId()\n| distinct sku\n| order by sku asc', []);
tile(
  'forecast-vs-actual',
  'Forecast vs actual (SKU, 50% and 90% intervals)',
  pageOverview,
  { x: 0, y: 0, width: 16, height: 9 },
  'timechart',
  'ForecastVsActual(_sku, _startTime, _endTime + 60d)\n| project day, actual, forecast = point, q05, q25, q75, q95',
  ['_sku', '_startTime', '_endTime'],
  {
    xColumn: { type: 'specified', value: 'day' },
    yColumns: { type: 'specified', value: ['actual', 'forecast', 'q05', 'q25', 'q75', 'q95'] },
    yAxisMinimumValue: { type: 'specified', value: 0 },
    hideLegend: false,
  },
);
tile(
  'sku-stock',
  'Stock on hand and stockout days (SKU)',
  pageOverview,
  { x: 16, y: 0, width: 8, height: 9 },
  'timechart',
  "DailyDemandLatest\n| where sku == _sku and ['date'] between (_startTime .. _endTime)\n| project ['date'], on_hand, stockout = toint(stockout)",
  ['_sku', '_startTime', '_endTime'],
);
tile(
  'fleet-forecast',
  'Fleet forecast: expected units per day (latest run)',
  pageOverview,
  { x: 0, y: 17, width: 24, height: 7 },
  'timechart',
  'FleetForecast()\n| project target_date, expected_units',
  [],
  { xColumn: { type: 'specified', value: 'target_date' }, yColumns: { type: 'specified', value: ['expected_units'] }, hideLegend: false },
);
tile(
  'top-movers',
  'Top movers (units, last 28 days vs the 28 before)',
  pageOverview,
  { x: 0, y: 9, width: 12, height: 8 },
  'bar',
  'TopMovers(28, 20)\n| project sku, change',
  [],
  { xColumn: { type: 'specified', value: 'sku' }, yColumns: { type: 'specified', value: ['change'] } },
);
tile(
  'accuracy',
  'Accuracy distribution (MASE, latest run)',
  pageOverview,
  { x: 12, y: 9, width: 12, height: 8 },
  'column',
  'AccuracyDistribution()\n| summarize skus = sum(skus) by mase_bin\n| order by mase_bin asc',
  [],
  { xColumn: { type: 'specified', value: 'mase_bin' }, yColumns: { type: 'specified', value: ['skus'] } },
);
tile(
  'stockout-risk',
  'Stockout risk: inventory actions (latest run)',
  pageInventory,
  { x: 0, y: 0, width: 24, height: 10 },
  'table',
  'StockoutRisk()\n| where action != "ok"\n| take 500',
  [],
);
tile(
  'sku-action',
  'Inventory action for the selected SKU',
  pageInventory,
  { x: 0, y: 10, width: 8, height: 6 },
  'table',
  'StockoutRisk()\n| where sku == _sku',
  ['_sku'],
);
tile('drift', 'Drift events', pageInventory, { x: 8, y: 10, width: 16, height: 6 }, 'table', 'DriftEventsFor(_startTime, _endTime)', [
  '_startTime',
  '_endTime',
]);
const dashboard = {
  $schema: 'https://dataexplorer.azure.com/static/d/schema/60/dashboard.json',
  id: id('dashboard'),
  schema_version: '60',
  title: 'Demand forecast',
  autoRefresh: { enabled: false },
  baseQueries: [],
  tiles,
  queries,
  parameters: [
    {
      kind: 'duration',
      id: id('param:time'),
      displayName: 'Time range',
      description: '',
      beginVariableName: '_startTime',
      endVariableName: '_endTime',
      defaultValue: { kind: 'dynamic', count: 180, unit: 'days' },
      showOnPages: { kind: 'all' },
    },
    {
      kind: 'string',
      id: id('param:sku'),
      displayName: 'SKU',
      description: 'Stock keeping unit',
      variableName: '_sku',
      selectionType: 'single',
      includeAllOption: false,
      defaultValue: { kind: 'value', value: '' },
      dataSource: { kind: 'query', columns: { value: 'sku' }, queryRef: { kind: 'query', queryId: skuQuery } },
      showOnPages: { kind: 'all' },
    },
  ],
  dataSources: [
    {
      id: ds,
      name: 'demand',
      scopeId: 'kusto',
      kind: 'manual-kusto',
      clusterUri: 'https://YOUR_CLUSTER.YOUR_REGION.kusto.windows.net/',
      database: 'demand',
    },
  ],
  pages: [
    { name: 'Forecasts', id: pageOverview },
    { name: 'Inventory and drift', id: pageInventory },
  ],
};
process.stdout.write(JSON.stringify(dashboard, null, 2) + '\n');
