import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLakeTable } from '../../src/lib/delta';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import { lakeTables } from '../../src/lib/lakeTables';

describe('staged writes: a run id that partition paths escape', () => {
  it.each(['run 1', 'run:a=b', 'run%41', 'rün/ß', 'run#?&+'])(
    '%s: its commit is read back, its cleanup deletes only the file no commit took',
    async (runId) => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'staged-escape-'));
      try {
        const lake = FileSystemLake.fromDirectory(dir);
        const def = lakeTables.model_params;
        const table = openLakeTable(lake, def);
        const row = Object.fromEntries(
          def.schema.fields.map((f) => [
            f.name,
            f.type === 'string' ? 'x' : f.type === 'boolean' ? false : f.type === 'date' ? '2011-01-01' : 1,
          ]),
        );
        const staged = await table.stage([{ ...row, run_id: runId }], {
          schema: def.schema,
          partitionBy: def.partitionBy,
          stageId: 'batch-00000',
        });
        await table.commitStaged([staged], { schema: def.schema, partitionBy: def.partitionBy });
        // An attempt no commit took: the only file the cleanup deletes.
        await table.stage([{ ...row, run_id: runId, sku: 'other' }], {
          schema: def.schema,
          partitionBy: def.partitionBy,
          stageId: 'batch-00001',
        });
        expect(await table.deleteUncommitted({ run_id: runId })).toBe(1);
        expect(await table.deleteUncommitted({ run_id: runId })).toBe(0);
        const rows = await table.readAll({ partitionFilter: (p) => p['run_id'] === runId });
        expect(rows.map((r) => r['run_id'])).toEqual([runId]);
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
  );
});
