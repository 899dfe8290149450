/**
 * The drift check sizes its windows by the run's horizon, not the global setting: a pipeline run
 * with horizonDays=7 compares the last 7 days with the reference before them.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assessDrift } from '../../src/activities/checkDrift';
import { servicesFromPorts } from '../../src/composition/services';
import { loadSettings } from '../../src/lib/config/settings';
import { openLakeTable } from '../../src/lib/delta';
import type { DeltaRow } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables } from '../../src/lib/lakeTables';
import type { PipelineServices } from '../../src/lib/pipelineServices';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';

const day = (offset: number) => new Date(Date.UTC(2011, 6, 1) + offset * 86_400_000).toISOString().slice(0, 10);

describe('drift check windows follow the run horizon', () => {
  let dir: string;
  let services: PipelineServices;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'drift-horizon-'));
    services = servicesFromPorts({
      settings: loadSettings({ DEMAND_LAKE_DIR: path.join(dir, 'lake'), DEMAND_STATE_DIR: path.join(dir, 'state') }),
      lake: FileSystemLake.fromDirectory(path.join(dir, 'lake')),
      entities: EmbeddedEntityStore.fromDirectory(path.join(dir, 'state')),
      log: () => undefined,
    });
    const rows: DeltaRow[] = Array.from({ length: 120 }, (_, d) => ({
      sku: 'A',
      date: day(d),
      units: 3 + (d % 4),
      revenue: 6,
      orders: 1,
      customers: 1,
      on_hand: null,
      stockout: false,
      month: day(d).slice(0, 7),
    }));
    const def = lakeTables.daily_demand;
    await openLakeTable(services.lake, def).write(rows, { schema: def.schema, partitionBy: def.partitionBy, mode: 'append' });
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const run = { runId: 'drift-h', runDate: day(120), startedAt: `${day(120)}T02:00:00.000Z` };

  it('a run with horizonDays=7 checks the last 7 days; without it, the setting', async () => {
    expect(services.settings.DEMAND_FORECAST_HORIZON_DAYS).not.toBe(7);
    const ownHorizon = await assessDrift({ ...run, horizonDays: 7, season: 7 }, services);
    expect(ownHorizon.windows).toMatchObject({ recentStart: day(113), recentEnd: day(119) });
    const settingsHorizon = await assessDrift(run, services);
    expect(settingsHorizon.windows).toMatchObject({
      recentStart: day(120 - services.settings.DEMAND_FORECAST_HORIZON_DAYS),
      recentEnd: day(119),
    });
  });
});
