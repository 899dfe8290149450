import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EmbeddedEntityStore } from '../../src/lib/tables/embeddedEntityStore';
import { entityKey } from '../../src/lib/tables/entityKey';
import { TablesTracker } from '../../src/lib/tracking/tablesTracker';
import { describeTrackerContract } from './trackerContract';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-tables-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describeTrackerContract('TablesTracker on EmbeddedEntityStore', async () =>
  TablesTracker.fromEntityStore(EmbeddedEntityStore.fromDirectory(dir)),
);

describe('entityKey', () => {
  it('escapes characters Azure Table keys forbid, keeps the rest', () => {
    expect(entityKey('a/b#c?d\\e%f')).toBe('a~2f~b~23~c~3f~d~5c~e~25~f');
    expect(entityKey('segment.fast.wape_1-2')).toBe('segment.fast.wape_1-2');
  });
});
