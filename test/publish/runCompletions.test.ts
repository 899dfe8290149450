/**
 * Gold of a run that never completed (killed after writing forecasts, before publish) is never
 * the current view: the dashboard skips it once completion records exist.
 */
import { loadDashboardData } from '../../src/lib/dashboard/dashboardData';
import { completedRuns, recordRunCompleted } from '../../src/lib/publish/runCompletions';
import { publish } from '../../src/activities/publish';
import { createFixtureLake, fixtureRows, fixtureRunId, writeFixtureTable, type FixtureLake } from './lakeFixture';

describe('run-completion records', () => {
  let fixture: FixtureLake;
  beforeEach(async () => {
    fixture = await createFixtureLake();
  });
  afterEach(() => fixture.cleanup());

  async function writeKilledRun(): Promise<void> {
    // A later run that wrote its forecasts (bigger points) and was killed before publish.
    const rows = fixtureRows().forecasts!.map((r) => ({ ...r, run_id: 'killed-run', point: Number(r.point) * 10 }));
    await new Promise((r) => setTimeout(r, 20));
    await writeFixtureTable(fixture.services, 'forecasts', rows);
  }

  it('a lake without any record (written before they existed) shows its newest run, as before', async () => {
    await writeKilledRun();
    expect(await completedRuns(fixture.services.lake)).toBeUndefined();
    expect((await loadDashboardData(fixture.services)).runId).toBe('killed-run');
  });

  it('with records, the newest completed run is shown, never the killed one', async () => {
    await recordRunCompleted(fixture.services.lake, { runId: fixtureRunId, completedAt: '2011-12-09T03:00:00Z', mode: 'batch' });
    await writeKilledRun();
    const data = await loadDashboardData(fixture.services);
    expect(data.runId).toBe(fixtureRunId);
  });

  it('the publish activity records the run as completed (once; a drift-events-only publish does not)', async () => {
    await publish(
      { runId: fixtureRunId, runDate: '2011-12-09', startedAt: '2011-12-09T02:00:00Z', mode: 'batch', tables: ['drift_events'] },
      fixture.services,
    );
    expect(await completedRuns(fixture.services.lake)).toBeUndefined();
    await publish({ runId: fixtureRunId, runDate: '2011-12-09', startedAt: '2011-12-09T02:00:00Z', mode: 'batch' }, fixture.services);
    const first = await fixture.services.lake.read(`gold/_completed_runs/${fixtureRunId}.json`);
    await publish({ runId: fixtureRunId, runDate: '2011-12-09', startedAt: '2011-12-09T02:00:00Z', mode: 'batch' }, fixture.services);
    expect(await completedRuns(fixture.services.lake)).toEqual(new Set([fixtureRunId]));
    expect((await fixture.services.lake.read(`gold/_completed_runs/${fixtureRunId}.json`)).equals(first)).toBe(true);
  });
});
