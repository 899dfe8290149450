/**
 * A small constructed lake for publish, inventory and dashboard tests: a few SKUs with 200 days of
 * daily demand, one forecast run with quantiles, metrics, drift events and quarantine rows, written
 * through the real Delta module into a temp folder.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSettings, type PipelineSettings } from '../../src/lib/config/settings';
import { openLakeTable } from '../../src/lib/delta';
import type { DeltaRow } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import type { PipelineServices } from '../../src/lib/pipelineServices';
import { lakeTables, type LakeTableName } from '../../src/lib/lakeTables';
import { seededRandom } from '../../src/lib/sample/seededRandom';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { adapterFactories } from '../../src/composition/services';

export const fixtureRunId = 'run-20111209';
export const fixtureOrigin = '2011-12-09';
export const fixtureSkus = ['85123A', '22423', '47566'];

function day(offset: number, from = fixtureOrigin): string {
  return new Date(Date.parse(`${from}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
}

export function fixtureRows(): Record<string, DeltaRow[]> {
  const rnd = seededRandom(42);
  const daily: DeltaRow[] = [];
  const forecasts: DeltaRow[] = [];
  const metrics: DeltaRow[] = [];
  const snapshots: DeltaRow[] = [];
  const products: DeltaRow[] = [];
  fixtureSkus.forEach((sku, k) => {
    const level = [40, 12, 3][k]!;
    let onHand = [900, 60, 500][k]!;
    for (let i = -199; i <= 0; i++) {
      const date = day(i);
      const weekly = 1 + 0.3 * Math.sin((2 * Math.PI * i) / 7);
      const units = Math.max(0, Math.round(level * weekly * (0.6 + 0.8 * rnd())));
      onHand = Math.max(0, onHand - units + (i % 30 === 0 ? level * 30 : 0));
      daily.push({
        sku,
        date,
        units,
        revenue: units * 2.5,
        orders: Math.ceil(units / 3),
        customers: Math.ceil(units / 4),
        // The second SKU runs low at the end: a reorder_now case.
        on_hand: i > -5 ? (k === 1 ? 15 : onHand) : null,
        stockout: onHand === 0,
        month: date.slice(0, 7),
      });
    }
    snapshots.push({
      snapshot_date: day(-3),
      sku,
      on_hand: [120, 20, 300][k]!,
      on_order: [0, 10, 0][k]!,
      source_file: 'inv.csv',
      snapshot_month: day(-3).slice(0, 7),
    });
    for (let step = 1; step <= 28; step++) {
      const mean = level * (1 + 0.3 * Math.sin((2 * Math.PI * step) / 7));
      const spread = 0.25 * mean + 1;
      forecasts.push({
        run_id: fixtureRunId,
        sku,
        origin_date: fixtureOrigin,
        target_date: day(step),
        step,
        point: mean,
        q05: Math.max(0, mean - 1.645 * spread),
        q25: Math.max(0, mean - 0.674 * spread),
        q50: mean,
        q75: mean + 0.674 * spread,
        q95: mean + 1.645 * spread,
        model: k === 2 ? 'tsb' : 'mstl_ets',
        expected: mean,
      });
    }
    metrics.push({
      run_id: fixtureRunId,
      sku,
      model: k === 2 ? 'tsb' : 'mstl_ets',
      segment: k === 2 ? 'intermittent' : 'smooth',
      demand_class: k === 2 ? 'intermittent' : 'smooth',
      mase: [0.7, 1.1, 1.6][k]!,
      wape: [0.2, 0.35, 0.6][k]!,
      smape: 0.3,
      bias: 0.01,
      coverage90: 0.88,
      pinball: 1.2,
      abs_err: 100,
      abs_actual: 400,
      windows: 3,
      fallback_reason: null,
    });
    products.push({
      sku,
      description: `PRODUCT ${sku}`,
      first_sale_date: day(-199),
      last_sale_date: fixtureOrigin,
      total_units: 1000,
      order_lines: 300,
    });
  });
  const drift: DeltaRow[] = [
    {
      run_id: fixtureRunId,
      detected_at: `${fixtureOrigin}T02:10:00.000Z`,
      sku: '22423',
      kind: 'accuracy',
      value: 1.9,
      threshold: 1.5,
      action: 'reforecast',
    },
    {
      run_id: fixtureRunId,
      detected_at: `${fixtureOrigin}T02:10:00.000Z`,
      sku: null,
      kind: 'psi',
      value: 0.11,
      threshold: 0.25,
      action: 'none',
    },
  ];
  const quarantine: DeltaRow[] = [
    {
      run_id: fixtureRunId,
      source: 'orders',
      source_path: 'bronze/orders/x',
      record_index: 4,
      reason: 'non_product_code',
      detail: 'POST',
      raw: '{}',
      rule_set_version: '1',
    },
    {
      run_id: fixtureRunId,
      source: 'orders',
      source_path: 'bronze/orders/x',
      record_index: 9,
      reason: 'non_product_code',
      detail: 'M',
      raw: '{}',
      rule_set_version: '1',
    },
    {
      run_id: fixtureRunId,
      source: 'orders',
      source_path: 'bronze/orders/x',
      record_index: 11,
      reason: 'negative_quantity',
      detail: null,
      raw: '{}',
      rule_set_version: '1',
    },
  ];
  return {
    daily_demand: daily,
    forecasts,
    forecast_metrics: metrics,
    inventory_snapshots: snapshots,
    products,
    drift_events: drift,
    quarantine,
  };
}

export interface FixtureLake {
  dir: string;
  services: PipelineServices;
  settings: PipelineSettings;
  cleanup(): Promise<void>;
}

export async function writeFixtureTable(services: PipelineServices, name: LakeTableName, rows: DeltaRow[]): Promise<void> {
  const def = lakeTables[name];
  await openLakeTable(services.lake, def).write(rows, { schema: def.schema, partitionBy: def.partitionBy, mode: 'append' });
}

export async function createFixtureLake(
  options: { tables?: LakeTableName[]; settings?: Record<string, string> } = {},
): Promise<FixtureLake> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'demand-publish-'));
  const settings = loadSettings(
    {},
    { DEMAND_LAKE_DIR: path.join(dir, 'lake'), DEMAND_STATE_DIR: path.join(dir, 'state'), ...options.settings },
  );
  const logs: string[] = [];
  const services: PipelineServices = {
    settings,
    lake: FileSystemLake.fromDirectory(path.join(dir, 'lake')),
    entities: EmbeddedEntityStore.fromDirectory(path.join(dir, 'state')),
    log: (m) => logs.push(m),
    adapters: adapterFactories,
  };
  const rows = fixtureRows();
  for (const [name, tableRows] of Object.entries(rows) as Array<[LakeTableName, DeltaRow[]]>) {
    if (options.tables && !options.tables.includes(name)) continue;
    await writeFixtureTable(services, name, tableRows);
  }
  return { dir, services, settings, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
}
