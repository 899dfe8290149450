import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PhysicalColumn } from '../../src/lib/delta/dataFile';
import { dateToDays } from '../../src/lib/delta/parquet';
import type { DeltaRow, DeltaSchema } from '../../src/lib/delta/types';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';
import type { DeltaAction } from '../../src/lib/delta/log';

/** A fresh filesystem lake in a temp dir; call cleanup() in afterEach. */
export async function tempLake(): Promise<{ lake: FileSystemLake; root: string; cleanup: () => Promise<void> }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'delta-test-'));
  return { lake: FileSystemLake.fromDirectory(root), root, cleanup: () => fs.rm(root, { recursive: true, force: true }) };
}

/** The actions of one commit file, as the table's reader types them (the tests check their JSON shape). */
export async function readLogLines(root: string, table: string, version: number): Promise<DeltaAction[]> {
  const file = path.join(root, table, '_delta_log', `${String(version).padStart(20, '0')}.json`);
  const text = await fs.readFile(file, 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as DeltaAction);
}

/** A schema with every Delta type the module writes, nullable and not. */
export const allTypes: DeltaSchema = {
  fields: [
    { name: 's', type: 'string', nullable: false },
    { name: 'l', type: 'long', nullable: false },
    { name: 'i', type: 'integer', nullable: true },
    { name: 'd', type: 'double', nullable: true },
    { name: 'b', type: 'boolean', nullable: true },
    { name: 'dt', type: 'date', nullable: true },
    { name: 'ts', type: 'timestamp', nullable: true },
    { name: 'ns', type: 'string', nullable: true },
  ],
};

/** Rows of allTypes with edge values: safe-integer bounds, non-ASCII text, the epoch, nulls. */
export const allTypesRows: DeltaRow[] = [
  { s: 'a', l: 9007199254740991, i: -2147483648, d: 1.5, b: true, dt: '2011-01-04', ts: '2011-01-04T10:11:12.345Z', ns: 'x' },
  { s: 'bé ü', l: -42, i: 2147483647, d: -0.25, b: false, dt: '1969-12-31', ts: '1970-01-01T00:00:00.000Z', ns: null },
  { s: '', l: 0, i: null, d: null, b: null, dt: null, ts: null, ns: null },
];

/** The rows in the bulk writer's column form: numbers, days, epoch milliseconds. */
export function columnsOf(fields: DeltaSchema['fields'], data: DeltaRow[]): PhysicalColumn[] {
  return fields.map((f) =>
    data.map((r) => {
      const v = r[f.name] ?? null;
      if (v === null) return null;
      if (f.type === 'date') return dateToDays(v as string);
      if (f.type === 'timestamp') return Date.parse(v as string);
      return v;
    }),
  );
}
