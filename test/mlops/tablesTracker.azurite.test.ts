import { listDecisions, promotePolicy } from '../../src/lib/registry/promotion';
import { AzureEntityStore } from '../../src/lib/tables/azureEntityStore';
import { TablesTracker } from '../../src/lib/tracking/tablesTracker';
import { azuriteAvailable, startAzurite, type Azurite } from '../support/azurite';
import { describeTrackerContract } from './trackerContract';

/** The Table-storage tracker and the promotion gate on Azure Table storage (Azurite). */
if (!azuriteAvailable) console.warn('azurite is not installed: skipping the TablesTracker Azurite suite');
const suite = azuriteAvailable ? describe : describe.skip;

suite('TablesTracker on AzureEntityStore (Azurite)', () => {
  let azurite: Azurite;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  describeTrackerContract('TablesTracker on Azure Table storage', async () =>
    TablesTracker.fromEntityStore(AzureEntityStore.fromConnectionString(azurite.connectionString)),
  );

  it('records promotion decisions and moves aliases with ETag-guarded writes', async () => {
    const entities = AzureEntityStore.fromConnectionString(azurite.connectionString);
    const tracker = TablesTracker.fromEntityStore(entities);
    const name = 'azurite-policy';
    const experimentId = await tracker.getOrCreateExperiment('azurite-exp');
    const register = async (wape: number) => {
      const runId = await tracker.startRun(experimentId, { runName: `run-${wape}` });
      await tracker.logBatch(runId, {
        params: { 'backtest.window_key': 'w' },
        metrics: [
          { key: 'wape', value: wape },
          { key: 'segment.fast.wape', value: wape },
        ],
      });
      await tracker.ensureRegisteredModel(name);
      return (await tracker.createModelVersion(name, { source: `gold/model_params/run_id=${runId}`, runId })).version;
    };
    const gate = { tracker, entities, modelName: name, to: 'production', margin: 0.02, segmentTolerance: 0.05 };
    const v1 = await register(0.5);
    expect((await promotePolicy({ ...gate, version: v1, decidedAt: '2026-01-01T00:00:00.000Z' })).decision.reason).toBe('no_production');
    const v2 = await register(0.499); // not 2% better
    const refused = await promotePolicy({ ...gate, version: v2, decidedAt: '2026-01-02T00:00:00.000Z' });
    expect(refused).toMatchObject({ promoted: false, decision: { reason: 'worse' } });
    const v3 = await register(0.4);
    expect((await promotePolicy({ ...gate, version: v3, decidedAt: '2026-01-03T00:00:00.000Z' })).promoted).toBe(true);
    expect((await tracker.getVersionByAlias(name, 'production'))?.version).toBe(v3);
    expect((await listDecisions(entities, name)).map((d) => [d['candidateVersion'], d['approved'], d['productionVersion']])).toEqual([
      ['1', true, null],
      ['2', false, '1'],
      ['3', true, '1'],
    ]);
  });
});
