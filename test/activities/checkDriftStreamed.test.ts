/**
 * The checkDrift activity, streamed through SKU buckets in its scratch folder, writes the drift
 * events and returns the figures of the in-memory assessment it replaced, on a seeded fleet.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkDrift, driftEventsTableName } from '../../src/activities/checkDrift';
import { servicesFromPorts } from '../../src/composition/services';
import { loadSettings } from '../../src/lib/config/settings';
import { openLakeTable } from '../../src/lib/delta';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables } from '../../src/lib/lakeTables';
import type { PipelineServices } from '../../src/lib/pipelineServices';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { fleetDay, horizonDays, inMemoryAssessment, lastFleetDay, ownRunId, writeDriftFleet } from '../drift/driftFleetFixture';

describe('checkDrift activity on a streamed fleet', () => {
  let dir: string;
  let services: PipelineServices;
  const logs: string[] = [];
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'check-drift-'));
    await fs.mkdir(path.join(dir, 'scratch'));
    services = servicesFromPorts({
      settings: loadSettings({
        DEMAND_LAKE_DIR: path.join(dir, 'lake'),
        DEMAND_STATE_DIR: path.join(dir, 'state'),
        DEMAND_SCRATCH_DIR: path.join(dir, 'scratch'),
        DEMAND_DRIFT_MAX_REFORECASTS: '5',
      }),
      lake: FileSystemLake.fromDirectory(path.join(dir, 'lake')),
      entities: EmbeddedEntityStore.fromDirectory(path.join(dir, 'state')),
      log: (m) => void logs.push(m),
    });
    await writeDriftFleet(services.lake, 240);
  }, 60_000);
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes the in-memory events, in order, and returns its figures', async () => {
    const { settings } = services;
    // No run index: every earlier run's forecasts count, as forecastRunsInEffect says then.
    const reference = await inMemoryAssessment(services.lake, undefined, {
      psi: settings.DEMAND_DRIFT_PSI_THRESHOLD,
      accuracyRatio: settings.DEMAND_DRIFT_ACCURACY_RATIO,
      fleetShare: settings.DEMAND_DRIFT_FLEET_SHARE,
      stockoutDelta: settings.DEMAND_DRIFT_STOCKOUT_DELTA,
      maxReforecasts: settings.DEMAND_DRIFT_MAX_REFORECASTS,
    });
    expect(reference.evaluation.findings.length).toBeGreaterThan(20);
    const startedAt = `${fleetDay(lastFleetDay + 1)}T02:00:00.000Z`;
    const out = await checkDrift({ runId: ownRunId, runDate: fleetDay(lastFleetDay + 1), startedAt, horizonDays, season: 7 }, services);
    expect(out).toEqual({
      events: reference.evaluation.findings.length,
      driftedSkus: reference.evaluation.driftedSkus,
      fleetDrift: reference.evaluation.fleetDrift,
      psiOverall: reference.stats.overallPsi,
      skusChecked: reference.stats.skus.length,
      driftShare: reference.evaluation.driftShare,
      challengerDue: reference.evaluation.fleetDrift,
    });
    expect(out.driftedSkus).toHaveLength(5);
    const events = await openLakeTable(services.lake, lakeTables.drift_events).readAll({
      partitionFilter: (p) => p['run_id'] === ownRunId,
    });
    expect(events).toEqual(
      reference.evaluation.findings.map((f) => ({
        run_id: ownRunId,
        detected_at: startedAt,
        sku: f.sku,
        kind: f.kind,
        value: f.value,
        threshold: f.threshold,
        action: f.action,
      })),
    );
    let entities = 0;
    for await (const _ of (await services.entities.table(driftEventsTableName)).list({ partitionKey: ownRunId })) entities++;
    expect(entities).toBe(events.length);
    expect(logs.some((l) => /drift: streamed \d+ rows through \d+ SKU bucket/.test(l))).toBe(true);
    // The scratch files are gone.
    expect(await fs.readdir(path.join(dir, 'scratch'))).toEqual([]);
  }, 60_000);
});
