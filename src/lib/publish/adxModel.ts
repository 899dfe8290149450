/**
 * How Gold/Silver lake tables appear in Azure Data Explorer: the ADX table, its JSON ingestion
 * mapping (created by adx/*.kql) and the columns the publisher adds to every row. The lake
 * columns keep their names, so a mapping is `$.<column>` for every column.
 */
import type { DeltaDecimalType, DeltaPrimitiveType } from '../delta/types';
import { lakeTables, type LakeTableName } from '../lakeTables';

export interface AdxTableDef {
  /** Lake table the rows come from. */
  lakeTable: LakeTableName;
  /** ADX table name (PascalCase, as ADX convention has it). */
  table: string;
  /** Name of the JSON ingestion mapping on that table. */
  mapping: string;
  /** Columns the publisher adds to each lake row, with their ADX types. */
  publishColumns: Array<{ name: string; type: AdxScalarType }>;
  /** Whether single-SKU re-forecasts stream into this table (streaming ingestion policy enabled). */
  streaming: boolean;
}

export type AdxScalarType = 'string' | 'long' | 'int' | 'real' | 'bool' | 'datetime' | 'decimal';

/** Delta logical type → ADX scalar type (decimal(p,s) → decimal: see adxTypeFor). */
export const adxTypeOf: Record<Exclude<DeltaPrimitiveType, DeltaDecimalType>, AdxScalarType> = {
  string: 'string',
  long: 'long',
  integer: 'int',
  short: 'int',
  byte: 'int',
  double: 'real',
  float: 'real',
  boolean: 'bool',
  // JSON ingestion carries bytes as base64 text.
  binary: 'string',
  date: 'datetime',
  timestamp: 'datetime',
  timestamp_ntz: 'datetime',
};

/** The ADX scalar type of a Delta column type. */
export function adxTypeFor(type: DeltaPrimitiveType): AdxScalarType {
  return type.startsWith('decimal') ? 'decimal' : adxTypeOf[type as Exclude<DeltaPrimitiveType, DeltaDecimalType>];
}

const publishedAt = { name: 'published_at', type: 'datetime' as const };

export const adxTables: AdxTableDef[] = [
  {
    lakeTable: 'daily_demand',
    table: 'DailyDemand',
    mapping: 'DailyDemand_json',
    // Daily demand has no run id in the lake: the publishing run stamps its rows, and the
    // DailyDemandLatest view keeps the newest version of each SKU-day.
    publishColumns: [{ name: 'run_id', type: 'string' }, publishedAt],
    streaming: false,
  },
  { lakeTable: 'forecasts', table: 'Forecasts', mapping: 'Forecasts_json', publishColumns: [publishedAt], streaming: true },
  {
    lakeTable: 'forecast_metrics',
    table: 'ForecastAccuracy',
    mapping: 'ForecastAccuracy_json',
    publishColumns: [publishedAt],
    streaming: true,
  },
  { lakeTable: 'drift_events', table: 'DriftEvents', mapping: 'DriftEvents_json', publishColumns: [publishedAt], streaming: false },
  {
    lakeTable: 'inventory_actions',
    table: 'InventoryActions',
    mapping: 'InventoryActions_json',
    publishColumns: [publishedAt],
    streaming: true,
  },
];

/** All ADX columns of a table, lake columns first (the order of `.create-merge table`). */
export function adxColumns(def: AdxTableDef): Array<{ name: string; type: AdxScalarType }> {
  const lake = lakeTables[def.lakeTable].schema.fields.map((f) => ({ name: f.name, type: adxTypeFor(f.type) }));
  return [...lake, ...def.publishColumns.filter((p) => !lake.some((l) => l.name === p.name))];
}

/**
 * The run record: one row per completed full run, queued after every table of the run, with the
 * rows it queued. ADX's LatestRunId() picks the newest run whose rows have all landed, so a
 * re-forecast (a few SKUs streamed under their own run id) or a half-ingested run never becomes
 * "the latest run" of the dashboards. Not a lake table: the publisher writes it.
 */
export const adxRunsTable = {
  table: 'Runs',
  mapping: 'Runs_json',
  columns: [
    { name: 'run_id', type: 'string' },
    { name: 'kind', type: 'string' },
    { name: 'completed_at', type: 'datetime' },
    { name: 'forecast_rows', type: 'long' },
    { name: 'accuracy_rows', type: 'long' },
    { name: 'inventory_rows', type: 'long' },
    { name: 'published_at', type: 'datetime' },
  ] as Array<{ name: string; type: AdxScalarType }>,
} as const;

/** What a Runs row records about a run (see adxRunsTable). */
export interface AdxRunRecord {
  run_id: string;
  kind: 'full';
  completed_at: string;
  forecast_rows: number;
  accuracy_rows: number;
  inventory_rows: number;
  published_at: string;
}
