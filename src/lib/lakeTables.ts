/**
 * The lake's Silver and Gold Delta tables: one place for their paths, schemas and partitioning,
 * shared by the writers (Silver build, forecast batches, inventory planning, drift) and the readers
 * (forecasting, publishing, the dashboard, `demand export`).
 */
import type { LakeTableDef } from './delta/tableDef';
import type { DeltaField, DeltaPrimitiveType, DeltaSchema } from './delta/types';

function schema(...fields: Array<[string, DeltaPrimitiveType, boolean?]>): DeltaSchema {
  return { fields: fields.map(([name, type, nullable]): DeltaField => ({ name, type, nullable: nullable ?? false })) };
}

// Owned by delta (openLakeTable takes one); re-exported for the table catalogue's users.
export type { LakeTableDef };

const orderLineFields: Array<[string, DeltaPrimitiveType, boolean?]> = [
  ['order_line_id', 'string'],
  ['invoice_no', 'string'],
  ['sku', 'string'],
  ['description', 'string', true],
  ['quantity', 'long'],
  ['unit_price', 'double'],
  ['revenue', 'double'],
  ['customer_id', 'string', true],
  ['country', 'string', true],
  ['order_ts', 'timestamp'],
  ['order_date', 'date'],
  ['order_month', 'string'],
  ['run_id', 'string'],
];

export const lakeTables = {
  order_lines: {
    name: 'order_lines',
    path: 'silver/order_lines',
    schema: schema(...orderLineFields),
    partitionBy: ['order_month'],
    description: 'Clean order lines (demand), one row per order line id',
  },
  cancellations: {
    name: 'cancellations',
    path: 'silver/cancellations',
    schema: schema(...orderLineFields),
    partitionBy: ['order_month'],
    description: 'Cancelled order lines (invoice starting with C), kept apart from demand',
  },
  rejected_lines: {
    name: 'rejected_lines',
    path: 'silver/rejected_lines',
    schema: schema(...orderLineFields),
    partitionBy: ['order_month'],
    description:
      'Order lines a rule rejected (quarantined), by order month: their ids still count, so a later delivery of one is a re-delivery',
  },
  quarantine: {
    name: 'quarantine',
    path: 'silver/quarantine',
    schema: schema(
      ['run_id', 'string'],
      ['source', 'string'],
      ['source_path', 'string'],
      ['record_index', 'long'],
      ['reason', 'string'],
      ['detail', 'string', true],
      ['raw', 'string'],
      ['rule_set_version', 'string'],
    ),
    partitionBy: ['run_id'],
    description: 'Rejected records with reason code and Bronze location',
  },
  inventory_snapshots: {
    name: 'inventory_snapshots',
    path: 'silver/inventory_snapshots',
    schema: schema(
      ['snapshot_date', 'date'],
      ['sku', 'string'],
      ['on_hand', 'long'],
      ['on_order', 'long', true],
      ['source_file', 'string'],
      ['snapshot_month', 'string'],
    ),
    partitionBy: ['snapshot_month'],
    description: 'Stock on hand per SKU and day, from partner snapshot files',
  },
  products: {
    name: 'products',
    path: 'silver/products',
    schema: schema(
      ['sku', 'string'],
      ['description', 'string', true],
      ['first_sale_date', 'date'],
      ['last_sale_date', 'date'],
      ['total_units', 'long'],
      ['order_lines', 'long'],
    ),
    partitionBy: [],
    description: 'SKU catalogue with one canonical description per SKU',
  },
  product_descriptions: {
    name: 'product_descriptions',
    path: 'silver/product_descriptions',
    schema: schema(
      ['sku', 'string'],
      ['description', 'string'],
      ['order_lines', 'long'],
      ['first_order_ts', 'timestamp'],
      ['last_order_ts', 'timestamp'],
    ),
    partitionBy: [],
    description: 'Every description seen per SKU, with its line count: what the canonical description is chosen from, merged run by run',
  },
  daily_demand: {
    name: 'daily_demand',
    path: 'silver/daily_demand',
    schema: schema(
      ['sku', 'string'],
      ['date', 'date'],
      ['units', 'long'],
      ['revenue', 'double'],
      ['orders', 'long'],
      ['customers', 'long'],
      ['on_hand', 'long', true],
      ['stockout', 'boolean'],
      ['month', 'string'],
    ),
    partitionBy: ['month'],
    description: 'One row per SKU and day over its active range, zero-filled, with stock and stockout flag',
  },
  forecasts: {
    name: 'forecasts',
    path: 'gold/forecasts',
    schema: schema(
      ['run_id', 'string'],
      ['sku', 'string'],
      ['origin_date', 'date'],
      ['target_date', 'date'],
      ['step', 'integer'],
      ['point', 'double'],
      ['q05', 'double'],
      ['q25', 'double'],
      ['q50', 'double'],
      ['q75', 'double'],
      ['q95', 'double'],
      ['model', 'string'],
      // Expected units (the engine's mean): what fleet totals sum. Last and nullable: schema evolution
      // adds it to an existing lake there (its older rows have none), so new and upgraded lakes agree.
      ['expected', 'double', true],
    ),
    partitionBy: ['run_id'],
    description: 'Per-SKU forecasts: point, expected units (mean; sum these for totals) and quantiles per target date',
  },
  forecast_metrics: {
    name: 'forecast_metrics',
    path: 'gold/forecast_metrics',
    schema: schema(
      ['run_id', 'string'],
      ['sku', 'string'],
      ['model', 'string'],
      ['segment', 'string'],
      ['demand_class', 'string'],
      ['mase', 'double', true],
      ['wape', 'double', true],
      ['smape', 'double', true],
      ['bias', 'double', true],
      ['coverage90', 'double', true],
      ['pinball', 'double', true],
      ['abs_err', 'double'],
      ['abs_actual', 'double'],
      ['windows', 'integer'],
      ['fallback_reason', 'string', true],
    ),
    partitionBy: ['run_id'],
    description: 'Per-SKU rolling-origin backtest metrics of the chosen model',
  },
  model_params: {
    name: 'model_params',
    path: 'gold/model_params',
    schema: schema(['run_id', 'string'], ['sku', 'string'], ['model', 'string'], ['params', 'string'], ['candidates', 'string']),
    partitionBy: ['run_id'],
    description: 'Per-SKU fitted parameters (JSON) and candidate scores',
  },
  inventory_actions: {
    name: 'inventory_actions',
    path: 'gold/inventory_actions',
    schema: schema(
      ['run_id', 'string'],
      ['sku', 'string'],
      ['as_of', 'date'],
      ['on_hand', 'long', true],
      ['days_of_cover', 'double', true],
      ['stockout_date', 'date', true],
      ['safety_stock', 'double'],
      ['reorder_point', 'double'],
      ['order_qty', 'long'],
      ['service_level', 'double'],
      ['lead_time_days', 'integer'],
      ['action', 'string'],
    ),
    partitionBy: ['run_id'],
    description: 'Per-SKU inventory actions from forecast quantiles and stock on hand',
  },
  drift_events: {
    name: 'drift_events',
    path: 'gold/drift_events',
    schema: schema(
      ['run_id', 'string'],
      ['detected_at', 'timestamp'],
      ['sku', 'string', true],
      ['kind', 'string'],
      ['value', 'double'],
      ['threshold', 'double'],
      ['action', 'string'],
    ),
    partitionBy: ['run_id'],
    description: 'Data, accuracy and stockout drift events and the action taken',
  },
} satisfies Record<string, LakeTableDef>;

export type LakeTableName = keyof typeof lakeTables;
