import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileSystemLake } from '../../src/lib/lake/fileSystemLake';

/** A fresh filesystem lake in a temp dir; call cleanup() in afterEach. */
export async function tempLake(): Promise<{ lake: FileSystemLake; root: string; cleanup: () => Promise<void> }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'delta-test-'));
  return { lake: FileSystemLake.fromDirectory(root), root, cleanup: () => fs.rm(root, { recursive: true, force: true }) };
}

export async function readLogLines(root: string, table: string, version: number): Promise<Array<Record<string, any>>> {
  const file = path.join(root, table, '_delta_log', `${String(version).padStart(20, '0')}.json`);
  const text = await fs.readFile(file, 'utf8');
  return text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
}
