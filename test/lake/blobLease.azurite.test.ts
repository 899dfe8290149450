import { LakeLockedError } from '../../src/lib/errors';
import { AzureDataLakeStore } from '../../src/lib/lake/azureDataLake';
import { acquireWriterLock, writerLockPath } from '../../src/lib/lake/writerLock';
import { azuriteAvailable, startAzurite, type Azurite } from '../support/azurite';

/** The writer lock as a blob lease, against Azurite (the real Storage emulator's lease API). */
if (!azuriteAvailable) console.warn('azurite is not installed: skipping the blob lease tests');
const suite = azuriteAvailable ? describe : describe.skip;

suite('writer lock as a blob lease on Azurite', () => {
  let azurite: Azurite;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('one holder at a time; the refused run is told who holds it since when; release frees it; renew works', async () => {
    const lake = AzureDataLakeStore.fromConnectionString(azurite.connectionString, `lease-${process.pid}`);
    const first = await acquireWriterLock(lake, { runId: 'run-a', activity: 'buildSilver', durationInMs: 20_000, waitInMs: 0 });
    expect(first?.holder.runId).toBe('run-a');
    const refused = acquireWriterLock(lake, { runId: 'run-b', activity: 'publish', durationInMs: 20_000, waitInMs: 0 });
    await expect(refused).rejects.toThrow(LakeLockedError);
    await expect(acquireWriterLock(lake, { runId: 'run-b', activity: 'publish', durationInMs: 20_000, waitInMs: 0 })).rejects.toThrow(
      new RegExp(`locked by run run-a \\(buildSilver, [^)]+\\) since ${first?.holder.acquiredAt.replace(/\./g, '\\.')}`),
    );
    await first?.renew();
    await first?.release();
    const second = await acquireWriterLock(lake, { runId: 'run-b', activity: 'publish', durationInMs: 20_000, waitInMs: 1000 });
    expect(second?.holder.runId).toBe('run-b');
    await second?.release();
    expect(await lake.exists(writerLockPath)).toBe(true);
  });
});
