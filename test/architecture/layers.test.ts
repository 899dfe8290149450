import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Imports point down the layers (docs/architecture.md; GUIDE "Imports point down the layers only").
 * scripts/layers.js lists the src/ import edges that run back up, and imports of an adapter that
 * bypass the composition root, and Azure SDK imports below the orchestrators; there are none, and
 * any one fails this test.
 */
interface BackUpEdge {
  from: string;
  to: string;
  fromLayer: string;
  toLayer: string;
}

function backUpEdges(srcDir?: string): BackUpEdge[] {
  const script = path.resolve(__dirname, '../../scripts/layers.js');
  const run = spawnSync(process.execPath, [script, '--json', ...(srcDir ? ['--src', srcDir] : [])], { encoding: 'utf8' });
  if (run.error) throw run.error;
  return JSON.parse(run.stdout) as BackUpEdge[];
}

function writeTree(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
}

describe('import layers', () => {
  it('no import runs back up the layers, reaches an adapter around the composition root, or brings an Azure SDK below the orchestrators (npm run layers lists them)', () => {
    const listed = backUpEdges().map((e) => `${e.from} (${e.fromLayer}) -> ${e.to} (${e.toLayer})`);
    expect(listed).toEqual([]);
  });

  it('the check sees a domain import of an activity, a type-only import of a contract, an Azure SDK type in the domain, and an entry point building an adapter itself', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layers-'));
    try {
      writeTree(dir, {
        'lib/lake/lakeStore.ts': 'export interface LakeStore { location: string }\n',
        'lib/lake/fileSystemLake.ts': "import type { LakeStore } from './lakeStore';\nexport const lake: LakeStore = { location: '' };\n",
        'lib/forecast/model.ts': "import { run } from '../../activities/run';\nexport const model = run;\n",
        'lib/drift/check.ts': "import type { Message } from '../../contracts/messages';\nexport type M = Message;\n",
        'lib/ingest/auth.ts': "import type { TokenCredential } from '@azure/identity';\nexport type C = TokenCredential;\n",
        'contracts/messages.ts': 'export interface Message { runId: string }\n',
        'activities/run.ts': "import type { LakeStore } from '../lib/lake/lakeStore';\nexport const run = (l: LakeStore) => l.location;\n",
        'composition/services.ts': "export { lake } from '../lib/lake/fileSystemLake';\n",
        'cli/main.ts':
          "import { lake } from '../lib/lake/fileSystemLake';\nimport { lake as same } from '../composition/services';\nexport const both = [lake, same];\n",
      });
      expect(backUpEdges(dir)).toEqual([
        { from: 'cli/main.ts', to: 'lib/lake/fileSystemLake.ts', fromLayer: 'entry', toLayer: 'adapters' },
        { from: 'lib/drift/check.ts', to: 'contracts/messages.ts', fromLayer: 'domain', toLayer: 'contracts' },
        { from: 'lib/forecast/model.ts', to: 'activities/run.ts', fromLayer: 'domain', toLayer: 'activities' },
        { from: 'lib/ingest/auth.ts', to: '@azure/identity', fromLayer: 'domain', toLayer: 'azure-sdk' },
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
