import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { registerDashboardCommand } from '../../src/cli/commands/dashboard';
import type { CliContext } from '../../src/cli/context';
import { SettingsError, ValidationError } from '../../src/lib/errors';
import { publish } from '../../src/activities/publish';
import { planInventory } from '../../src/activities/planInventory';
import { AdxPublisher } from '../../src/lib/publish/adxPublisher';
import { createPublisher, ingestUrlFor } from '../../src/composition/publisher';
import { LocalPublisher } from '../../src/lib/publish/localPublisher';
import { createFixtureLake, fixtureOrigin, fixtureRunId, type FixtureLake } from './lakeFixture';

describe('local publishing, the publish activity and the dashboard command', () => {
  let fixture: FixtureLake;
  const run = { runId: fixtureRunId, runDate: fixtureOrigin, startedAt: `${fixtureOrigin}T02:00:00Z` };
  beforeAll(async () => {
    fixture = await createFixtureLake();
    await planInventory(run, fixture.services);
  });
  afterAll(() => fixture.cleanup());

  it('publish (batch, local) writes the dashboard and reports the run’s Gold row counts', async () => {
    const output = await publish({ ...run, mode: 'batch' }, fixture.services);
    expect(output.target).toBe('local');
    expect(output.tables).toEqual({ forecasts: 84, forecast_metrics: 3, inventory_actions: 3, drift_events: 2 });
    expect(output.outputs.dashboard).toBe(path.resolve(fixture.settings.DEMAND_DASHBOARD_PATH));
    expect(output.outputs.lake).toBe(fixture.services.lake.location);
    const html = await fs.readFile(output.outputs.dashboard!, 'utf8');
    expect(html).toContain(`Demand forecast — ${fixtureRunId}`);
    expect(html).toContain('"reorder_now"');
  });

  it('publish validates its input', async () => {
    await expect(publish({ ...run, mode: 'single' }, fixture.services)).rejects.toThrow(ValidationError);
    await expect(publish({ ...run, mode: 'both' as never }, fixture.services)).rejects.toThrow(/mode.*"both"/);
  });

  it('createPublisher picks the adapter from DEMAND_PUBLISHER and needs a cluster URL for adx', () => {
    expect(createPublisher(fixture.services)).toBeInstanceOf(LocalPublisher);
    const adxSettings = { ...fixture.settings, DEMAND_PUBLISHER: 'adx' as const };
    expect(() => createPublisher({ ...fixture.services, settings: adxSettings })).toThrow(SettingsError);
    const adx = createPublisher({
      ...fixture.services,
      settings: { ...adxSettings, DEMAND_ADX_CLUSTER_URL: 'https://demand.westeurope.kusto.windows.net' },
    });
    expect(adx).toBeInstanceOf(AdxPublisher);
    expect(ingestUrlFor('https://demand.westeurope.kusto.windows.net')).toBe('https://ingest-demand.westeurope.kusto.windows.net');
    void adx.close();
  });

  it('`demand dashboard --run --output` writes the file and prints where', async () => {
    const out: string[] = [];
    const context: CliContext = {
      settings: () => fixture.settings,
      services: async () => fixture.services,
      stdout: (t) => out.push(t),
      stderr: (t) => out.push(t),
      setExitCode: () => undefined,
    };
    const program = new Command('demand').exitOverride();
    registerDashboardCommand(program, context);
    const target = path.join(fixture.dir, 'cli', 'board.html');
    await program.parseAsync(['node', 'demand', 'dashboard', '--run', fixtureRunId, '--output', target]);
    expect(out).toEqual([`Dashboard of 3 SKUs written to ${target}`]);
    expect((await fs.stat(target)).size).toBeGreaterThan(50_000);
  });
});
