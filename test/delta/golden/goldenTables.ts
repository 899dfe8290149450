/** The Delta tables of ../shared/data/delta_golden (written by Spark and Delta Lake itself), found by their logs. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** Folders holding a `_delta_log` (top level and one level down: hive/, data-reader-date-types-*). */
export function goldenTables(root: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(root).sort()) {
    const dir = path.join(root, name);
    if (!statSync(dir).isDirectory()) continue;
    if (existsSync(path.join(dir, '_delta_log'))) out.push(name);
    else for (const sub of readdirSync(dir).sort()) if (existsSync(path.join(dir, sub, '_delta_log'))) out.push(`${name}/${sub}`);
  }
  return out;
}
